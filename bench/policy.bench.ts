/**
 * Policy benchmark: evaluations per second of a realistic Vercel policy, compiled (`compilePolicy`) and
 * interpreted (a plain interpreter that walks the JSON on every call, the reference interpreter of
 * `packages/core/test/policy-property.test.ts`), against one RS256 signature verification with
 * `node:crypto` `verify()` on a 2048-bit key, in the same process. Prints the median of several rounds
 * and the ratio compiled-evaluation time / RS256-verification time (target: below 1%).
 *
 *   node --import tsx bench/policy.bench.ts [--rounds N] [--ms N]
 *
 * Imports the policy module from source, so no build is needed.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto'
import { compilePolicy, type Policy } from '../packages/core/src/policy/index.ts'

// --- the workload -----------------------------------------------------------------------------------

/** Production of three projects, previews of the team's `acme-*` projects except the sandboxes. */
const policy: Policy = {
  anyOf: [
    { owner_id: 'team_acme', project_id: ['prj_web', 'prj_api', 'prj_worker'], environment: 'production' },
    {
      allOf: [
        { owner_id: 'team_acme', environment: 'preview', project: { glob: 'acme-*' } },
        { not: { project_id: ['prj_sandbox_1', 'prj_sandbox_2'] } },
      ],
    },
  ],
}

/** A preview token of `acme-web`: the first branch fails on project_id, the second one matches. */
const claims: Record<string, unknown> = {
  iss: 'https://oidc.vercel.com/acme',
  sub: 'owner:acme:project:acme-web:environment:preview',
  scope: 'owner:acme:project:acme-web:environment:preview',
  aud: 'https://vercel.com/acme',
  owner: 'acme',
  owner_id: 'team_acme',
  project: 'acme-web',
  project_id: 'prj_acmeweb',
  environment: 'preview',
  plan: 'pro',
  nbf: 1_750_000_000,
  iat: 1_750_000_000,
  exp: 1_750_003_600,
}

/** The same token from a sandbox project: denied by the `not`. */
const denied = { ...claims, project: 'acme-sandbox', project_id: 'prj_sandbox_1' }

// --- the interpreter: walks the JSON on every call (same as the test suite's reference) --------------

function read(input: unknown, path: string): unknown {
  let value = input
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) {
      return undefined
    }
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

function holds(condition: unknown, value: unknown): boolean {
  if (typeof condition === 'string') return value === condition
  if (Array.isArray(condition)) return condition.includes(value)
  const op = condition as Record<string, unknown>
  if ('equals' in op) return value === op.equals
  if ('glob' in op) {
    const source = (op.glob as string).replace(/[.+^${}()|[\]\\/-]/g, '\\$&')
    return (
      typeof value === 'string' &&
      new RegExp(`^${source.replaceAll('*', '.*').replaceAll('?', '.')}$`, 's').test(value)
    )
  }
  if ('includes' in op) {
    const have = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value : []
    return ([] as unknown[]).concat(op.includes).every((token) => have.includes(token))
  }
  if ('exists' in op) return (value !== undefined && value !== null) === op.exists
  throw new Error('unknown condition')
}

function interpret(node: unknown, input: unknown): boolean {
  const p = node as Record<string, unknown>
  if ('anyOf' in p) return (p.anyOf as unknown[]).some((item) => interpret(item, input))
  if ('allOf' in p) return (p.allOf as unknown[]).every((item) => interpret(item, input))
  if ('not' in p) return !interpret(p.not, input)
  return Object.entries(p).every(([path, condition]) => holds(condition, read(input, path)))
}

// --- RS256 ----------------------------------------------------------------------------------------------

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url')
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const signingInput = Buffer.from(
  `${b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'mrk-0123456789abcdef0123456789abcdef' }))}.${b64url(JSON.stringify(claims))}`,
)
const signature = sign('sha256', signingInput, privateKey)

// --- measurement ------------------------------------------------------------------------------------------

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`)
  const value = index === -1 ? undefined : Number(process.argv[index + 1])
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback
}

const rounds = argument('rounds', 7)
const roundMs = argument('ms', 500)

let sink = 0

/** Runs `fn` in batches for about `ms` milliseconds; returns nanoseconds per call. */
function measure(fn: () => boolean, ms: number): number {
  let calls = 0
  let batch = 1
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(ms) * 1_000_000n
  let now = start
  while (now < deadline) {
    for (let i = 0; i < batch; i++) if (fn()) sink++
    calls += batch
    if (batch < 1_000_000) batch *= 2
    now = process.hrtime.bigint()
  }
  return Number(now - start) / calls
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

const compiled = compilePolicy(policy, { profile: 'vercel' })
if (
  !compiled.test(claims) ||
  compiled.test(denied) ||
  !interpret(policy, claims) ||
  interpret(policy, denied)
) {
  throw new Error('the policy does not decide as expected')
}
if (!verify('sha256', signingInput, publicKey, signature)) throw new Error('RS256 verification failed')

const variants: Record<string, () => boolean> = {
  'compiled test(), allowed': () => compiled.test(claims),
  'compiled test(), denied': () => compiled.test(denied),
  'interpreted, allowed': () => interpret(policy, claims),
  'interpreted, denied': () => interpret(policy, denied),
  'compiled explain(), denied': () => compiled.explain(denied).allowed,
  'RS256 verify() (node:crypto, 2048-bit)': () => verify('sha256', signingInput, publicKey, signature),
}
const names = Object.keys(variants)
const results = new Map<string, number[]>(names.map((name) => [name, []]))

for (const name of names) measure(variants[name]!, Math.min(roundMs, 300)) // warm-up
for (let round = 0; round < rounds; round++) {
  // Rotate the order each round so that no variant always runs first.
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + round) % names.length]!
    results.get(name)!.push(measure(variants[name]!, roundMs))
  }
}

const ns = (name: string): number => median(results.get(name)!)
const rows = names.map((name) => {
  const perCall = ns(name)
  return `| ${name.padEnd(40)} | ${perCall.toFixed(1).padStart(10)} | ${Math.round(1e9 / perCall)
    .toLocaleString('en-US')
    .padStart(14)} |`
})
const rs256 = ns('RS256 verify() (node:crypto, 2048-bit)')
const compiledAllowed = ns('compiled test(), allowed')

console.log(`policy benchmark: node ${process.version}, ${rounds} rounds of ${roundMs} ms, medians`)
console.log()
console.log(`| ${'variant'.padEnd(40)} | ${'ns/call'.padStart(10)} | ${'calls/s'.padStart(14)} |`)
console.log(`| ${'-'.repeat(40)} | ${'-'.repeat(9)}: | ${'-'.repeat(13)}: |`)
for (const row of rows) console.log(row)
console.log()
console.log(
  `compiled vs interpreted (allowed): ${(ns('interpreted, allowed') / compiledAllowed).toFixed(1)}× faster`,
)
console.log(
  `compiled evaluation / RS256 verification: ${((compiledAllowed / rs256) * 100).toFixed(3)}% (allowed), ` +
    `${((ns('compiled test(), denied') / rs256) * 100).toFixed(3)}% (denied); target < 1%`,
)
if (sink === 0) console.log('(unreachable)')
