/**
 * CPU profile of the uncached verification path: a worker verifies the micro benchmark's 1,000 distinct
 * tokens with `cache: false` for a fixed time under V8's sampling CPU profiler (the one `node --cpu-prof`
 * runs, started through `node:inspector` once the setup is done, so minting and key generation stay out
 * of it), writes the `.cpuprofile` (open it in Chrome DevTools), and the parent prints the top frames by
 * self time with the share of the run spent inside each (inclusive time).
 *
 *   node --import tsx bench/profile.ts [--alg RS256|ES256] [--ms N] [--top N] [--keep DIR]
 *
 * Like the micro benchmark, the worker runs pinned to core 1 and imports the built packages (dist).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { type Alg, buildGate, createFixture, mintDistinct } from './lib/fixtures.ts'
import { NodeChild } from './lib/proc.ts'
import { flag, hasFlag, isMain, table } from './lib/stats.ts'

interface ProfileNode {
  readonly id: number
  readonly callFrame: {
    readonly functionName: string
    readonly url: string
    readonly lineNumber: number
    readonly columnNumber: number
  }
  readonly children?: readonly number[]
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

/** One frame of the report: where a function is, its self time and inclusive time, as % of all samples. */
export interface Frame {
  readonly name: string
  readonly where: string
  readonly self: number
  readonly total: number
}

async function worker(argv: readonly string[]): Promise<void> {
  const alg = (flag(argv, 'alg') ?? 'RS256') as Alg
  const ms = Number(flag(argv, 'ms') ?? 5000)
  const out = flag(argv, 'out') as string
  const fixture = await createFixture(alg)
  const session = new Session()
  session.connect()
  try {
    const tokens = await mintDistinct(fixture, 1000)
    const { gate } = buildGate(fixture, false)
    await gate.warmup()
    // Warm-up: every token once, then a second of the loop, so the JIT has settled before sampling.
    for (const token of tokens) await gate.verify(token)
    const warm = performance.now() + 1000
    for (let j = 0; performance.now() < warm; j = j + 1 === tokens.length ? 0 : j + 1) {
      await gate.verify(tokens[j] as string)
    }
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
    await session.post('Profiler.start')
    let i = 0
    let ops = 0
    const end = performance.now() + ms
    while (performance.now() < end) {
      for (let k = 0; k < 64; k++) {
        await gate.verify(tokens[i] as string)
        i = i + 1 === tokens.length ? 0 : i + 1
      }
      ops += 64
    }
    const { profile } = await session.post('Profiler.stop')
    writeFileSync(out, JSON.stringify(profile))
    process.stdout.write(`OPS ${ops}\n`)
    gate.close()
  } finally {
    session.disconnect()
    await fixture.issuer.close()
  }
}

/** Self and inclusive time per function (by name and location), heaviest self time first. */
export function topFrames(profile: CpuProfile): Frame[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const key = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame
    const file = url === '' ? '' : `${basename(url)}:${lineNumber + 1}`
    return `${functionName || '(anonymous)'}\u0000${file}`
  }
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  for (const id of profile.samples) {
    const leaf = byId.get(id)
    if (leaf === undefined) continue
    self.set(key(leaf), (self.get(key(leaf)) ?? 0) + 1)
    // Inclusive: each function once per sample, however deep it recurses.
    const seen = new Set<string>()
    for (
      let node: ProfileNode | undefined = leaf;
      node !== undefined;
      node = byId.get(parent.get(node.id) ?? -1)
    ) {
      const k = key(node)
      if (seen.has(k)) continue
      seen.add(k)
      total.set(k, (total.get(k) ?? 0) + 1)
    }
  }
  const count = profile.samples.length
  return [...self.entries()]
    .map(([k, n]) => {
      const [name, where] = k.split('\u0000') as [string, string]
      return { name, where, self: (n / count) * 100, total: ((total.get(k) ?? 0) / count) * 100 }
    })
    .sort((a, b) => b.self - a.self)
}

/** Runs the worker under `--cpu-prof` and returns its top frames and verifications per second. */
export async function profileUncached(
  alg: Alg,
  ms: number,
  keep?: string,
): Promise<{ frames: Frame[]; opsPerSecond: number }> {
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'oidc-gate-profile-'))
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `uncached-${alg}.cpuprofile`)
  const child = new NodeChild('profile.ts', ['--worker', '--alg', alg, '--ms', String(ms), '--out', file], {
    core: 1,
  })
  try {
    const ops = Number(await child.next('OPS ', ms + 60_000))
    const code = await child.wait()
    if (code !== 0) throw new Error(`profile worker exited with code ${code}`)
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
    return { frames: topFrames(profile), opsPerSecond: ops / (ms / 1000) }
  } finally {
    await child.stop()
    if (keep === undefined) rmSync(dir, { recursive: true, force: true })
  }
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2)
  if (hasFlag(argv, 'worker')) {
    await worker(argv)
  } else {
    const alg = (flag(argv, 'alg') ?? 'RS256') as Alg
    const top = Number(flag(argv, 'top') ?? 25)
    const { frames, opsPerSecond } = await profileUncached(
      alg,
      Number(flag(argv, 'ms') ?? 5000),
      flag(argv, 'keep'),
    )
    console.log(
      `${alg}, cache: false, 1,000 distinct tokens: ${Math.round(opsPerSecond)} verifications/s (wall)\n`,
    )
    console.log(
      table(
        ['function', 'where', 'self %', 'total %'],
        frames.slice(0, top).map((f) => [f.name, f.where, f.self.toFixed(1), f.total.toFixed(1)]),
        2,
      ),
    )
  }
}
