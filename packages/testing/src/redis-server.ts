/**
 * A real `redis-server` for tests of shared replay stores: started on a free loopback port without
 * persistence, stopped, frozen and restarted by its own PID. Needs `redis-server` on the `PATH`.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createConnection, createServer } from 'node:net'

/** A running `redis-server`, from {@link startRedisServer}. */
export interface RedisServer {
  readonly port: number
  /** The process id of the running server (changes on {@link restart}), e.g. to pin it to a CPU core. */
  readonly pid: number | undefined
  /** Kills the server (SIGKILL: as a crash would) and waits for it to exit. */
  kill(): Promise<void>
  /** Starts it again on the same port. */
  restart(): Promise<void>
  /** Freezes the process (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void
  /** Lets a paused process run again (SIGCONT). */
  resume(): void
}

/** A loopback port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/**
 * Starts `redis-server` on 127.0.0.1 and a free port, without persistence (`--save ''`,
 * `--appendonly no`), and waits until it answers `PING`.
 *
 * @example
 * ```ts
 * import { startRedisServer } from '@oidc-gate/testing'
 *
 * const redis = await startRedisServer()
 * const client = createClient({ socket: { host: '127.0.0.1', port: redis.port } })
 * await redis.kill() // a crash; redis.restart() brings it back on the same port
 * ```
 */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort()
  let child = await launch(port)
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }
  return {
    port,
    get pid() {
      return child.pid
    },
    kill,
    async restart() {
      await kill()
      child = await launch(port)
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
  }
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (await answersPing(port)) return child
    if (child.exitCode !== null || child.signalCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  child.kill('SIGKILL')
  throw new Error(`redis-server did not start on port ${port}`)
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    socket.setTimeout(500)
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => {
      socket.destroy()
      resolve(data.toString().startsWith('+PONG'))
    })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })
}
