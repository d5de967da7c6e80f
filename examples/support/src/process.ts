/**
 * Runs an example API as a real process (`node --import tsx src/server.ts` in its directory), for the
 * tests and the demo: waits for its `listening on <url>` line, stops it by its own pid.
 */

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ENV } from './index.js'

/** The example APIs, one per framework (`examples/<name>`). */
export const EXAMPLES = ['express', 'fastify', 'hono', 'koa'] as const
export type ExampleName = (typeof EXAMPLES)[number]

/** How a process ended. */
export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** A running example. */
export interface RunningExample {
  readonly name: ExampleName
  readonly pid: number
  /** Its origin, from the `listening on` line, e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves once the process has exited. */
  readonly exited: Promise<Exit>
  /** Sends `signal` (default `SIGTERM`) to the process, by its pid, if it still runs; resolves on exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>
}

/** Options of {@link startExample}. */
export interface StartOptions {
  /** Environment variables; the example's own (`OIDC_GATE_*`, `PORT`, `HOST`) are not inherited. */
  readonly env?: Readonly<Record<string, string>>
  /** Load the workspace packages from their TypeScript sources (no build needed). Default `false`: dist. */
  readonly source?: boolean
  /** How long to wait for the `listening on` line. Default 15 s. */
  readonly timeout?: number
}

/** A process that ended, or never said it was listening. */
export class ExampleStartError extends Error {
  override name = 'ExampleStartError'
}

/** Starts `examples/<name>` with `PORT=0` (unless `env.PORT` says otherwise) and waits until it listens. */
export function startExample(name: ExampleName, options: StartOptions = {}): Promise<RunningExample> {
  const started = launch(name, options)
  return new Promise<RunningExample>((resolve, reject) => {
    let settled = false
    const fail = async (why: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      await started.stop('SIGKILL')
      reject(new ExampleStartError(`${name}: ${why}\n${started.stdout()}${started.stderr()}`.trimEnd()))
    }
    const timer = setTimeout(() => fail('no "listening on" line in time'), options.timeout ?? 15_000)
    started.child.stdout.on('data', () => {
      const url = /^listening on (\S+)$/m.exec(started.stdout())?.[1]
      if (url === undefined || settled) return
      settled = true
      clearTimeout(timer)
      resolve({ ...started, url })
    })
    started.exited.then((exit) => fail(`exited (code ${exit.code}, signal ${exit.signal})`))
  })
}

// Every example process started here and still running, for stopAll().
const live = new Set<Omit<RunningExample, 'url'>>()
// Whatever ends this process (process.exit(), an uncaught error), no example outlives it.
process.on('exit', () => {
  for (const p of live) p.stop('SIGKILL')
})

/** Stops every example process started by this module that still runs (by pid), e.g. on Ctrl+C. */
export async function stopAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(signal)))
}

/** Starts `examples/<name>` without waiting: for processes expected to fail at boot. */
export function launch(
  name: ExampleName,
  options: Omit<StartOptions, 'timeout'> = {},
): Omit<RunningExample, 'url'> & { readonly child: ChildProcessWithoutNullStreams } {
  const env: Record<string, string | undefined> = { ...process.env }
  for (const variable of Object.values(ENV)) delete env[variable]
  const child = spawn(
    process.execPath,
    [
      ...(options.source === true ? ['--conditions=@oidc-gate/source'] : []),
      '--import',
      'tsx',
      'src/server.ts',
    ],
    {
      cwd: fileURLToPath(new URL(`../../${name}/`, import.meta.url)),
      env: { ...env, PORT: '0', ...options.env },
    },
  )
  child.stdin.end()
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', () => resolve({ code: null, signal: null }))
    child.once('close', (code, signal) => resolve({ code, signal }))
  })
  const running = {
    name,
    child,
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
  live.add(running)
  exited.then(() => live.delete(running))
  return running
}
