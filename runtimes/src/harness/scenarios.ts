/**
 * The scenarios every runtime runs, against the built `@oidc-gate/core` and `@oidc-gate/hono`: a gate for
 * the Vercel profile and one for `oidc()`, refusals with the right `GateError`, keys that cannot be
 * fetched, the Hono adapter over `app.request`, and which signature path ran. Web-standard code only.
 */

import {
  createGate,
  type Gate,
  isGateError,
  KeysUnavailableError,
  oidc,
  protect,
  vercel,
} from '@oidc-gate/core'
import { oidcGate, requirePolicy } from '@oidc-gate/hono'
import { Hono } from 'hono'
import { installCryptoProbe } from './crypto-probe.js'
import type { RunReport, ScenarioInput, ScenarioResult } from './input.js'
import { runtimeName } from './runtime-name.js'

type Check = () => Promise<string>

/** What a refusal must look like. */
interface Refusal {
  readonly code: string
  readonly status: number
  readonly reason?: string
}

async function scenario(name: string, check: Check): Promise<ScenarioResult> {
  try {
    return { name, ok: true, detail: await check() }
  } catch (error) {
    return {
      name,
      ok: false,
      detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    }
  }
}

/** `make()` on first call, the same value after: a gate or app that fails to build fails its scenarios. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined
  return () => {
    made ??= { value: make() }
    return made.value
  }
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

async function expectRefusal(attempt: Promise<unknown>, expected: Refusal): Promise<string> {
  const error = await attempt.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  assert(error !== undefined, 'accepted a token that must be refused')
  assert(isGateError(error), `threw a non-GateError: ${String(error)}`)
  const seen = `${error.code} ${error.status} ${error.reason}`
  const wanted = `${expected.code} ${expected.status} ${expected.reason ?? error.reason}`
  assert(seen === wanted, `expected ${wanted}, got ${seen}`)
  return seen
}

function vercelGate(input: ScenarioInput, pinned: boolean): Gate {
  const { team, baseUrl, jwks } = input.vercel
  return createGate({
    issuers: [pinned ? vercel({ team, baseUrl, jwks }) : vercel({ team, baseUrl })],
  }) as Gate
}

function oidcGateFor(input: ScenarioInput): Gate {
  const { issuer, audience, jwksUri, jwks } = input.oidc
  const keys = input.fetchKeys ? {} : { jwks }
  return createGate({ issuers: [oidc({ issuer, audience, jwksUri, ...keys })] }) as Gate
}

const EXPIRED: Refusal = { code: 'ERR_INVALID_TOKEN', status: 401, reason: 'exp' }
const WRONG_AUDIENCE: Refusal = { code: 'ERR_INVALID_TOKEN', status: 401, reason: 'aud' }

function vercelScenarios(input: ScenarioInput): Promise<ScenarioResult>[] {
  const gate = once(() => vercelGate(input, !input.fetchKeys))
  const { vercel: fixture } = input
  return [
    scenario('vercel: valid token → claims', async () => {
      const auth = await gate().verify(fixture.valid)
      assert(auth.profile === 'vercel' && auth.vercel?.owner === fixture.team, 'wrong identity')
      assert(
        auth.claims.sub ===
          `owner:${fixture.team}:project:${auth.vercel.project}:environment:${auth.vercel.environment}`,
        `unexpected sub ${auth.claims.sub}`,
      )
      return `${auth.vercel.projectId} ${auth.vercel.environment}`
    }),
    scenario('vercel: expired → 401 exp', () => expectRefusal(gate().verify(fixture.expired), EXPIRED)),
    scenario('vercel: wrong audience → 401 aud', () =>
      expectRefusal(gate().verify(fixture.wrongAudience), WRONG_AUDIENCE),
    ),
    scenario('vercel: other team → 401 iss', () =>
      expectRefusal(gate().verify(fixture.otherTeam), {
        code: 'ERR_INVALID_TOKEN',
        status: 401,
        reason: 'iss',
      }),
    ),
    scenario('vercel: pinned keys → claims', async () => {
      const auth = await vercelGate(input, true).verify(fixture.valid)
      return String(auth.claims.project_id)
    }),
  ]
}

function oidcScenarios(input: ScenarioInput): Promise<ScenarioResult>[] {
  const gate = once(() => oidcGateFor(input))
  const { oidc: fixture } = input
  return [
    scenario('oidc: valid token → claims', async () => {
      const auth = await gate().verify(fixture.valid)
      assert(auth.profile === 'oidc' && auth.issuer === fixture.issuer, 'wrong issuer')
      assert(typeof auth.claims.client_id === 'string', 'no client_id')
      return `${auth.claims.sub} ${String(auth.claims.scope)}`
    }),
    scenario('oidc: expired → 401 exp', () => expectRefusal(gate().verify(fixture.expired), EXPIRED)),
    scenario('oidc: wrong audience → 401 aud', () =>
      expectRefusal(gate().verify(fixture.wrongAudience), WRONG_AUDIENCE),
    ),
  ]
}

function unreachableScenario(input: ScenarioInput): Promise<ScenarioResult> {
  return scenario('JWKS unreachable → 503', async () => {
    const { team, baseUrl } = input.vercel
    const gate = createGate({
      issuers: [vercel({ team, baseUrl, jwksUri: input.unreachableJwksUri })],
      jwks: { timeoutDuration: 3000 },
    })
    const attempt = gate.verify(input.vercel.valid)
    const seen = await expectRefusal(attempt, { code: 'ERR_KEYS_UNAVAILABLE', status: 503 })
    const typed = await attempt.then(
      () => false,
      (error: unknown) => error instanceof KeysUnavailableError,
    )
    assert(typed, 'not a KeysUnavailableError')
    return seen
  })
}

function honoApp(gate: Gate): Hono {
  const app = new Hono()
  app.use('/api/*', oidcGate(gate))
  app.get('/api/me', (c) => c.json({ project: c.var.auth?.vercel?.projectId ?? null }))
  app.get('/api/deploy', requirePolicy(gate, { environment: 'production' }), (c) => c.text('deployed'))
  return app
}

function honoScenarios(input: ScenarioInput): Promise<ScenarioResult>[] {
  const app = once(() => honoApp(vercelGate(input, !input.fetchKeys)))
  const bearer = { headers: { authorization: `Bearer ${input.vercel.valid}` } }
  return [
    scenario('hono: valid token → 200', async () => {
      const res = await app().request('/api/me', bearer)
      const body = (await res.json()) as { project: string | null }
      assert(res.status === 200 && body.project !== null, `answered ${res.status} ${JSON.stringify(body)}`)
      assert(res.headers.get('cache-control') === 'no-store', 'no Cache-Control: no-store')
      return `200 ${body.project}`
    }),
    scenario('hono: no token → 401', async () => {
      const res = await app().request('/api/me')
      const challenge = res.headers.get('www-authenticate') ?? ''
      assert(res.status === 401 && challenge.startsWith('Bearer'), `answered ${res.status} ${challenge}`)
      return `401 ${challenge}`
    }),
    scenario('hono: policy denied → 403', async () => {
      const res = await app().request('/api/deploy', bearer)
      const body = (await res.json()) as { error?: string }
      assert(res.status === 403 && body.error === 'insufficient_scope', `answered ${res.status}`)
      return `403 ${body.error}`
    }),
  ]
}

/**
 * Uncached verifications of one token with pinned keys, timed by the runtime's own clock: the best of
 * `rounds` loops of `benchIterations`, after 20 to warm up.
 */
export async function runBench(input: ScenarioInput, rounds = 3): Promise<RunReport['bench']> {
  if (input.benchIterations === 0) return null
  const { team, baseUrl, jwks } = input.vercel
  const gate = createGate({ issuers: [vercel({ team, baseUrl, jwks })], cache: false })
  for (let i = 0; i < 20; i++) await gate.verify(input.vercel.valid)
  let best = Number.POSITIVE_INFINITY
  for (let round = 0; round < rounds; round++) {
    const start = performance.now()
    for (let i = 0; i < input.benchIterations; i++) await gate.verify(input.vercel.valid)
    best = Math.min(best, performance.now() - start)
  }
  return { iterations: input.benchIterations, ms: best }
}

/** Runs every scenario, then the timed loop; never throws. */
/** A Fetch handler protected with `protect()`, as on runtimes with no framework (Bun.serve, Workers). */
function protectScenarios(input: ScenarioInput): Promise<ScenarioResult>[] {
  const handler = once(() =>
    protect(vercelGate(input, !input.fetchKeys), (_request, auth) =>
      Response.json({ project: auth.vercel?.projectId ?? null }),
    ),
  )
  const request = (authorization?: string) =>
    new Request('http://localhost/api/me', authorization === undefined ? {} : { headers: { authorization } })
  return [
    scenario('protect(): valid token → 200', async () => {
      const res = await handler()(request(`Bearer ${input.vercel.valid}`))
      assert(res.status === 200 && res.headers.get('cache-control') === 'no-store', `answered ${res.status}`)
      return `200 ${((await res.json()) as { project: string }).project}`
    }),
    scenario('protect(): no token → 401', async () => {
      const res = await handler()(request())
      const challenge = res.headers.get('www-authenticate') ?? ''
      assert(res.status === 401 && challenge.startsWith('Bearer'), `answered ${res.status} ${challenge}`)
      return `401 ${challenge.split(',')[0]}`
    }),
  ]
}

export async function runScenarios(input: ScenarioInput): Promise<RunReport> {
  const probe = installCryptoProbe()
  const results = await Promise.all([
    ...vercelScenarios(input),
    ...oidcScenarios(input),
    unreachableScenario(input),
    ...honoScenarios(input),
    ...protectScenarios(input),
  ])
  const path = await scenario('crypto path as built', async () => {
    const observed = probe.observed()
    assert(observed === input.expectedCrypto, `took the ${observed} path, not ${input.expectedCrypto}`)
    return observed
  })
  results.push(path.ok ? { ...path, cell: path.detail } : path)
  return { runtime: runtimeName(), results, bench: await runBench(input) }
}
