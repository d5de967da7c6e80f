/**
 * Runs the worker build in Cloudflare's workerd (from the `@cloudflare/workerd-linux-64` package). By
 * default workerd refuses outbound connections to private and local addresses, 127.0.0.1 included; the
 * `loopback` variant routes the worker's `fetch` through a network service that allows `local`, so the
 * gate fetches the test issuer's JWKS as it would fetch a real one.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { freePort } from '../fixtures.js'
import type { RunReport, ScenarioInput } from '../harness/input.js'
import { runOverFetch } from './fetch-handler.js'
import { RUN_TIMEOUT } from './process.js'

/** How the worker is configured. */
export interface WorkerdOptions {
  /** The workerd binary. */
  readonly binary: string
  /** The module worker to run. */
  readonly bundle: string
  /** Let `fetch` reach 127.0.0.1. */
  readonly loopback: boolean
  /** Compatibility flags, e.g. `nodejs_compat`. */
  readonly flags: readonly string[]
}

function config(options: WorkerdOptions, port: number): string {
  const flags = options.flags.map((flag) => JSON.stringify(flag)).join(', ')
  const outbound = options.loopback ? ', globalOutbound = "loopback"' : ''
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["public", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker.mjs", esModule = embed "${basename(options.bundle)}")],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = [${flags}]${outbound},
);
`
}

async function waitUntilListening(origin: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`workerd exited ${child.exitCode}\n${log()}`)
    try {
      await (await fetch(origin)).arrayBuffer()
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  throw new Error(`workerd did not listen within 15 s\n${log()}`)
}

/** A running workerd; `stop()` ends it (by its own PID) and resolves once it has exited. */
interface Workerd {
  readonly origin: string
  stop(): Promise<void>
}

/** Starts workerd on a free port and waits until it answers; `undefined` if it exited first (port taken). */
async function startWorkerd(options: WorkerdOptions): Promise<Workerd | undefined> {
  const port = await freePort()
  const name = `workerd-${options.loopback ? 'loopback' : 'default'}-${options.flags.join('-') || 'plain'}`
  const configFile = join(dirname(options.bundle), `${name}.capnp`)
  await writeFile(configFile, config(options, port))
  const child = spawn(options.binary, ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  let output = ''
  const collect = (chunk: Buffer): void => {
    output += chunk.toString()
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM')
    await exited
  }
  const origin = `http://127.0.0.1:${port}`
  try {
    await waitUntilListening(origin, child, () => output)
  } catch (error) {
    await stop()
    if (/Address already in use/i.test(output)) return undefined
    throw error
  }
  return { origin, stop }
}

/** Starts workerd, runs the scenarios and the timed loop over HTTP, stops it. */
export async function runWorkerd(options: WorkerdOptions, input: ScenarioInput): Promise<RunReport> {
  let workerd: Workerd | undefined
  // A free port can be taken between the probe and workerd's bind: try another.
  for (let attempt = 0; attempt < 3 && workerd === undefined; attempt++) workerd = await startWorkerd(options)
  if (workerd === undefined) throw new Error('workerd found no free port in 3 attempts')
  const { origin } = workerd
  try {
    const signal = AbortSignal.timeout(RUN_TIMEOUT)
    return await runOverFetch((path, body) => fetch(origin + path, { method: 'POST', body, signal }), input)
  } finally {
    await workerd.stop()
  }
}
