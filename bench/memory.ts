/**
 * Memory benchmark: RSS and heap of one gate (cache on, `cache: { maxEntries: 10000 }`) while it verifies
 * N distinct ES256 tokens (default 1,000,000), sampled every N/10 after a full GC. The tokens are signed
 * here with node:crypto and the issuer's exported private key, in small batches verified as they are
 * made, so no token outlives its batch.
 *
 *   node --import tsx bench/memory.ts [--tokens N] [--quick] [--alg ES256|EdDSA]
 *
 * Runs in a child process (`--expose-gc`) so the numbers are this workload's only.
 */
import { createPrivateKey, type KeyObject, sign } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGate, type Gate, oidc } from '@oidc-gate/core'
import { createTestIssuer } from '@oidc-gate/testing'
import { NodeChild } from './lib/proc.ts'
import { flag, fmt, hasFlag, isMain, mib, table } from './lib/stats.ts'

export interface MemoryOptions {
  readonly tokens: number
  readonly alg: 'ES256' | 'EdDSA'
  /** Verifications in flight at once (Web Crypto runs them on libuv's thread pool). */
  readonly concurrency: number
}

export const QUICK_MEMORY: MemoryOptions = { tokens: 100_000, alg: 'ES256', concurrency: 32 }
export const FULL_MEMORY: MemoryOptions = { tokens: 1_000_000, alg: 'ES256', concurrency: 32 }

export interface MemorySample {
  readonly verified: number
  readonly seconds: number
  readonly rss: number
  readonly heapUsed: number
  readonly heapTotal: number
  readonly external: number
  readonly arrayBuffers: number
}

export interface MemoryResult {
  readonly options: MemoryOptions
  readonly gateLabel: string
  readonly samples: MemorySample[]
  readonly bounded: boolean
  readonly verdict: string
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})

async function worker(argv: readonly string[]): Promise<void> {
  const out = flag(argv, 'out') as string
  const options = JSON.parse(flag(argv, 'options') as string) as MemoryOptions
  const issuer = await createTestIssuer({ profile: 'oidc', algorithm: options.alg })
  let gate: Gate | undefined
  try {
    const keyFile = issuer.exportKeys()
    const entry = keyFile.keys.find((k) => k.kid === keyFile.current)
    if (entry === undefined) throw new Error('no current key in the key file')
    const privateKey: KeyObject = createPrivateKey({ key: entry.jwk as never, format: 'jwk' })
    const header = Buffer.from(JSON.stringify({ alg: options.alg, typ: 'at+jwt', kid: entry.kid })).toString(
      'base64url',
    )
    const iat = Math.floor(Date.now() / 1000)
    const exp = iat + 3 * 3600
    const mint = (i: number): string => {
      const claims = `{"iss":${JSON.stringify(issuer.issuer)},"sub":"user-${i}","aud":${JSON.stringify(issuer.audience)},"client_id":"client-1","scope":"read write","jti":"t-${i}","iat":${iat},"exp":${exp}}`
      const input = `${header}.${Buffer.from(claims).toString('base64url')}`
      const signature =
        options.alg === 'ES256'
          ? sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
          : sign(null, Buffer.from(input), privateKey)
      return `${input}.${signature.toString('base64url')}`
    }

    const profile = oidc({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: issuer.jwksUri,
      algorithms: [options.alg],
    })
    let gateLabel = 'oidc-gate, cache: { maxEntries: 10000 }'
    try {
      gate = createGate({ issuers: [profile], cache: { maxEntries: 10_000 } } as Parameters<
        typeof createGate
      >[0]) as Gate
    } catch (error) {
      if (!(error instanceof TypeError && /unknown option "cache"/.test(error.message))) throw error
      gate = createGate({ issuers: [profile] }) as Gate
      gateLabel = 'oidc-gate, default options (cache option not available)'
    }
    await gate.warmup()

    const every = Math.max(1, Math.floor(options.tokens / 10))
    const samples: MemorySample[] = []
    const started = performance.now()
    const sample = (verified: number) => {
      gc()
      gc()
      const m = process.memoryUsage()
      samples.push({
        verified,
        seconds: (performance.now() - started) / 1000,
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
      })
      process.stderr.write(
        `memory: ${fmt(verified)} verified, rss ${mib(m.rss)}, heap ${mib(m.heapUsed)}, ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
      )
    }
    sample(0)
    const g = gate
    let verified = 0
    while (verified < options.tokens) {
      const end = Math.min(options.tokens, verified + every)
      for (let i = verified; i < end; i += options.concurrency) {
        const batch: Promise<unknown>[] = []
        for (let j = i; j < Math.min(end, i + options.concurrency); j++) batch.push(g.verify(mint(j)))
        await Promise.all(batch)
      }
      verified = end
      sample(verified)
    }
    const first = samples[Math.min(2, samples.length - 1)] as MemorySample
    const last = samples[samples.length - 1] as MemorySample
    const heapGrowth = last.heapUsed - first.heapUsed
    const rssGrowth = last.rss - first.rss
    const bounded = heapGrowth < 8 * 1048576 && rssGrowth < 48 * 1048576
    const verdict = `heap after GC ${heapGrowth >= 0 ? '+' : ''}${mib(heapGrowth)}, RSS ${rssGrowth >= 0 ? '+' : ''}${mib(rssGrowth)} from ${fmt(first.verified)} to ${fmt(last.verified)} tokens (bounded: heap growth < 8 MiB and RSS growth < 48 MiB)`
    writeFileSync(out, JSON.stringify({ options, gateLabel, samples, bounded, verdict }))
  } finally {
    gate?.close()
    await issuer.close()
  }
}

export async function runMemory(options: MemoryOptions): Promise<MemoryResult> {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-gate-memory-'))
  const out = join(dir, 'result.json')
  const child = new NodeChild(
    'memory.ts',
    ['--worker', '--out', out, '--options', JSON.stringify(options)],
    {},
    ['--expose-gc'],
  )
  try {
    const code = await child.wait()
    if (code !== 0) throw new Error(`memory worker exited with code ${code}`)
    return JSON.parse(readFileSync(out, 'utf8')) as MemoryResult
  } finally {
    await child.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

export function memoryTable(result: MemoryResult): string {
  const rows = result.samples.map((s) => [
    fmt(s.verified),
    s.seconds.toFixed(1),
    mib(s.rss),
    mib(s.heapUsed),
    mib(s.heapTotal),
    mib(s.external),
  ])
  return `${result.gateLabel}, ${result.options.alg}, ${fmt(result.options.tokens)} distinct tokens, ${result.options.concurrency} verifications in flight\n\n${table(['tokens verified', 'elapsed s', 'RSS', 'heap used (after GC)', 'heap total', 'external'], rows)}\n\n${result.bounded ? 'Bounded' : 'NOT bounded'}: ${result.verdict}.`
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2)
  if (hasFlag(argv, 'worker')) {
    await worker(argv)
  } else {
    const base = hasFlag(argv, 'quick') ? QUICK_MEMORY : FULL_MEMORY
    const options: MemoryOptions = {
      ...base,
      tokens: Number(flag(argv, 'tokens') ?? base.tokens),
      alg: (flag(argv, 'alg') as MemoryOptions['alg'] | undefined) ?? base.alg,
    }
    const result = await runMemory(options)
    console.log(memoryTable(result))
  }
}
