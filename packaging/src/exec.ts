/** Runs a command to completion and collects its output. */

import { spawn } from 'node:child_process'

/** Output of a finished command. */
export interface ExecResult {
  readonly code: number | null
  readonly output: string
}

/** Runs `command` in `cwd`; stdout and stderr are collected together. Never rejects on a non-zero exit. */
export function exec(command: string, args: readonly string[], cwd: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const collect = (chunk: Buffer): void => {
      output += chunk.toString()
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, output }))
  })
}

/** Runs `command` and throws with its output when it fails. */
export async function execOrThrow(command: string, args: readonly string[], cwd: string): Promise<string> {
  const result = await exec(command, args, cwd)
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}\n${result.output}`)
  return result.output
}
