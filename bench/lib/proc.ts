/**
 * Child processes of the benchmarks: optional CPU pinning with `taskset`, line-oriented stdout, and a
 * registry that stops every child this process started (by its own pid) when the process ends, also on
 * failure and on SIGINT/SIGTERM.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const live = new Set<ChildProcess>()
let hooked = false

function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  live.clear()
}

function hook(): void {
  if (hooked) return
  hooked = true
  process.on('exit', killAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll()
      process.exit(130)
    })
  }
}

let tasksetChecked: boolean | undefined
/** Whether `taskset` is usable here (present and allowed to pin to cores 0 and 1). */
export function hasTaskset(): boolean {
  if (tasksetChecked === undefined) {
    const probe = spawnSync('taskset', ['-c', '0,1', 'true'], { stdio: 'ignore' })
    tasksetChecked = probe.status === 0
  }
  return tasksetChecked
}

/** The TypeScript-aware `node` command line for a script of this directory. */
export function nodeArgs(
  script: string,
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): string[] {
  return [...nodeFlags, '--import', 'tsx', fileURLToPath(new URL(`../${script}`, import.meta.url)), ...args]
}

export interface SpawnOptions {
  /** A core to pin to (`taskset -c <core>`), when `taskset` exists. */
  readonly core?: number | undefined
  readonly env?: NodeJS.ProcessEnv
  /** Inherit stderr (default) or collect it. */
  readonly stderr?: 'inherit' | 'pipe'
}

/** A node child running a bench script, pinned when possible; its pid is node's (taskset execs). */
export class NodeChild {
  readonly child: ChildProcess
  readonly pinned: boolean
  private readonly waiters: Array<{ test: (line: string) => boolean; resolve: (line: string) => void }> = []
  private readonly exited: Promise<number | null>
  stderrText = ''

  constructor(script: string, args: readonly string[], options: SpawnOptions = {}, nodeFlags: string[] = []) {
    hook()
    const argv = nodeArgs(script, args, nodeFlags)
    this.pinned = options.core !== undefined && hasTaskset()
    const [command, commandArgs] = this.pinned
      ? ['taskset', ['-c', String(options.core), process.execPath, ...argv]]
      : [process.execPath, argv]
    this.child = spawn(command as string, commandArgs as string[], {
      stdio: ['pipe', 'pipe', options.stderr ?? 'inherit'],
      // bench/tsconfig.json, whatever tsconfig.json tsx would find from the caller's directory.
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
        ...options.env,
      },
      // `--import tsx` resolves from the working directory: run from bench/, whatever the caller's is.
      cwd: fileURLToPath(new URL('..', import.meta.url)),
    })
    live.add(this.child)
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        live.delete(this.child)
        for (const waiter of this.waiters.splice(0)) waiter.resolve(`EXIT ${code}`)
        resolve(code)
      })
    })
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrText += chunk.toString()
    })
    const lines = createInterface({ input: this.child.stdout! })
    lines.on('line', (line) => {
      const index = this.waiters.findIndex((w) => w.test(line))
      if (index >= 0) {
        const [waiter] = this.waiters.splice(index, 1)
        waiter?.resolve(line)
      } else if (line.trim() !== '') {
        process.stderr.write(`[child ${this.child.pid}] ${line}\n`)
      }
    })
  }

  get pid(): number {
    return this.child.pid as number
  }

  /** Resolves with the next stdout line starting with `prefix` (rejects if the child exits first). */
  async next(prefix: string, timeoutMs = 30_000): Promise<string> {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`child ${this.pid}: no "${prefix}" within ${timeoutMs} ms`)),
        timeoutMs,
      )
      this.waiters.push({
        test: (l) => l.startsWith(prefix),
        resolve: (l) => {
          clearTimeout(timer)
          resolve(l)
        },
      })
    })
    if (line.startsWith('EXIT ')) {
      throw new Error(
        `child ${this.pid} exited (${line.slice(5)}) before "${prefix}"${this.stderrText ? `:\n${this.stderrText}` : ''}`,
      )
    }
    return line.slice(prefix.length).trim()
  }

  /** Sends `command` on stdin and resolves with the answer line starting with `prefix`. */
  request(command: string, prefix: string, timeoutMs = 30_000): Promise<string> {
    const answer = this.next(prefix, timeoutMs)
    this.send(command)
    return answer
  }

  /** Sends one command line on stdin. */
  send(line: string): void {
    this.child.stdin?.write(`${line}\n`)
  }

  /** Waits for the child to exit by itself. */
  wait(): Promise<number | null> {
    return this.exited
  }

  /** Stops this child (by its pid) and waits until it is gone. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM')
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000)
      await this.exited
      clearTimeout(timer)
    }
  }
}

/**
 * Pins this whole process (every thread) to `core` with `taskset -a -p`; returns a function restoring the
 * previous affinity. A no-op without taskset.
 */
export function pinSelf(core: number): () => void {
  if (!hasTaskset()) return () => {}
  const current = spawnSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' })
  const mask = /:\s*([0-9a-f,]+)\s*$/i.exec(current.stdout ?? '')?.[1]
  spawnSync('taskset', ['-a', '-p', '-c', String(core), String(process.pid)], { stdio: 'ignore' })
  return () => {
    if (mask !== undefined) spawnSync('taskset', ['-a', '-p', mask, String(process.pid)], { stdio: 'ignore' })
  }
}

/** Stops every child still registered (normally none). */
export function stopAllChildren(): void {
  killAll()
}
