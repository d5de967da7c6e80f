/**
 * Micro benchmark: verifications per second on one core, RS256 and ES256, one token repeated and 1,000
 * distinct tokens cycled, against the node:crypto floor and popular JWT libraries.
 *
 *   node --import tsx bench/micro.ts [--quick] [--rounds N] [--ms N] [--slices N]
 *
 * The parent spawns one worker pinned to core 1 (`taskset -c 1`) that runs every variant for a fixed time
 * per round, interleaved in short slices (A B C … A B C …, the order rotating each round) so that variants
 * compared within a round met the same load on the machine, and reports ops/s per round; the parent prints
 * medians and ratios.
 */
import { verify as cryptoVerify } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JwtVerifier } from 'aws-jwt-verify'
import { createVerifier } from 'fast-jwt'
import { createLocalJWKSet, jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import { type Alg, buildGate, createFixture, type Fixture, mintDistinct } from './lib/fixtures.ts'
import { createFloorVerifier } from './lib/floor.ts'
import { hasTaskset, NodeChild } from './lib/proc.ts'
import { flag, fmt, hasFlag, isMain, median, ratio, spread, table } from './lib/stats.ts'

export const ALGS: readonly Alg[] = ['RS256', 'ES256']
export const SETS = ['repeated', 'distinct'] as const
export type TokenSet = (typeof SETS)[number]

export const FLOOR = 'node:crypto minimal JWT floor'
export const RAW = 'node:crypto verify() (signature only)'
export const JOSE = 'jose jwtVerify (local JWKS)'

export interface MicroOptions {
  readonly rounds: number
  /** Time per variant and round, ms, split into `slices` interleaved slices. */
  readonly ms: number
  readonly slices: number
  readonly warmupMs: number
  readonly distinct: number
}

/** What a variant stands for in the ratios and targets. */
export type Role = 'raw' | 'floor' | 'jose' | 'peer' | 'gate-uncached' | 'gate-cached'

export interface MicroCell {
  readonly alg: Alg
  readonly set: TokenSet
  readonly variant: string
  readonly role: Role
  /** Per round: verifications per second of CPU time of the worker (all its threads, on its one core). */
  readonly rounds: number[]
  /** Per round: verifications per second of wall time. */
  readonly wall: number[]
}

export interface MicroResult {
  readonly options: MicroOptions
  readonly pinned: boolean
  readonly notes: string[]
  readonly cells: MicroCell[]
}

export const QUICK_MICRO: MicroOptions = { rounds: 3, ms: 200, slices: 2, warmupMs: 200, distinct: 1000 }
export const FULL_MICRO: MicroOptions = { rounds: 9, ms: 500, slices: 5, warmupMs: 500, distinct: 1000 }

// ---------------------------------------------------------------------------------------------------------
// Worker: builds the verifiers and times them.

interface Variant {
  readonly name: string
  readonly role: Role
  readonly async: boolean
  /** Verifies token number `i` of the set; returns something truthy for a valid token. */
  readonly make: (tokens: readonly string[]) => (i: number) => unknown
}

async function variantsFor(fixture: Fixture, notes: string[]): Promise<Variant[]> {
  const { issuer, key, pem, alg, jwks } = fixture
  const iss = issuer.issuer
  const aud = issuer.audience
  const keyArg = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key
  const floor = createFloorVerifier({ key, alg, issuer: iss, audience: aud })
  const localJwks = createLocalJWKSet(jwks as never)
  const fast = createVerifier({ key: pem, algorithms: [alg], allowedIss: iss, allowedAud: aud })
  const aws = JwtVerifier.create({ issuer: iss, audience: aud, jwksUri: issuer.jwksUri })
  aws.cacheJwks(jwks as never)

  const uncached = buildGate(fixture, false)
  const cached = buildGate(fixture, { maxEntries: 10_000 })
  await uncached.gate.warmup()
  await cached.gate.warmup()
  const uncachedName = uncached.cacheOption ? 'oidc-gate uncached' : 'oidc-gate (cache option not available)'
  const cachedName = cached.cacheOption
    ? 'oidc-gate cached'
    : 'oidc-gate default (cache option not available)'
  if (!uncached.cacheOption) {
    const note =
      'createGate() refused the `cache` option: both oidc-gate variants run with the default options.'
    if (!notes.includes(note)) notes.push(note)
  }

  return [
    {
      name: RAW,
      role: 'raw',
      async: false,
      make: (tokens) => {
        // Signature only: the signing input and signature are split and decoded ahead of time.
        const inputs = tokens.map((t) => Buffer.from(t.slice(0, t.lastIndexOf('.')), 'latin1'))
        const sigs = tokens.map((t) => Buffer.from(t.slice(t.lastIndexOf('.') + 1), 'base64url'))
        return (i) => cryptoVerify('sha256', inputs[i] as Buffer, keyArg, sigs[i] as Buffer)
      },
    },
    { name: FLOOR, role: 'floor', async: false, make: (tokens) => (i) => floor(tokens[i] as string) },
    {
      name: JOSE,
      role: 'jose',
      async: true,
      make: (tokens) => (i) =>
        jwtVerify(tokens[i] as string, localJwks, { issuer: iss, audience: aud, algorithms: [alg] }),
    },
    {
      name: 'fast-jwt createVerifier',
      role: 'peer',
      async: false,
      make: (tokens) => (i) => fast(tokens[i] as string),
    },
    {
      name: 'aws-jwt-verify verifySync (cacheJwks)',
      role: 'peer',
      async: false,
      make: (tokens) => (i) => aws.verifySync(tokens[i] as string),
    },
    {
      name: 'jsonwebtoken verify (PEM)',
      role: 'peer',
      async: false,
      make: (tokens) => (i) =>
        jsonwebtoken.verify(tokens[i] as string, pem, { algorithms: [alg], issuer: iss, audience: aud }),
    },
    {
      name: uncachedName,
      role: 'gate-uncached',
      async: true,
      make: (tokens) => (i) => uncached.gate.verify(tokens[i] as string),
    },
    {
      name: cachedName,
      role: 'gate-cached',
      async: true,
      make: (tokens) => (i) => cached.gate.verify(tokens[i] as string),
    },
  ]
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

/** Verifications done, and the wall time and this process's CPU time they took, in seconds. */
interface Timing {
  readonly ops: number
  readonly wall: number
  readonly cpu: number
}

/**
 * Runs `fn` over the set for `ms` of wall time. On a shared machine the worker is regularly descheduled:
 * CPU time leaves those gaps out, so ops per CPU-second is the steadier "one core" throughput.
 */
async function timeIt(fn: (i: number) => unknown, isAsync: boolean, n: number, ms: number): Promise<Timing> {
  const BATCH = 16
  let i = 0
  let ops = 0
  let sink = 0
  const cpu0 = process.cpuUsage()
  const start = performance.now()
  const end = start + ms
  let now = start
  if (isAsync) {
    while (now < end) {
      for (let k = 0; k < BATCH; k++) {
        if (await fn(i)) sink++
        i = i + 1 === n ? 0 : i + 1
      }
      ops += BATCH
      now = performance.now()
    }
  } else {
    while (now < end) {
      for (let k = 0; k < BATCH; k++) {
        if (fn(i)) sink++
        i = i + 1 === n ? 0 : i + 1
      }
      ops += BATCH
      now = performance.now()
    }
  }
  const cpu = process.cpuUsage(cpu0)
  if (sink !== ops) throw new Error('a verification returned a falsy result during timing')
  return { ops, wall: (now - start) / 1000, cpu: (cpu.user + cpu.system) / 1e6 }
}

async function worker(argv: readonly string[]): Promise<void> {
  const out = flag(argv, 'out') as string
  const options: MicroOptions = JSON.parse(flag(argv, 'options') as string)
  const notes: string[] = []
  const cells: MicroCell[] = []
  const fixtures: Fixture[] = []
  try {
    const plans: Array<{ alg: Alg; set: TokenSet; tokens: string[]; variants: Variant[] }> = []
    for (const alg of ALGS) {
      const fixture = await createFixture(alg)
      fixtures.push(fixture)
      const distinct = await mintDistinct(fixture, options.distinct)
      const repeated = [distinct[0] as string]
      const variants = await variantsFor(fixture, notes)
      plans.push({ alg, set: 'repeated', tokens: repeated, variants })
      plans.push({ alg, set: 'distinct', tokens: distinct, variants })
    }

    // Prepare every function and check it accepts every token once (the checks also warm the caches).
    const prepared = plans.map((plan) => ({
      ...plan,
      fns: plan.variants.map((v) => ({ v, fn: v.make(plan.tokens) })),
    }))
    for (const plan of prepared) {
      for (const { v, fn } of plan.fns) {
        for (let i = 0; i < plan.tokens.length; i++) {
          let result: unknown
          try {
            result = await fn(i)
          } catch (error) {
            throw new Error(`${v.name} (${plan.alg}) refused valid token #${i}: ${String(error)}`)
          }
          if (!result)
            throw new Error(`${v.name} (${plan.alg}) returned ${String(result)} for valid token #${i}`)
        }
        cells.push({ alg: plan.alg, set: plan.set, variant: v.name, role: v.role, rounds: [], wall: [] })
        // Warm-up: lets the JIT settle before the measured rounds.
        await timeIt(fn, v.async, plan.tokens.length, options.warmupMs)
      }
    }

    for (let round = 0; round < options.rounds; round++) {
      for (const plan of prepared) {
        const count = plan.fns.length
        const totals = plan.fns.map(() => ({ ops: 0, wall: 0, cpu: 0 }))
        for (let slice = 0; slice < options.slices; slice++) {
          for (let k = 0; k < count; k++) {
            // Interleaved, with the starting variant rotating each round so no variant always goes first.
            const index = (k + round) % count
            const { v, fn } = plan.fns[index] as (typeof plan.fns)[number]
            gc()
            const t = await timeIt(fn, v.async, plan.tokens.length, options.ms / options.slices)
            const total = totals[index] as { ops: number; wall: number; cpu: number }
            total.ops += t.ops
            total.wall += t.wall
            total.cpu += t.cpu
          }
        }
        for (const [index, { v }] of plan.fns.entries()) {
          const total = totals[index] as { ops: number; wall: number; cpu: number }
          const cell = cells.find((c) => c.alg === plan.alg && c.set === plan.set && c.variant === v.name)
          cell?.rounds.push(total.ops / total.cpu)
          cell?.wall.push(total.ops / total.wall)
        }
      }
      process.stderr.write(`micro: round ${round + 1}/${options.rounds} done\n`)
    }
    writeFileSync(out, JSON.stringify({ notes, cells }))
  } finally {
    for (const f of fixtures) await f.issuer.close()
  }
}

// ---------------------------------------------------------------------------------------------------------
// Parent.

export async function runMicro(options: MicroOptions): Promise<MicroResult> {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-gate-micro-'))
  const out = join(dir, 'result.json')
  const pinned = hasTaskset()
  const child = new NodeChild(
    'micro.ts',
    ['--worker', '--out', out, '--options', JSON.stringify(options)],
    { core: 1 },
    ['--expose-gc'],
  )
  try {
    const code = await child.wait()
    if (code !== 0) throw new Error(`micro worker exited with code ${code}`)
    const data = JSON.parse(readFileSync(out, 'utf8')) as { notes: string[]; cells: MicroCell[] }
    const notes = [...data.notes]
    if (!pinned) notes.push('taskset not available: the worker ran unpinned.')
    return { options, pinned, notes, cells: data.cells }
  } finally {
    await child.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

export function findCell(result: MicroResult, alg: Alg, set: TokenSet, role: Role): MicroCell | undefined {
  return result.cells.find((c) => c.alg === alg && c.set === set && c.role === role)
}

/**
 * The ratio of `role` to `baseline`, paired by round: the median over the rounds of (variant in round r) /
 * (baseline in round r). Both ran within the same round, so slow drifts of the machine cancel out.
 */
export function pairedRatio(
  result: MicroResult,
  alg: Alg,
  set: TokenSet,
  role: Role,
  baseline: Role,
): number {
  const a = findCell(result, alg, set, role)
  const b = findCell(result, alg, set, baseline)
  if (a === undefined || b === undefined) return Number.NaN
  return median(a.rounds.map((value, r) => value / (b.rounds[r] as number)))
}

/** The median ops/s of the variant with `role`. */
export function microCell(result: MicroResult, alg: Alg, set: TokenSet, role: Role): number {
  const cell = findCell(result, alg, set, role)
  return cell === undefined ? Number.NaN : median(cell.rounds)
}

export function microTables(result: MicroResult): string {
  const parts: string[] = []
  for (const alg of ALGS) {
    for (const set of SETS) {
      const cells = result.cells.filter((c) => c.alg === alg && c.set === set)
      const rows = cells.map((c) => {
        const m = median(c.rounds)
        const paired = (baseline: Role) =>
          ratio(
            median(c.rounds.map((v, r) => v / (findCell(result, alg, set, baseline)?.rounds[r] as number))),
          )
        return [
          c.variant,
          fmt(m),
          `±${spread(c.rounds).toFixed(0)}%`,
          fmt(1e6 / m, 1),
          fmt(median(c.wall)),
          paired('floor'),
          paired('jose'),
        ]
      })
      const title =
        set === 'repeated' ? 'one token repeated' : `${fmt(result.options.distinct)} distinct tokens, cycled`
      parts.push(
        `**${alg}, ${title}**\n\n${table(
          [
            'variant',
            'ops per CPU-second (median)',
            'spread',
            'CPU µs/op',
            'ops/s wall (median)',
            'vs floor',
            'vs jose',
          ],
          rows,
        )}`,
      )
    }
  }
  return parts.join('\n\n')
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2)
  if (hasFlag(argv, 'worker')) {
    await worker(argv)
  } else {
    const base = hasFlag(argv, 'quick') ? QUICK_MICRO : FULL_MICRO
    const options: MicroOptions = {
      ...base,
      rounds: Number(flag(argv, 'rounds') ?? base.rounds),
      ms: Number(flag(argv, 'ms') ?? base.ms),
      slices: Number(flag(argv, 'slices') ?? base.slices),
    }
    const result = await runMicro(options)
    console.log(microTables(result))
    for (const note of result.notes) console.log(`\nnote: ${note}`)
  }
}
