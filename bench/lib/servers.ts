/** The benchmark's server processes (bench/http-server.ts), each pinned to core 0, and its load generator. */
import type { LoadRequest, LoadResult } from '../http-load.ts'
import type { ServerConfig } from '../http-server.ts'
import { NodeChild } from './proc.ts'

export interface RunningServer {
  readonly variant: string
  readonly child: NodeChild
  readonly url: string
  /** When it started listening, ms since the epoch. */
  readonly listenedAt: number
}

/** Starts one server of bench/http-server.ts on core 0 (`NODE_ENV=production`) and waits until it listens. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  const child = new NodeChild('http-server.ts', ['--config', JSON.stringify(config)], {
    core: 0,
    env: { NODE_ENV: 'production' },
  })
  try {
    const [port, at] = (await child.next('READY ')).split(' ')
    return { variant: config.variant, child, url: `http://127.0.0.1:${port}/hello`, listenedAt: Number(at) }
  } catch (error) {
    await child.stop()
    throw new Error(`${config.framework} / ${config.variant} did not start: ${String(error)}`)
  }
}

/** Asks the server to close and exit; kills it after 3 s. */
export async function stopServer(server: RunningServer): Promise<void> {
  server.child.send('exit')
  const timer = setTimeout(() => void server.child.stop(), 3000)
  await server.child.wait()
  clearTimeout(timer)
}

/** The server's CPU time so far (user + system), µs. */
export async function cpuOf(server: RunningServer): Promise<number> {
  const [user, system] = (await server.child.request('cpu', 'CPU ')).split(' ').map(Number)
  return (user as number) + (system as number)
}

/** Starts bench/http-load.ts on core 1; returns it and a function running one load. */
export async function startLoader(
  tokensFile: string,
): Promise<{ loader: NodeChild; run: (request: LoadRequest) => Promise<LoadResult> }> {
  const loader = new NodeChild('http-load.ts', ['--tokens', tokensFile], { core: 1 })
  await loader.next('READY')
  const run = async (request: LoadRequest): Promise<LoadResult> => {
    const line = await loader.request(`RUN ${JSON.stringify(request)}`, 'RESULT ', 120_000)
    const result = JSON.parse(line) as LoadResult & { error?: string }
    if (result.error !== undefined) throw new Error(`autocannon: ${result.error}`)
    return result
  }
  return { loader, run }
}
