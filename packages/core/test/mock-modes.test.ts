/**
 * Mock modes for local development (`createGate({ mock })`): a static identity and decode-only tokens.
 * Both are refused when NODE_ENV=production, announce themselves at boot and mark what they produce.
 */

import { createTestIssuer, type TestIssuer, vercelIds } from '@oidc-gate/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createGate,
  type Gate,
  type GateEvent,
  type GateOptions,
  type IssuerProfile,
  type MockIdentity,
  oidc,
  protect,
  type VercelClaims,
  vercel,
} from '../src/index.js'
import { expectChallenge, expectInvalidToken, rejection, request } from './helpers.js'

let issuer: TestIssuer
let profile: IssuerProfile<VercelClaims>
const ids = vercelIds('acme', 'web')
const gates: Gate<unknown>[] = []

/** A gate whose JWKS URL has nothing listening: any key fetch would fail. */
function mocked(options: Partial<GateOptions<IssuerProfile<VercelClaims>>>): Gate<VercelClaims> {
  const gate = createGate({ issuers: [profile], ...options })
  gates.push(gate as Gate<unknown>)
  return gate
}

const identity: MockIdentity<VercelClaims> = {
  sub: 'owner:acme:project:web:environment:development',
  owner: 'acme',
  owner_id: ids.ownerId,
  project: 'web',
  project_id: ids.projectId,
  environment: 'development',
  user_id: 'usr_dev',
}

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  profile = vercel({
    team: 'acme',
    teamId: ids.ownerId,
    baseUrl: issuer.url,
    jwksUri: 'http://127.0.0.1:1/.well-known/jwks',
  })
})
afterEach(() => {
  vi.unstubAllEnvs()
})
afterAll(async () => {
  for (const gate of gates) gate.close()
  await issuer.close()
})

describe('mock: { identity }', () => {
  it('authenticates a request without credentials as the identity, typed like a verified token', async () => {
    const gate = mocked({ mock: { identity } })
    const auth = await gate.authenticate(request())
    expect(auth.mock).toBe(true)
    expect(auth.token).toBe('')
    expect(auth.profile).toBe('vercel')
    expect(auth.issuer).toBe(issuer.issuer)
    expect(auth.vercel).toMatchObject({
      projectId: ids.projectId,
      environment: 'development',
      userId: 'usr_dev',
    })
    expect(auth.claims).toMatchObject({ ...identity, iss: issuer.issuer, aud: 'https://vercel.com/acme' })
    expect(Object.isFrozen(auth.claims)).toBe(true)
  })

  it('ignores whatever credentials the request carries', async () => {
    const gate = mocked({ mock: { identity } })
    await expect(gate.authenticate(request('Bearer a.b.c'))).resolves.toMatchObject({ mock: true })
    await expect(gate.verify('not a token')).resolves.toMatchObject({ mock: true })
  })

  it('gives every request a fresh iat and an exp one hour later', async () => {
    let now = Date.UTC(2030, 0, 1)
    const gate = mocked({ mock: { identity }, clock: () => now })
    const first = await gate.authenticate(request())
    now += 7_200_000
    const later = await gate.authenticate(request())
    expect(first.claims.iat).toBe(Date.UTC(2030, 0, 1) / 1000)
    expect(first.claims.exp).toBe(first.claims.iat + 3600)
    expect(later.claims.iat).toBe(first.claims.iat + 7200)
  })

  it('still applies the gate-wide and the per-request policies (403)', async () => {
    const gate = mocked({ mock: { identity }, policy: { environment: 'production' } })
    const error = await rejection(gate.authenticate(request()))
    expect(error.status).toBe(403)
    const open = mocked({ mock: { identity } })
    await expect(open.authenticate(request(), { policy: { project: 'api' } })).rejects.toMatchObject({
      status: 403,
    })
    const auth = await open.authenticate(request())
    expect(() => open.authorize(auth, { environment: 'development' })).not.toThrow()
  })

  it('announces itself with a mock.enabled event at construction, and fetches no key', async () => {
    const events: GateEvent[] = []
    const gate = mocked({ mock: { identity }, onEvent: (e) => events.push(e) })
    expect(events).toEqual([{ type: 'mock.enabled', mode: 'identity', issuer: issuer.issuer }])
    await gate.warmup()
    await gate.authenticate(request())
    expect(issuer.requests.jwks).toBe(0)
  })

  it('answers over HTTP through protect() with the identity and no token at all', async () => {
    const gate = mocked({ mock: { identity } })
    const handler = protect(gate, (_request, auth) =>
      Response.json({ mock: auth.mock, env: auth.vercel.environment }),
    )
    const response = await handler(new Request('http://127.0.0.1/api'))
    expect(await response.json()).toEqual({ mock: true, env: 'development' })
  })

  it('selects the issuer of the identity by its iss, and picks the profile of that issuer', async () => {
    const as = oidc({
      issuer: 'https://as.example.test',
      audience: 'api',
      jwksUri: 'http://127.0.0.1:1/jwks',
    })
    const gate = createGate({
      issuers: [profile, as],
      mock: {
        identity: {
          iss: 'https://as.example.test',
          sub: 'svc',
          client_id: 'cli',
          jti: 'j1',
          scope: 'files:read',
        },
      },
    })
    gates.push(gate as Gate<unknown>)
    const auth = await gate.authenticate(request())
    expect(auth).toMatchObject({ profile: 'oidc', issuer: 'https://as.example.test', mock: true })
    expect(auth.claims).toMatchObject({ aud: 'api', client_id: 'cli' })
  })
})

describe('mock: { identity } misconfiguration fails at boot', () => {
  it('throws a TypeError naming mock.identity for claims of another team', () => {
    expect(() => mocked({ mock: { identity: { ...identity, owner: 'globex' } } })).toThrow(
      /mock\.identity.*owner/,
    )
  })

  it('throws a TypeError naming mock.identity for a missing required claim', () => {
    const { project_id: _, ...incomplete } = identity
    expect(() => mocked({ mock: { identity: incomplete as never } })).toThrow(/mock\.identity.*project_id/)
  })

  it('throws a TypeError naming mock.identity.iss for an issuer the gate does not accept', () => {
    expect(() => mocked({ mock: { identity: { ...identity, iss: 'https://evil.example' } } })).toThrow(
      /mock\.identity\.iss/,
    )
  })

  it('throws a TypeError for a key-bound (cnf) identity', () => {
    const bound = { ...identity, cnf: { jkt: 'x' } } as never
    expect(() => mocked({ mock: { identity: bound } })).toThrow(/mock\.identity.*cnf/)
  })

  it('throws a TypeError naming mock for a malformed option', () => {
    expect(() => mocked({ mock: 'identity' as never })).toThrow(/^mock must be/)
    expect(() => mocked({ mock: { identity, decode: true } as never })).toThrow(
      /mock: unknown option "decode"/,
    )
    expect(() => mocked({ mock: { identity: 'me' } as never })).toThrow(/mock\.identity must be an object/)
  })
})

describe("mock: 'decode-only'", () => {
  it('accepts a real token without checking its signature or fetching a key, and marks it', async () => {
    const events: GateEvent[] = []
    const gate = mocked({ mock: 'decode-only', onEvent: (e) => events.push(e) })
    const token = await issuer.mint()
    const auth = await gate.authenticate(request(`Bearer ${token}`))
    expect(auth).toMatchObject({ mock: true, token, profile: 'vercel' })
    expect(auth.vercel.projectId).toBe(ids.projectId)
    expect(events[0]).toEqual({ type: 'mock.enabled', mode: 'decode-only', issuer: undefined })
    expect(issuer.requests.jwks).toBe(0)
  })

  it('does not verify signatures: a bit-flipped one passes (which is why production refuses it)', async () => {
    const token = await issuer.mint()
    const at = token.lastIndexOf('.') + 5
    const forged = `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
    const gate = mocked({ mock: 'decode-only' })
    await expect(gate.authenticate(request(`Bearer ${forged}`))).resolves.toMatchObject({ mock: true })
  })

  it('checks every claim as a verification does: 401 for an expired token, another audience, another issuer', async () => {
    const gate = mocked({ mock: 'decode-only' })
    await expectInvalidToken(
      gate.authenticate(request(`Bearer ${await issuer.mint({}, { expired: true })}`)),
      'exp',
    )
    await expectInvalidToken(
      gate.authenticate(request(`Bearer ${await issuer.mint({ aud: 'other' })}`)),
      'aud',
    )
    await expectInvalidToken(
      gate.authenticate(request(`Bearer ${await issuer.mint({ iss: `${issuer.issuer}-evil` })}`)),
      'iss',
    )
    await expectInvalidToken(
      gate.authenticate(request(`Bearer ${await issuer.mint({ owner: 'globex' })}`)),
      'owner',
    )
    await expectInvalidToken(gate.authenticate(request('Bearer a.b.c')), 'malformed')
  })

  it('still needs credentials: 401 with a bare challenge without Authorization', async () => {
    const gate = mocked({ mock: 'decode-only' })
    await expectChallenge(gate.authenticate(request()), 'missing')
  })

  it('caches nothing: every request decodes its token again', async () => {
    const events: GateEvent[] = []
    const gate = mocked({ mock: 'decode-only', onEvent: (e) => events.push(e) })
    const token = await issuer.mint()
    await gate.authenticate(request(`Bearer ${token}`))
    await gate.authenticate(request(`Bearer ${token}`))
    const cached = events.flatMap((e) => (e.type === 'verified' ? [e.cached] : []))
    expect(cached).toEqual([false, false])
  })
})

describe('mock modes refuse to start in production', () => {
  for (const value of ['production', 'Production', ' production ']) {
    it(`throws a TypeError naming mock when NODE_ENV is "${value}"`, () => {
      vi.stubEnv('NODE_ENV', value)
      expect(() => mocked({ mock: { identity } })).toThrow(
        /^mock: mock modes are refused when NODE_ENV=production/,
      )
      expect(() => mocked({ mock: 'decode-only' })).toThrow(TypeError)
    })
  }

  it('leaves a gate without mock alone in production', () => {
    vi.stubEnv('NODE_ENV', 'production')
    expect(() => mocked({})).not.toThrow()
  })
})
