/**
 * The oidc-gate demo (`pnpm demo`): starts a local Vercel-compatible issuer, shows how the core answers
 * good and bad tokens, then starts the four example APIs (Express, Fastify, Hono, Koa) against that issuer
 * and calls each over HTTP, as a Vercel deployment would, with the token from `@vercel/oidc`. Runs offline;
 * exits 0 when every answer is the expected one, and leaves no process behind.
 */

import { createGate, type GateError, type GateRequest, vercel } from '@oidc-gate/core'
import { type Identity, routes } from '@oidc-gate/example-support'
import {
  EXAMPLES,
  ExampleStartError,
  type RunningExample,
  startExample,
  stopAll,
} from '@oidc-gate/example-support/process'
import { createTestIssuer } from '@oidc-gate/testing'
import { getVercelOidcToken } from '@vercel/oidc'

const startedAt = Date.now()
const issuer = await createTestIssuer({ team: 'acme' })
const attacker = await createTestIssuer({ team: 'acme' })
const apis: RunningExample[] = []
let failures = 0
let interrupted = false

let cleaning: Promise<void> | undefined
// Stops the APIs (SIGTERM, by pid; SIGKILL after 5 s) and the issuers. Safe to call twice.
const cleanup = () => {
  cleaning ??= (async () => {
    const exits = await Promise.all(apis.map((api) => stop(api)))
    await stopAll('SIGKILL') // any API still starting
    await Promise.all([issuer.close(), attacker.close()])
    const unclean = apis.filter((_, i) => exits[i] !== 0).map((api) => api.name)
    if (unclean.length > 0) {
      failures++
      console.log(`\nNot stopped cleanly: ${unclean.join(', ')}.`)
    }
  })()
  return cleaning
}
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    interrupted = true
    console.log(`\n${signal}: stopping`)
    cleanup().finally(() => process.exit(code))
  })
}

try {
  console.log(`oidc-gate demo: local issuer ${issuer.issuer}\n`)
  await coreSection()
  await apiSection()
} catch (error) {
  failures++
  if (!interrupted) console.error(error instanceof ExampleStartError ? error.message : error)
} finally {
  await cleanup()
}

console.log(
  failures === 0
    ? `\nEvery answer is the expected one (${((Date.now() - startedAt) / 1000).toFixed(1)} s).`
    : `\n${failures} unexpected result(s).`,
)
process.exitCode = failures === 0 ? 0 : 1

/** 1. The core alone: `gate.authenticate()` on requests, no HTTP server. */
async function coreSection(): Promise<void> {
  const gate = createGate({
    issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
    policy: { environment: ['production', 'preview'] },
  })
  const bearer = (token: string): GateRequest => ({
    method: 'GET',
    url: '/',
    headers: { authorization: `Bearer ${token}` },
  })
  const cases: [name: string, expect: number, request: GateRequest][] = [
    ['production token of project web', 200, bearer(await issuer.mint())],
    ['preview token', 200, bearer(await issuer.mint({ environment: 'preview' }))],
    ['development token (policy refuses)', 403, bearer(await issuer.mint({ environment: 'development' }))],
    ['expired token', 401, bearer(await issuer.mint({}, { expired: true }))],
    ['token for another audience', 401, bearer(await issuer.mint({ aud: 'https://vercel.com/other' }))],
    ['token of another team', 401, bearer(await issuer.mint({ owner: 'other', iss: `${issuer.url}/other` }))],
    [
      'forged: signed by an unknown key with the real kid',
      401,
      bearer(await attacker.mint({ iss: issuer.issuer }, { header: { kid: issuer.kid } })),
    ],
    ['alg none', 401, bearer(`${b64({ alg: 'none', typ: 'JWT' })}.${(await issuer.mint()).split('.')[1]}.`)],
    ['no Authorization header', 401, { method: 'GET', url: '/', headers: {} }],
    [
      'two Authorization lines',
      400,
      {
        method: 'GET',
        url: '/',
        headers: {},
        rawHeaders: ['Authorization', 'Bearer a.b.c', 'Authorization', 'Bearer d.e.f'],
      },
    ],
    ['Basic credentials', 401, { method: 'GET', url: '/', headers: { authorization: 'Basic dTpw' } }],
  ]

  const rows: string[][] = []
  for (const [name, expected, request] of cases) {
    let status: number
    let detail: string
    try {
      const auth = await gate.authenticate(request)
      status = 200
      detail = `${auth.vercel.project} (${auth.vercel.environment})`
    } catch (error) {
      const e = error as GateError
      status = e.status
      detail = `${e.reason}: ${e.headers['www-authenticate'] ?? ''}`
    }
    rows.push(check(name, expected, status, detail))
  }
  gate.close()

  console.log('1. The core alone: gate.authenticate(), policy environment ∈ {production, preview}\n')
  console.log(table(['', 'case', 'expected', 'status', 'why'], rows))
}

/** 2. The four example APIs as real processes, called over HTTP. */
async function apiSection(): Promise<void> {
  const results = await Promise.allSettled(
    EXAMPLES.map(async (name) => {
      const api = await startExample(name, {
        env: { OIDC_GATE_BASE_URL: issuer.url, OIDC_GATE_TEAM: 'acme' },
      })
      apis.push(api)
      return api
    }),
  )
  for (const result of results) if (result.status === 'rejected') throw result.reason

  // The caller's side, as in a Vercel function: @vercel/oidc reads VERCEL_OIDC_TOKEN. The token is fresh
  // (valid 1 h), so it returns it as is and never tries to refresh it over the network.
  delete process.env.VERCEL_OIDC_TOKEN_FILE
  process.env.VERCEL_OIDC_TOKEN = await issuer.mint({ project: 'web', environment: 'production' })
  const token = await getVercelOidcToken()

  const preview = await issuer.mint({ environment: 'preview' })
  const expired = await issuer.mint({}, { expired: true })
  const forged = await attacker.mint({ iss: issuer.issuer }, { header: { kid: issuer.kid } })
  const cases = [
    ['allowed: whoami, token from getVercelOidcToken()', 200, routes.whoami, token],
    ['allowed: deploy, production token', 200, routes.deploy, token],
    ['denied by policy: deploy, preview token', 403, routes.deploy, preview],
    ['expired: whoami, expired token', 401, routes.whoami, expired],
    ['forged: whoami, unknown key with the real kid', 401, routes.whoami, forged],
    ['missing: whoami, no Authorization header', 401, routes.whoami, undefined],
  ] as const

  console.log(
    `\n2. The example APIs over HTTP (examples/<framework>/src/server.ts), same issuer; ` +
      `${routes.deploy.method} ${routes.deploy.path} needs environment production`,
  )
  for (const api of apis.sort((a, b) => EXAMPLES.indexOf(a.name) - EXAMPLES.indexOf(b.name))) {
    const rows: string[][] = []
    for (const [name, expected, route, bearer] of cases) {
      const res = await fetch(api.url + route.path, {
        method: route.method,
        headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
      })
      const body = await res.text()
      rows.push(check(name, expected, res.status, answer(res, body)))
    }
    console.log(`\n${api.name}  ${api.url}`)
    console.log(table(['', 'case', 'expected', 'status', 'WWW-Authenticate or body'], rows))
  }
}

/** What a response says: its challenge, else its body (the caller's identity, for whoami). */
function answer(res: Response, body: string): string {
  const challenge = res.headers.get('www-authenticate')
  if (challenge !== null) return challenge
  if (!res.ok) return body
  const json = JSON.parse(body) as Partial<Identity> & { deployed?: boolean }
  if (json.deployed === true) return `deployed ${json.project}`
  return `${json.owner}/${json.project} (${json.projectId}), ${json.environment}`
}

function check(name: string, expected: number, status: number, detail: string): string[] {
  const ok = status === expected
  if (!ok) failures++
  return [ok ? 'ok' : 'UNEXPECTED', name, String(expected), String(status), detail]
}

async function stop(api: RunningExample): Promise<number | null> {
  const timer = setTimeout(() => api.stop('SIGKILL'), 5000)
  const exit = await api.stop('SIGTERM')
  clearTimeout(timer)
  return exit.code
}

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
