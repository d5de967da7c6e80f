/**
 * HTTP benchmark: express, fastify, hono (@hono/node-server) and koa, each bare, protected by oidc-gate
 * (one token repeated, 1,000 distinct tokens cycled) and protected by the framework's popular JWT peer
 * (distinct tokens), all against the same local RS256 issuer and JWKS; plus cold start.
 *
 *   node --import tsx bench/http.ts [--quick] [--rounds N] [--duration S] [--frameworks express,koa]
 *                                   [--loads bare,pass-through,repeated] [--no-cold]
 *
 * `--loads` keeps the loads whose label contains one of the given words (bare, pass-through, repeated,
 * distinct, cache: false, a peer's name): a quicker look at a few rows, compared within the same run.
 *
 * Every server is its own process pinned to core 0; autocannon runs in a long-lived process pinned to
 * core 1, and this process (the issuer, the orchestration) is pinned to core 1 as well while it runs.
 * Each round runs every load of a framework once, interleaved, the order rotating each round. The
 * server's CPU time per request comes from `process.cpuUsage()` deltas around each load window.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import type { LoadRequest } from './http-load.ts'
import type { Framework } from './http-server.ts'
import { adapterAvailable } from './lib/adapters.ts'
import { hasTaskset, NodeChild, pinSelf } from './lib/proc.ts'
import { cpuOf, type RunningServer, startLoader, startServer, stopServer } from './lib/servers.ts'
import { flag, fmt, hasFlag, isMain, median, ratio, spread, table } from './lib/stats.ts'
import { NO_STORE, PASS_THROUGH, ROUTES_VARIANT } from './lib/variants.ts'

export const FRAMEWORKS: readonly Framework[] = ['express', 'fastify', 'hono', 'koa']

export const PEERS: Record<Framework, readonly string[]> = {
  express: ['express-oauth2-jwt-bearer', 'express-jwt + jwks-rsa'],
  fastify: ['@fastify/jwt + get-jwks'],
  hono: ['hono/jwk (jwks_uri)', 'hono/jwk (keys fetched once)'],
  koa: ['koa-jwt + jwks-rsa'],
}

export const BARE = 'bare'
export const GATE_REPEATED = 'oidc-gate, repeated token'
export const GATE_DISTINCT = 'oidc-gate, distinct tokens'
export const GATE_NOCACHE = 'oidc-gate cache: false, distinct tokens'

export interface HttpOptions {
  readonly rounds: number
  /** Seconds per load per round. */
  readonly duration: number
  /** Seconds of unrecorded load per variant before the rounds. */
  readonly warmup: number
  readonly connections: number
  readonly coldRuns: number
  readonly distinct: number
  readonly frameworks: readonly Framework[]
  /** Words: only the loads whose label contains one of them run. Default: every load. */
  readonly loads?: readonly string[] | undefined
  /** Whether to measure cold starts. Default `true`. */
  readonly cold?: boolean | undefined
}

export const QUICK_HTTP: HttpOptions = {
  rounds: 2,
  duration: 1,
  warmup: 1,
  connections: 10,
  coldRuns: 2,
  distinct: 1000,
  frameworks: FRAMEWORKS,
}
export const FULL_HTTP: HttpOptions = {
  rounds: 5,
  duration: 2,
  warmup: 2,
  connections: 10,
  coldRuns: 5,
  distinct: 1000,
  frameworks: FRAMEWORKS,
}

export interface LoadSample {
  readonly rps: number
  readonly p50: number
  readonly p99: number
  /** Server CPU (user + system) per completed request, µs. */
  readonly cpuUs: number
  /** Server CPU time / wall time of the load window (1 = one core saturated). */
  readonly util: number
}

export interface HttpRow {
  readonly framework: Framework
  readonly label: string
  readonly server: string
  /** The route on that server, when not `/hello`. */
  readonly path?: string
  readonly tokens: LoadRequest['tokens']
  readonly samples: LoadSample[]
}

export interface HttpResult {
  readonly options: HttpOptions
  readonly pinned: boolean
  readonly notes: string[]
  readonly adapters: Record<string, boolean>
  readonly rows: HttpRow[]
  /** Listen → first 200, ms, per framework: the oidc-gate server (keys not fetched) and the bare one. */
  readonly cold: Record<string, { gate: number[]; bare: number[] }>
  /** One JWKS fetch from a fresh process pinned to core 0 (cold) and the median of 20 more (warm), ms. */
  readonly rtt: { cold: number[]; warm: number[] }
}

const now = () => performance.timeOrigin + performance.now()

async function expectStatus(
  url: string,
  token: string | undefined,
  status: number,
  what: string,
): Promise<void> {
  const response = await fetch(
    url,
    token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
  )
  await response.arrayBuffer()
  if (response.status !== status) throw new Error(`${what}: expected ${status}, got ${response.status}`)
}

export async function runHttp(options: HttpOptions): Promise<HttpResult> {
  const pinned = hasTaskset()
  const notes: string[] = []
  if (!pinned) notes.push('taskset not available: servers, load generator and orchestrator ran unpinned.')
  const restore = pinSelf(1)
  const dir = mkdtempSync(join(tmpdir(), 'oidc-gate-http-'))
  let issuer: TestIssuer | undefined
  let loader: NodeChild | undefined
  const servers: RunningServer[] = []
  try {
    issuer = await createTestIssuer({ team: 'acme' })
    const distinct: string[] = []
    for (let i = 0; i < options.distinct; i += 50) {
      const batch: Promise<string>[] = []
      for (let j = i; j < Math.min(options.distinct, i + 50); j++) {
        batch.push(issuer.mint({ project: `web-${j}` }, { ttl: 3 * 3600 }))
      }
      distinct.push(...(await Promise.all(batch)))
    }
    const repeated = await issuer.mint({ project: 'web' }, { ttl: 3 * 3600 })
    const tokensFile = join(dir, 'tokens.json')
    writeFileSync(tokensFile, JSON.stringify({ repeated, distinct }))

    const base = {
      issuerUrl: issuer.url,
      team: 'acme',
      iss: issuer.issuer,
      aud: issuer.audience,
      jwksUri: issuer.jwksUri,
    }
    const adapters: Record<string, boolean> = {}
    for (const framework of options.frameworks) {
      adapters[framework] = await adapterAvailable(framework)
      if (!adapters[framework]) {
        notes.push(
          `@oidc-gate/${framework} exports no adapter yet: its oidc-gate rows use a minimal inline shim calling gate.authenticate() (bench/lib/adapters.ts).`,
        )
      }
    }

    const loading = await startLoader(tokensFile)
    loader = loading.loader
    const runLoad = loading.run

    // One JWKS round trip, from a fresh process pinned like the servers.
    const rtt = { cold: [] as number[], warm: [] as number[] }
    for (let k = 0; k < options.coldRuns; k++) {
      const probe = new NodeChild(
        'http-server.ts',
        ['--config', JSON.stringify({ ...base, framework: 'express', variant: 'jwks-probe' })],
        { core: 0 },
      )
      const [cold, warm] = (await probe.next('RTT ')).split(' ').map(Number)
      await probe.wait()
      rtt.cold.push(cold as number)
      rtt.warm.push(warm as number)
    }

    const rows: HttpRow[] = []
    const cold: HttpResult['cold'] = {}
    for (const framework of options.frameworks) {
      const all: HttpRow[] = [
        // The loads the repeated-token target compares: routes of one server process.
        { framework, label: BARE, server: ROUTES_VARIANT, path: '/bare', tokens: 'repeated', samples: [] },
        {
          framework,
          label: PASS_THROUGH,
          server: ROUTES_VARIANT,
          path: '/pass-through',
          tokens: 'repeated',
          samples: [],
        },
        {
          framework,
          label: NO_STORE,
          server: ROUTES_VARIANT,
          path: '/no-store',
          tokens: 'repeated',
          samples: [],
        },
        {
          framework,
          label: GATE_REPEATED,
          server: ROUTES_VARIANT,
          path: '/gate',
          tokens: 'repeated',
          samples: [],
        },
        { framework, label: GATE_DISTINCT, server: 'gate', tokens: 'distinct', samples: [] },
        { framework, label: GATE_NOCACHE, server: 'gate-nocache', tokens: 'distinct', samples: [] },
        ...PEERS[framework].map((peer) => ({
          framework,
          label: peer,
          server: peer,
          tokens: 'distinct' as const,
          samples: [] as LoadSample[],
        })),
      ]
      const wanted = options.loads
      const loads = all.filter((row) => wanted === undefined || wanted.some((w) => row.label.includes(w)))
      const variants = [...new Set(loads.map((row) => row.server))]
      for (const variant of variants) servers.push(await startServer({ ...base, framework, variant }))
      const byVariant = (v: string) => servers.find((s) => s.variant === v) as RunningServer

      // Each load's route answers 200 to valid tokens, and a protected one 401 without one, before any load.
      const urlOf = (row: HttpRow) => {
        const { url } = byVariant(row.server)
        return row.path === undefined ? url : url.replace(/\/hello$/, row.path)
      }
      for (const row of loads) {
        const what = `${framework} / ${row.label}`
        await expectStatus(urlOf(row), repeated, 200, `${what} with a valid token`)
        for (const k of [0, 1, distinct.length - 1]) {
          await expectStatus(urlOf(row), distinct[k], 200, `${what} with valid distinct token #${k}`)
        }
        if (row.label !== BARE && row.label !== PASS_THROUGH && row.label !== NO_STORE)
          await expectStatus(urlOf(row), undefined, 401, `${what} without a token`)
      }

      const measure = async (row: HttpRow, duration: number): Promise<LoadSample> => {
        const server = byVariant(row.server)
        const before = await cpuOf(server)
        const started = now()
        const result = await runLoad({
          url: urlOf(row),
          tokens: row.tokens,
          duration,
          connections: options.connections,
        })
        const wall = now() - started
        const cpu = (await cpuOf(server)) - before
        if (result.non2xx > 0 || result.errors > 0) {
          throw new Error(
            `${framework} / ${row.label}: ${result.non2xx} non-2xx answers and ${result.errors} errors (${result.timeouts} timeouts) under load`,
          )
        }
        return {
          rps: result.rps,
          p50: result.p50,
          p99: result.p99,
          cpuUs: cpu / result.ok,
          util: cpu / 1000 / wall,
        }
      }
      for (const row of loads) await measure(row, options.warmup)
      // The target's loads (bare, the two reference middlewares, the gate with one token) run as one block
      // at the start of each round, in a mirrored order of half windows (A B C D D C B A): each sees the
      // same moments of the machine on average, so a drift within the block cancels out of their ratios.
      const paired = loads.filter((row) => PAIRED.includes(row.label))
      const others = loads.filter((row) => !PAIRED.includes(row.label))
      for (let round = 0; round < options.rounds; round++) {
        const order = paired.map((_, k) => paired[(k + round) % paired.length] as HttpRow)
        const halves = new Map<HttpRow, LoadSample[]>()
        for (const row of [...order, ...[...order].reverse()]) {
          halves.set(row, [...(halves.get(row) ?? []), await measure(row, options.duration / 2)])
        }
        for (const [row, [first, second]] of halves) row.samples.push(both(first, second))
        for (let k = 0; k < others.length; k++) {
          const row = others[(k + round) % others.length] as HttpRow
          row.samples.push(await measure(row, options.duration))
        }
        process.stderr.write(`http: ${framework} round ${round + 1}/${options.rounds} done\n`)
      }
      rows.push(...loads)
      for (const server of servers.splice(0)) await stopServer(server)

      // Cold start: listen → first verified 200, keys not fetched yet (no warmup()). The bare server's
      // listen → first 200, measured alternately, is the framework's own first-request cost.
      const runs = { gate: [] as number[], bare: [] as number[] }
      cold[framework] = runs
      for (let k = 0; k < (options.cold === false ? 0 : options.coldRuns); k++) {
        for (const variant of ['bare', 'gate'] as const) {
          const server = await startServer({ ...base, framework, variant })
          servers.push(server)
          const response = await fetch(server.url, { headers: { authorization: `Bearer ${repeated}` } })
          await response.arrayBuffer()
          const done = now()
          if (response.status !== 200) {
            throw new Error(`${framework} / ${variant} cold start: first request answered ${response.status}`)
          }
          runs[variant].push(done - server.listenedAt)
          servers.splice(servers.indexOf(server), 1)
          await stopServer(server)
        }
      }
    }
    return { options, pinned, notes, adapters, rows, cold, rtt }
  } finally {
    for (const server of servers) await server.child.stop()
    await loader?.stop()
    await issuer?.close()
    rmSync(dir, { recursive: true, force: true })
    restore()
  }
}

/** The loads of the repeated-token target, measured as one mirrored block per round. */
const PAIRED: readonly string[] = [BARE, PASS_THROUGH, NO_STORE, GATE_REPEATED]

/** Two equal half windows of one load as one sample. */
function both(first: LoadSample | undefined, second: LoadSample | undefined): LoadSample {
  const a = first as LoadSample
  const b = second ?? a
  const mean = (key: keyof LoadSample) => (a[key] + b[key]) / 2
  return {
    rps: mean('rps'),
    p50: mean('p50'),
    p99: Math.max(a.p99, b.p99),
    cpuUs: mean('cpuUs'),
    util: mean('util'),
  }
}

// ---------------------------------------------------------------------------------------------------------
// Reporting.

export function rowMedian(row: HttpRow | undefined, key: keyof LoadSample): number {
  return row === undefined ? Number.NaN : median(row.samples.map((s) => s[key]))
}

/**
 * `a` over `b` paired by round: the median over the rounds of a(round r) / b(round r), for `rps`, or
 * b / a for `cpuUs` (so that above 1 always means `a` is better).
 */
export function pairedRatio(a: HttpRow | undefined, b: HttpRow | undefined, key: 'rps' | 'cpuUs'): number {
  if (a === undefined || b === undefined) return Number.NaN
  return median(
    a.samples.map((sample, r) => {
      const other = b.samples[r] as LoadSample
      return key === 'rps' ? sample.rps / other.rps : other.cpuUs / sample.cpuUs
    }),
  )
}

export function findRow(result: HttpResult, framework: string, label: string): HttpRow | undefined {
  return result.rows.find((r) => r.framework === framework && r.label === label)
}

export function httpTables(result: HttpResult): string {
  const parts: string[] = []
  for (const framework of result.options.frameworks) {
    const rows = result.rows.filter((r) => r.framework === framework)
    const bare = findRow(result, framework, BARE)
    const shim =
      result.adapters[framework] === false ? ' (oidc-gate rows: inline shim, adapter not available)' : ''
    parts.push(
      `**${framework}**${shim}\n\n${table(
        [
          'variant',
          'req/s (median)',
          'spread',
          'p99 ms',
          'server CPU µs/req',
          'server CPU',
          'req/s vs bare',
          'CPU/req vs bare',
        ],
        rows.map((r) => [
          r.label,
          fmt(rowMedian(r, 'rps')),
          `±${spread(r.samples.map((s) => s.rps)).toFixed(0)}%`,
          fmt(rowMedian(r, 'p99'), 1),
          fmt(rowMedian(r, 'cpuUs'), 1),
          `${(rowMedian(r, 'util') * 100).toFixed(0)}%`,
          ratio(pairedRatio(r, bare, 'rps')),
          ratio(pairedRatio(r, bare, 'cpuUs')),
        ]),
      )}`,
    )
  }
  return parts.join('\n\n')
}

export function coldTable(result: HttpResult): string {
  const rttCold = median(result.rtt.cold)
  const rttWarm = median(result.rtt.warm)
  const rows = result.options.frameworks.map((framework) => {
    const runs = result.cold[framework] ?? { gate: [], bare: [] }
    const gate = median(runs.gate)
    const bare = median(runs.bare)
    return [
      framework,
      fmt(gate, 1),
      runs.gate.map((r) => r.toFixed(1)).join(', '),
      fmt(gate - rttCold, 1),
      fmt(bare, 1),
      fmt(gate - bare, 1),
    ]
  })
  return `${table(
    [
      'framework',
      'oidc-gate cold start ms (median)',
      'runs',
      'minus one JWKS round trip',
      'bare server, listen → first 200',
      'oidc-gate minus bare',
    ],
    rows,
  )}\n\nOne JWKS round trip from a fresh process on core 0: first fetch ${fmt(rttCold, 1)} ms (median of ${result.rtt.cold.length} processes; includes loading Node's fetch), warm ${fmt(rttWarm, 1)} ms (median of 20 per process, median over processes).`
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2)
  const base = hasFlag(argv, 'quick') ? QUICK_HTTP : FULL_HTTP
  const frameworks = flag(argv, 'frameworks')?.split(',') as Framework[] | undefined
  const options: HttpOptions = {
    ...base,
    rounds: Number(flag(argv, 'rounds') ?? base.rounds),
    duration: Number(flag(argv, 'duration') ?? base.duration),
    frameworks: frameworks ?? base.frameworks,
    loads: flag(argv, 'loads')?.split(','),
    cold: !hasFlag(argv, 'no-cold'),
  }
  const result = await runHttp(options)
  console.log(httpTables(result))
  if (options.cold !== false) console.log(`\n${coldTable(result)}`)
  for (const note of result.notes) console.log(`\nnote: ${note}`)
}
