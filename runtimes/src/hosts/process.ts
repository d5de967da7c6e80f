/** Runs the harness as a child process (Node, Bun, Deno) and reads its report from stdout. */

import { spawn } from 'node:child_process'
import { INPUT_VARIABLE, REPORT_MARKER, type RunReport, type ScenarioInput } from '../harness/input.js'

/** How long one runtime may take before it counts as hung, in ms. */
export const RUN_TIMEOUT = 60_000

/** Output of a child process. */
export interface ProcessOutput {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `command` to completion (or kills it after {@link RUN_TIMEOUT}). */
export function runProcess(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  cwd: string,
): Promise<ProcessOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT)
    child.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Runs the process entry of the harness with `input` and returns its report. */
export async function runHarnessProcess(
  command: string,
  args: readonly string[],
  input: ScenarioInput,
  cwd: string,
  env: Readonly<Record<string, string>> = {},
): Promise<RunReport> {
  const output = await runProcess(command, args, { ...env, [INPUT_VARIABLE]: JSON.stringify(input) }, cwd)
  const line = output.stdout.split('\n').find((candidate) => candidate.startsWith(REPORT_MARKER))
  if (line === undefined) {
    throw new Error(
      `exited ${output.code} without a report\n${output.stderr.trim()}\n${output.stdout.trim()}`,
    )
  }
  return JSON.parse(line.slice(REPORT_MARKER.length)) as RunReport
}
