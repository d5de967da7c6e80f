/**
 * Runs the CLI as a real process from its TypeScript source: `node --conditions=@oidc-gate/source
 * --import tsx src/main.ts …`, so the tests need no build and use the workspace packages' sources too.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url))

/** How a CLI process ended and what it printed. */
export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** A long-running CLI process (`dev-issuer`). */
export interface Running {
  readonly child: ChildProcessWithoutNullStreams
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves once the process exited. */
  readonly exited: Promise<Result>
  /** Sends `signal` to the process (by its own pid) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<Result>
}

interface Options {
  /** Written to stdin, which is then closed. Default: nothing (stdin closed at once). */
  readonly input?: string
  /** Extra environment variables. `FORCE_COLOR` and `NO_COLOR` of the test runner are removed first. */
  readonly env?: Readonly<Record<string, string>>
  /** Close the read end of stdout at once, as `oidc-gate … | true` does. */
  readonly closeStdout?: boolean
}

function launch(args: readonly string[], options: Options): Running {
  const env: Record<string, string | undefined> = { ...process.env }
  delete env.FORCE_COLOR
  delete env.NO_COLOR
  const child = spawn(
    process.execPath,
    ['--conditions=@oidc-gate/source', '--import', 'tsx', MAIN, ...args],
    {
      cwd: ROOT,
      env: { ...env, ...options.env },
    },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  if (options.closeStdout === true) child.stdout.destroy()
  child.stdin.end(options.input ?? '')
  const exited = new Promise<Result>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/** Runs `oidc-gate …args` to completion (killed after 15 s). */
export async function cli(args: readonly string[], options: Options = {}): Promise<Result> {
  const running = launch(args, options)
  const timer = setTimeout(() => running.child.kill('SIGKILL'), 15_000)
  try {
    return await running.exited
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Starts `oidc-gate …args` and resolves once `ready(stdout)` holds. The caller must `stop()` it (in a
 * `finally` or `afterAll`); if it exits or stays silent for 10 s, it is killed and this rejects.
 */
export async function start(
  args: readonly string[],
  ready: (stdout: string) => boolean,
  options: Options = {},
): Promise<Running> {
  const running = launch(args, options)
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready after 10 s: ${running.stderr()}`)), 10_000)
      const check = (): void => {
        if (!ready(running.stdout())) return
        clearTimeout(timer)
        resolve()
      }
      running.child.stdout.on('data', check)
      running.exited.then((result) => {
        clearTimeout(timer)
        reject(new Error(`exited with ${result.code} before it was ready: ${result.stderr}`))
      }, reject)
    })
  } catch (error) {
    await running.stop('SIGKILL')
    throw error
  }
  return running
}

/** The claims of a JWT, decoded without verification. */
export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'))
}

/** Asserts the shape of a one-line error: no stack trace, one line, prefixed by the program name. */
export function isOneLine(stderr: string): boolean {
  return /^oidc-gate: [^\n]+\n$/.test(stderr) && !/\n\s+at /.test(stderr)
}
