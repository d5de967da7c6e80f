/**
 * The benchmark runner (`pnpm bench`): micro, HTTP and memory benchmarks, tables on stdout and
 * `bench/RESULTS.md` with the machine, the method, the tables and the ratios against the targets.
 *
 *   node --import tsx bench/run.ts [--quick] [--only micro,http,routes,memory] [--tokens N] [--out file]
 *
 * Build the packages first (`pnpm turbo run build --filter=./packages/*`): the benchmarks import `dist`.
 * Exits non-zero when a benchmark fails (a verifier refusing a valid token, a server answering other than
 * 200/401 where expected, a child process failing); a missed target is reported, not an error.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  BARE,
  coldTable,
  FULL_HTTP,
  findRow,
  GATE_DISTINCT,
  GATE_NOCACHE,
  GATE_REPEATED,
  type HttpResult,
  pairedRatio as httpPairedRatio,
  httpTables,
  PEERS,
  QUICK_HTTP,
  rowMedian,
  runHttp,
} from './http.ts'
import { hasTaskset } from './lib/proc.ts'
import { flag, fmt, hasFlag, machine, median, ratio, table } from './lib/stats.ts'
import { NO_STORE, PASS_THROUGH } from './lib/variants.ts'
import { FULL_MEMORY, type MemoryResult, memoryTable, QUICK_MEMORY, runMemory } from './memory.ts'
import {
  ALGS,
  FULL_MICRO,
  findCell,
  type MicroResult,
  microCell,
  microTables,
  pairedRatio,
  QUICK_MICRO,
  runMicro,
  SETS,
} from './micro.ts'
import {
  FULL_ROUTE_COST,
  QUICK_ROUTE_COST,
  type RouteCost,
  routeCostTable,
  runRouteCost,
} from './route-cost.ts'

const SUITES = ['micro', 'http', 'routes', 'memory'] as const
type Suite = (typeof SUITES)[number]

const argv = process.argv.slice(2)
const quick = hasFlag(argv, 'quick')
const only = (flag(argv, 'only')?.split(',') ?? [...SUITES]) as Suite[]
for (const suite of only) {
  if (!SUITES.includes(suite)) {
    console.error(`unknown suite "${suite}"; use --only ${SUITES.join(',')}`)
    process.exit(2)
  }
}
const out = flag(argv, 'out') ?? fileURLToPath(new URL('./RESULTS.md', import.meta.url))

const microOptions = quick ? QUICK_MICRO : FULL_MICRO
const httpOptions = quick ? QUICK_HTTP : FULL_HTTP
const memoryBase = quick ? QUICK_MEMORY : FULL_MEMORY
const memoryOptions = { ...memoryBase, tokens: Number(flag(argv, 'tokens') ?? memoryBase.tokens) }

const started = new Date()
const t0 = performance.now()
let micro: MicroResult | undefined
let http: HttpResult | undefined
let memory: MemoryResult | undefined
let routes: RouteCost[] | undefined

if (only.includes('micro')) {
  process.stderr.write('== micro\n')
  micro = await runMicro(microOptions)
  console.log(`\n## Micro\n\n${microTables(micro)}\n`)
}
if (only.includes('http')) {
  process.stderr.write('== http\n')
  http = await runHttp(httpOptions)
  console.log(`\n## HTTP\n\n${httpTables(http)}\n\n### Cold start\n\n${coldTable(http)}\n`)
}
if (only.includes('routes')) {
  process.stderr.write('== routes\n')
  routes = await runRouteCost(quick ? QUICK_ROUTE_COST : FULL_ROUTE_COST)
  console.log(`\n## Route cost inside the server\n\n${routeCostTable(routes)}\n`)
}
if (only.includes('memory')) {
  process.stderr.write('== memory\n')
  memory = await runMemory(memoryOptions)
  console.log(`\n## Memory\n\n${memoryTable(memory)}\n`)
}
const minutes = (performance.now() - t0) / 60_000

// ---------------------------------------------------------------------------------------------------------
// Targets.

const verdict = (met: boolean) => (met ? 'met' : '**missed**')
/** One row of the targets table: target, observed, ratio, verdict, ratio by server CPU, verdict by CPU. */
const targetRows: string[][] = []

if (micro !== undefined) {
  for (const alg of ALGS) {
    for (const set of SETS) {
      const uncached = findCell(micro, alg, set, 'gate-uncached')
      const floor = microCell(micro, alg, set, 'floor')
      const value = pairedRatio(micro, alg, set, 'gate-uncached', 'floor')
      targetRows.push([
        `uncached verify ≥ 0.92 × node:crypto floor (${alg}, ${set})`,
        `${uncached?.variant ?? 'n/a'}: ${fmt(microCell(micro, alg, set, 'gate-uncached'))} vs ${fmt(floor)} ops per CPU-second`,
        ratio(value),
        verdict(value >= 0.92),
        '',
        '',
      ])
    }
  }
}
if (http !== undefined) {
  const util = (row: ReturnType<typeof findRow>) => `${(rowMedian(row, 'util') * 100).toFixed(0)}%`
  for (const framework of http.options.frameworks) {
    const bare = findRow(http, framework, BARE)
    const gate = findRow(http, framework, GATE_REPEATED)
    const rps = httpPairedRatio(gate, bare, 'rps')
    const cpu = httpPairedRatio(gate, bare, 'cpuUs')
    targetRows.push([
      `repeated-token route ≥ 0.9 × bare (${framework})`,
      `${fmt(rowMedian(gate, 'rps'))} vs ${fmt(rowMedian(bare, 'rps'))} req/s (server CPU ${util(gate)} / ${util(bare)}); ${fmt(rowMedian(gate, 'cpuUs'), 1)} vs ${fmt(rowMedian(bare, 'cpuUs'), 1)} µs/req`,
      ratio(rps),
      verdict(rps >= 0.9),
      ratio(cpu),
      verdict(cpu >= 0.9),
    ])
    // Not targets: what any middleware costs in this framework, and what the gate costs beyond that.
    const through = findRow(http, framework, PASS_THROUGH)
    targetRows.push([
      `(context) a pass-through middleware vs bare (${framework})`,
      `${fmt(rowMedian(through, 'cpuUs'), 1)} vs ${fmt(rowMedian(bare, 'cpuUs'), 1)} µs/req`,
      ratio(httpPairedRatio(through, bare, 'rps')),
      '',
      ratio(httpPairedRatio(through, bare, 'cpuUs')),
      '',
    ])
    const noStore = findRow(http, framework, NO_STORE)
    targetRows.push([
      `(context) a middleware that only sets \`Cache-Control: no-store\` vs bare, the best a gate can do (${framework})`,
      `${fmt(rowMedian(noStore, 'cpuUs'), 1)} vs ${fmt(rowMedian(bare, 'cpuUs'), 1)} µs/req`,
      ratio(httpPairedRatio(noStore, bare, 'rps')),
      '',
      ratio(httpPairedRatio(noStore, bare, 'cpuUs')),
      '',
    ])
    targetRows.push([
      `(context) repeated-token route vs that no-store middleware, the gate's own work (${framework})`,
      `${fmt(rowMedian(gate, 'cpuUs') - rowMedian(noStore, 'cpuUs'), 1)} µs/req more`,
      ratio(httpPairedRatio(gate, noStore, 'rps')),
      '',
      ratio(httpPairedRatio(gate, noStore, 'cpuUs')),
      '',
    ])
  }
  for (const framework of http.options.frameworks) {
    const gate = findRow(http, framework, GATE_DISTINCT)
    const nocache = findRow(http, framework, GATE_NOCACHE)
    for (const peer of PEERS[framework]) {
      const row = findRow(http, framework, peer)
      const rps = httpPairedRatio(gate, row, 'rps')
      const cpu = httpPairedRatio(gate, row, 'cpuUs')
      targetRows.push([
        `distinct-token route ≥ 1.5 × peer (${framework} vs ${peer})`,
        `${fmt(rowMedian(gate, 'rps'))} vs ${fmt(rowMedian(row, 'rps'))} req/s; ${fmt(rowMedian(gate, 'cpuUs'), 1)} vs ${fmt(rowMedian(row, 'cpuUs'), 1)} µs/req. With \`cache: false\`: ${ratio(httpPairedRatio(nocache, row, 'rps'))} req/s, ${ratio(httpPairedRatio(nocache, row, 'cpuUs'))} by CPU`,
        ratio(rps),
        verdict(rps >= 1.5),
        ratio(cpu),
        verdict(cpu >= 1.5),
      ])
    }
  }
  const rtt = median(http.rtt.cold)
  for (const framework of http.options.frameworks) {
    const cold = median(http.cold[framework]?.gate ?? [])
    const bare = median(http.cold[framework]?.bare ?? [])
    targetRows.push([
      `cold start ≤ one JWKS round trip + 20 ms (${framework})`,
      `${fmt(cold, 1)} ms vs ${fmt(rtt, 1)} ms + 20 ms (warm round trip ${fmt(median(http.rtt.warm), 1)} ms); bare server's first 200: ${fmt(bare, 1)} ms`,
      `${cold - rtt >= 0 ? '+' : ''}${fmt(cold - rtt, 1)} ms`,
      verdict(cold <= rtt + 20),
      '',
      '',
    ])
  }
}
if (routes !== undefined) {
  // Not targets: the same comparison with the noise of separate load windows taken out (bench/route-cost.ts).
  const cost = (framework: string, route: string) =>
    routes?.find((r) => r.framework === framework && r.route === route) as RouteCost
  for (const framework of new Set(routes.map((r) => r.framework))) {
    const bare = cost(framework, 'bare')
    const gate = cost(framework, 'gate')
    const noStore = cost(framework, 'no-store')
    targetRows.push([
      `(context) repeated-token route inside the server, routes alternating request by request (${framework})`,
      `${fmt(gate.extra, 2)} µs over bare (${fmt(gate.extraMin, 2)} to ${fmt(gate.extraMax, 2)}), of which ${fmt(noStore.extra, 2)} µs for any middleware setting \`Cache-Control: no-store\`; bare ${fmt(bare.p50, 1)} µs from request to \`end()\``,
      '',
      '',
      '',
      '',
    ])
  }
}
if (memory !== undefined) {
  targetRows.push([
    `memory bounded over ${fmt(memory.options.tokens)} distinct tokens`,
    memory.verdict,
    '',
    verdict(memory.bounded),
    '',
    '',
  ])
}
const TARGET_HEADERS = [
  'target',
  'observed (medians)',
  'ratio',
  'verdict',
  'ratio by server CPU/req',
  'verdict by CPU',
]

// ---------------------------------------------------------------------------------------------------------
// RESULTS.md

const m = machine()
const pinning = hasTaskset()
  ? 'pinned with `taskset`'
  : '**unpinned** (`taskset` not available): numbers include scheduling noise across both cores'
const notes = [...(micro?.notes ?? []), ...(http?.notes ?? [])]
const method: string[] = []
if (micro !== undefined) {
  const o = micro.options
  method.push(
    `- **Micro**: one worker process ${micro.pinned ? 'pinned to core 1' : 'unpinned'}. Every verifier first verifies every token of its set once (a refusal aborts the run), then gets ${o.warmupMs} ms of unrecorded warm-up. ${o.rounds} rounds; in each round every variant runs for ${o.ms} ms of wall time in ${o.slices} slices, interleaved slice by slice (A B C … A B C …) so that the variants compared within a round meet the same load on the machine, the starting variant rotating each round, each slice after a full GC. Async verifiers (jose, oidc-gate) are awaited one at a time. Reported: the median over the rounds of verifications per second of the worker's CPU time (\`process.cpuUsage()\`, all threads, on its one core; the machine is shared, and CPU time leaves out the moments the worker is descheduled), the ratios (paired by round: the median over the rounds of variant / baseline measured in the same round), and for reference the median per second of wall time; spread = half the min–max range over the median.`,
  )
}
if (http !== undefined) {
  const o = http.options
  method.push(
    `- **HTTP**: each server in its own process ${http.pinned ? 'pinned to core 0' : 'unpinned'}, NODE_ENV=production, on 127.0.0.1; autocannon 9 in a long-lived process ${http.pinned ? 'pinned to core 1' : ''} with ${o.connections} connections, no pipelining; the issuer and the orchestration share core 1. Before any load every server answers 200 to valid tokens and (protected ones) 401 without a token; any non-2xx answer or socket error under load aborts the run. ${o.warmup} s of unrecorded load per variant, then ${o.rounds} rounds. The loads of the repeated-token target (bare, a pass-through middleware, a middleware that only sets \`Cache-Control: no-store\`, the gate with one token) are four routes of one server process (bench/route-server.ts), so that they differ by their route only, not by their process; each round starts with them as one block of half windows (${o.duration / 2} s) in a mirrored order (A B C D D C B A, rotating each round), so that each meets the same moments of the machine on average and a drift within the block cancels out of their ratios; then the other loads, ${o.duration} s each, in a rotating order. Distinct-token loads cycle ${fmt(o.distinct)} RS256 tokens with autocannon's \`setupRequest\`; repeated-token loads send one token as a static header (bare servers get the same header). Server CPU/request = \`process.cpuUsage()\` delta of the server process around the load window / completed requests; "server CPU" = that CPU time / the window's wall time (100% = core 0 saturated; lower means the server waited for the client or was descheduled).`,
    `- **Cold start**: a fresh oidc-gate server process (no \`warmup()\`), ${o.coldRuns} times per framework: from the server's \`listen\` callback (time printed by the server) to the first 200 received by the orchestrator, the first request sent as soon as the server reports it listens. The same for a fresh bare server, alternately, gives the framework's own first-request cost. One JWKS round trip: a fresh process pinned like the servers times its first \`fetch\` of the JWKS (that includes loading Node's fetch, as the server's first fetch does) and the median of 20 more (warm).`,
  )
}
if (routes !== undefined) {
  method.push(
    `- **Route cost inside the server** (bench/route-cost.ts): per framework, one server process pinned to core 0 with four routes (bare; a pass-through middleware; a middleware setting \`Cache-Control: no-store\` the cheapest way the framework allows, then passing on; the oidc-gate adapter), loaded by one autocannon connection (this process, core 1) cycling through the four routes request by request with the same token. The server times each request from its \`request\` event to the return of \`res.end()\`. Reported per route: the median over ${(quick ? QUICK_ROUTE_COST : FULL_ROUTE_COST).windows} windows of ${(quick ? QUICK_ROUTE_COST : FULL_ROUTE_COST).seconds} s of the per-window median, and the median and range over windows of (route − bare). The routes share every slow moment of the machine, so this isolates what a route adds; it leaves out what every route pays alike (parsing before the \`request\` event, the socket after \`end()\`).`,
  )
}
if (memory !== undefined) {
  const o = memory.options
  method.push(
    `- **Memory**: one process (\`--expose-gc\`, unpinned so Web Crypto's thread pool may use both cores) verifying ${fmt(o.tokens)} distinct ${o.alg} tokens, signed in the process with node:crypto and the issuer's exported key, ${o.concurrency} in flight; \`process.memoryUsage()\` after two full GCs every ${fmt(Math.floor(o.tokens / 10))} tokens. Bounded = heap growth < 8 MiB and RSS growth < 48 MiB between the third sample and the last.`,
  )
}

/** The heading of the hand-written record kept at the end of RESULTS.md across runs. */
const KEPT_HEADING = '## Kept across runs'

const sections: string[] = [
  `# Benchmark results`,
  `${quick ? '**Quick smoke run (`--quick`)**: short rounds, indicative only.' : '**Full run.**'} Generated by \`node --import tsx bench/run.ts${argv.length > 0 ? ` ${argv.join(' ')}` : ''}\`.`,
  `- Date: ${started.toISOString()} (took ${minutes.toFixed(1)} min)\n- CPU: ${m.cpu}, ${m.cores} cores, ${m.memory} RAM\n- Node: ${m.node}\n- OS: ${m.os}\n- Pinning: ${pinning}\n- The machine is shared and noisy: compare ratios measured in the same run, not absolute numbers across runs.`,
  `## Method\n\n${method.join('\n')}`,
]
if (targetRows.length > 0) {
  sections.push(`## Targets\n\n${table(TARGET_HEADERS, targetRows, 2)}`)
}
if (notes.length > 0) sections.push(`## Notes\n\n${notes.map((n) => `- ${n}`).join('\n')}`)
if (micro !== undefined)
  sections.push(`## Micro (verifications per second of CPU time, one pinned core)\n\n${microTables(micro)}`)
if (http !== undefined) {
  sections.push(`## HTTP (GET /hello)\n\n${httpTables(http)}`)
  sections.push(`## Cold start\n\n${coldTable(http)}`)
}
if (routes !== undefined) sections.push(`## Route cost inside the server\n\n${routeCostTable(routes)}`)
if (memory !== undefined) sections.push(`## Memory\n\n${memoryTable(memory)}`)

// A hand-written record at the end of the file (from KEPT_HEADING on) survives the regeneration.
const previous = existsSync(out) ? readFileSync(out, 'utf8') : ''
const kept = previous.indexOf(`\n${KEPT_HEADING}`)
if (kept !== -1) sections.push(previous.slice(kept + 1).trimEnd())

writeFileSync(out, `${sections.join('\n\n')}\n`)
if (targetRows.length > 0) console.log(`\n## Targets\n\n${table(TARGET_HEADERS, targetRows, 2)}`)
for (const note of notes) console.log(`\nnote: ${note}`)
console.log(`\nwrote ${out}`)
