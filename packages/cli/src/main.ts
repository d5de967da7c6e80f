#!/usr/bin/env node
import { run } from './run.js'

// A reader that went away (`oidc-gate inspect … | head -1`) is no reason for a stack trace, and the exit
// code stays the command's.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})

process.exitCode = await run(process.argv.slice(2))
