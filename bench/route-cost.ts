/**
 * What a route costs inside the server: one app per framework with a bare route, a pass-through
 * middleware route, a route whose middleware sets `Cache-Control: no-store`, and the gate's route (bench/route-server.ts, pinned to core 0), loaded by one
 * connection cycling through the four routes request by request (autocannon in this process, core 1).
 * The server times each request from its `request` event to the return of `res.end()`.
 *
 *   node --import tsx bench/route-cost.ts [--frameworks koa,express] [--windows 3] [--seconds 5]
 *                                         [--connections N]
 *
 * Why besides bench/http.ts: there, each variant is its own server loaded in its own window, and this
 * machine's noise moves a whole window by ±10–30%, more than a middleware costs. Here the routes
 * alternate on every request of the same process, so a slow moment slows all four alike, and the
 * difference of medians is the route's own cost, to within a few tenths of a microsecond. What it leaves
 * out is the same for every route: parsing the request before its `request` event, and the socket's
 * work after `res.end()`. Numbers are medians per window; the table gives the median window and the
 * range over windows.
 */
import { createTestIssuer } from '@oidc-gate/testing'
import autocannon from 'autocannon'
import { FRAMEWORKS } from './http.ts'
import type { Framework } from './http-server.ts'
import { NodeChild, pinSelf } from './lib/proc.ts'
import { flag, fmt, isMain, median, table } from './lib/stats.ts'
import { ROUTES, type Route, type RouteServerConfig } from './route-server.ts'

export interface RouteCostOptions {
  readonly frameworks: readonly Framework[]
  /** Measured windows per framework. */
  readonly windows: number
  /** Seconds per window. */
  readonly seconds: number
  /** Seconds of unrecorded load before the windows. */
  readonly warmup: number
  /** Connections of the load (default 1: one request in the server at a time). */
  readonly connections?: number
}

export const QUICK_ROUTE_COST: RouteCostOptions = {
  frameworks: FRAMEWORKS,
  windows: 2,
  seconds: 2,
  warmup: 1,
}
export const FULL_ROUTE_COST: RouteCostOptions = { frameworks: FRAMEWORKS, windows: 3, seconds: 5, warmup: 3 }

export interface RouteCost {
  readonly framework: Framework
  readonly route: Route
  /** Requests timed over all windows. */
  readonly requests: number
  /** Median over windows of the route's median time, µs. */
  readonly p50: number
  /** Median over windows of (this route's median − the bare route's median), µs; and its range. */
  readonly extra: number
  readonly extraMin: number
  readonly extraMax: number
}

async function measure(
  framework: Framework,
  config: Omit<RouteServerConfig, 'framework'>,
  token: string,
  options: RouteCostOptions,
): Promise<RouteCost[]> {
  const child = new NodeChild('route-server.ts', ['--config', JSON.stringify({ ...config, framework })], {
    core: 0,
    env: { NODE_ENV: 'production' },
  })
  try {
    const port = await child.next('READY ')
    const load = async (seconds: number) => {
      const result = (await autocannon({
        url: `http://127.0.0.1:${port}`,
        connections: options.connections ?? 1,
        duration: seconds,
        headers: { authorization: `Bearer ${token}` },
        requests: ROUTES.map((route) => ({ method: 'GET', path: `/${route}` })),
      })) as { non2xx: number; errors: number }
      if (result.non2xx > 0 || result.errors > 0) {
        throw new Error(`${framework}: ${result.non2xx} answers other than 2xx, ${result.errors} errors`)
      }
    }
    await load(options.warmup)
    const windows: Record<Route, number[]>[] = []
    for (let i = 0; i < options.windows; i++) {
      await child.request('start', 'STARTED')
      await load(options.seconds)
      await child.request('stop', 'STOPPED')
      windows.push(JSON.parse(await child.request('report', 'REPORT ')) as Record<Route, number[]>)
    }
    return ROUTES.map((route) => {
      const medians = windows.map((w) => median(w[route]))
      const extras = windows.map((w) => median(w[route]) - median(w.bare))
      return {
        framework,
        route,
        requests: windows.reduce((sum, w) => sum + w[route].length, 0),
        p50: median(medians),
        extra: median(extras),
        extraMin: Math.min(...extras),
        extraMax: Math.max(...extras),
      }
    })
  } finally {
    child.send('exit')
    await child.stop()
  }
}

/** Runs the measurement for every framework of `options`. */
export async function runRouteCost(options: RouteCostOptions): Promise<RouteCost[]> {
  const issuer = await createTestIssuer({ team: 'acme' })
  const restore = pinSelf(1)
  try {
    const token = await issuer.mint({ project: 'web' }, { ttl: 3 * 3600 })
    const results: RouteCost[] = []
    for (const framework of options.frameworks) {
      results.push(...(await measure(framework, { issuerUrl: issuer.url, team: 'acme' }, token, options)))
      console.error(`route-cost: ${framework} done`)
    }
    return results
  } finally {
    restore()
    await issuer.close()
  }
}

/** The table of {@link runRouteCost}'s results: per framework and route, time and cost over bare. */
export function routeCostTable(results: readonly RouteCost[]): string {
  const rows = results.map((r) => {
    const bare = results.find((b) => b.framework === r.framework && b.route === 'bare') as RouteCost
    const share = r.route === 'bare' ? '' : `${fmt((100 * r.extra) / bare.p50, 1)}%`
    const extra =
      r.route === 'bare' ? '' : `${fmt(r.extra, 2)} (${fmt(r.extraMin, 2)} to ${fmt(r.extraMax, 2)})`
    return [r.framework, r.route, fmt(r.requests), fmt(r.p50, 2), extra, share]
  })
  return table(
    ['framework', 'route', 'requests', 'µs, request → end()', 'µs over bare (range)', 'of bare'],
    rows,
    2,
  )
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2)
  const frameworks = (flag(argv, 'frameworks')?.split(',') as Framework[] | undefined) ?? FRAMEWORKS
  const options: RouteCostOptions = {
    ...FULL_ROUTE_COST,
    frameworks,
    windows: Number(flag(argv, 'windows') ?? FULL_ROUTE_COST.windows),
    seconds: Number(flag(argv, 'seconds') ?? FULL_ROUTE_COST.seconds),
    connections: Number(flag(argv, 'connections') ?? 1),
  }
  console.log(routeCostTable(await runRouteCost(options)))
}
