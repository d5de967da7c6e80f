/**
 * The oidc-gate demo: starts a local Vercel-compatible issuer, mints good and bad tokens, and shows how
 * the gate answers each one. Runs offline; exits 0 when every answer is the expected one.
 */

import { createGate, type GateError, type GateRequest, vercel } from '@oidc-gate/core'
import { createTestIssuer } from '@oidc-gate/testing'

const issuer = await createTestIssuer({ team: 'acme' })
const attacker = await createTestIssuer({ team: 'acme' })
const gate = createGate({
  issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
  policy: { environment: ['production', 'preview'] },
})

const bearer = (token: string): GateRequest => ({
  method: 'GET',
  url: '/api/orders',
  headers: { authorization: `Bearer ${token}` },
})

interface Case {
  readonly name: string
  readonly expect: number
  readonly request: GateRequest
}

const cases: Case[] = [
  { name: 'production token of project web', expect: 200, request: bearer(await issuer.mint()) },
  {
    name: 'preview token',
    expect: 200,
    request: bearer(await issuer.mint({ environment: 'preview' })),
  },
  {
    name: 'development token (policy refuses)',
    expect: 403,
    request: bearer(await issuer.mint({ environment: 'development' })),
  },
  { name: 'expired token', expect: 401, request: bearer(await issuer.mint({}, { expired: true })) },
  {
    name: 'token for another audience',
    expect: 401,
    request: bearer(await issuer.mint({ aud: 'https://vercel.com/other' })),
  },
  {
    name: 'token of another team',
    expect: 401,
    request: bearer(await issuer.mint({ owner: 'other', iss: `${issuer.url}/other` })),
  },
  {
    name: 'forged: signed by an unknown key with the real kid',
    expect: 401,
    request: bearer(await attacker.mint({ iss: issuer.issuer }, { header: { kid: issuer.kid } })),
  },
  {
    name: 'alg none',
    expect: 401,
    request: bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${(await issuer.mint()).split('.')[1]}.`),
  },
  { name: 'no Authorization header', expect: 401, request: { method: 'GET', url: '/', headers: {} } },
  {
    name: 'two Authorization lines',
    expect: 400,
    request: {
      method: 'GET',
      url: '/',
      headers: {},
      rawHeaders: ['Authorization', 'Bearer a.b.c', 'Authorization', 'Bearer d.e.f'],
    },
  },
  {
    name: 'Basic credentials',
    expect: 401,
    request: { method: 'GET', url: '/', headers: { authorization: 'Basic dTpw' } },
  },
]

const rows: string[][] = []
let failures = 0
for (const c of cases) {
  let status: number
  let detail: string
  try {
    const auth = await gate.authenticate(c.request)
    status = 200
    detail = `${auth.vercel.project} (${auth.vercel.environment})`
  } catch (error) {
    const e = error as GateError
    status = e.status
    detail = `${e.reason}: ${e.headers['www-authenticate'] ?? ''}`
  }
  const ok = status === c.expect
  if (!ok) failures++
  rows.push([ok ? 'ok' : 'UNEXPECTED', c.name, String(status), detail])
}

gate.close()
await Promise.all([issuer.close(), attacker.close()])

console.log(`oidc-gate demo: local issuer ${issuer.issuer}, policy environment ∈ {production, preview}\n`)
console.log(table(['', 'case', 'status', 'why'], rows))
console.log(failures === 0 ? '\nEvery answer is the expected one.' : `\n${failures} unexpected answer(s).`)
process.exitCode = failures === 0 ? 0 : 1

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

function table(head: string[], body: string[][]): string {
  const all = [head, ...body]
  const widths = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) =>
    r
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}
