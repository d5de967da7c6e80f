/**
 * `createGate`: option validation at boot, `verify()`, events, `warmup()`, `close()`, optional
 * authentication, and the promise that bad input is only ever answered with a 400 or a 401.
 */

import { createTestIssuer, type TestIssuer, vercelIds } from '@oidc-gate/testing'
import fc from 'fast-check'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  createGate,
  type Gate,
  GateError,
  type GateEvent,
  type GateOptions,
  InsufficientScopeError,
  type IssuerProfile,
  oidc,
  type VercelClaims,
  vercel,
} from '../src/index.js'
import {
  b64,
  expectChallenge,
  expectInvalidRequest,
  expectInvalidToken,
  expectUnavailable,
  rejection,
  request,
} from './helpers.js'

let issuer: TestIssuer
let profile: IssuerProfile<VercelClaims>
let gate: Gate<VercelClaims>
const gates: { close(): void }[] = []

function track<G extends { close(): void }>(g: G): G {
  gates.push(g)
  return g
}

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  profile = vercel({ team: 'acme', teamId: vercelIds('acme').ownerId, baseUrl: issuer.url })
  gate = track(createGate({ issuers: [profile] }))
  await gate.warmup()
})

afterEach(() => {
  issuer.setFault(null)
})

afterAll(async () => {
  for (const g of gates) g.close()
  await issuer.close()
})

describe('createGate() validates every option at boot', () => {
  const bad: [string, () => Partial<GateOptions<IssuerProfile>> | null, RegExp][] = [
    ['no options object', () => null, /createGate\(\) needs an options object/],
    ['an unknown option', () => ({ issuers: [profile], isuers: [] }) as never, /unknown option "isuers"/],
    ['no issuers', () => ({}), /^issuers /],
    ['an empty issuers list', () => ({ issuers: [] }), /^issuers /],
    ['an issuer not built by vercel()/oidc()', () => ({ issuers: [{} as IssuerProfile] }), /issuers\[0\]/],
    ['the same issuer twice', () => ({ issuers: [profile, profile] }), /issuers\[1\].*configured twice/],
    ['a negative clockTolerance', () => ({ issuers: [profile], clockTolerance: -1 }), /clockTolerance/],
    ['a clockTolerance above 300 s', () => ({ issuers: [profile], clockTolerance: 301 }), /clockTolerance/],
    ['a NaN clockTolerance', () => ({ issuers: [profile], clockTolerance: Number.NaN }), /clockTolerance/],
    [
      'a string clockTolerance',
      () => ({ issuers: [profile], clockTolerance: '5' as never }),
      /clockTolerance/,
    ],
    ['a tiny maxTokenLength', () => ({ issuers: [profile], maxTokenLength: 100 }), /maxTokenLength/],
    ['a huge maxTokenLength', () => ({ issuers: [profile], maxTokenLength: 2 ** 21 }), /maxTokenLength/],
    ['a fractional maxTokenLength', () => ({ issuers: [profile], maxTokenLength: 8192.5 }), /maxTokenLength/],
    ['a realm with a quote', () => ({ issuers: [profile], realm: 'a"b' }), /realm/],
    ['a realm with a backslash', () => ({ issuers: [profile], realm: 'a\\b' }), /realm/],
    ['a realm with a line break', () => ({ issuers: [profile], realm: 'a\r\nb' }), /realm/],
    ['a non-function onEvent', () => ({ issuers: [profile], onEvent: 'console' as never }), /onEvent/],
    ['a non-function clock', () => ({ issuers: [profile], clock: 0 as never }), /clock/],
    [
      'a negative jwks.cooldownDuration',
      () => ({ issuers: [profile], jwks: { cooldownDuration: -1 } }),
      /jwks\.cooldownDuration/,
    ],
    [
      'a zero jwks.timeoutDuration',
      () => ({ issuers: [profile], jwks: { timeoutDuration: 0 } }),
      /jwks\.timeoutDuration/,
    ],
    [
      'an infinite jwks.cacheMaxAge',
      () => ({ issuers: [profile], jwks: { cacheMaxAge: Number.POSITIVE_INFINITY } }),
      /jwks\.cacheMaxAge/,
    ],
    [
      'a string jwks.maxResponseSize',
      () => ({ issuers: [profile], jwks: { maxResponseSize: '1' as never } }),
      /jwks\.maxResponseSize/,
    ],
    [
      'a NaN jwks.staleIfError',
      () => ({ issuers: [profile], jwks: { staleIfError: Number.NaN } }),
      /jwks\.staleIfError/,
    ],
    [
      'jwks.minCacheAge above jwks.maxCacheAge',
      () => ({ issuers: [profile], jwks: { minCacheAge: 2000, maxCacheAge: 1000 } }),
      /jwks\.minCacheAge/,
    ],
    [
      'a misspelt jwks option',
      () => ({ issuers: [profile], jwks: { timeout: 100 } as never }),
      /jwks.*"timeout"/,
    ],
    ['a jwks that is not an object', () => ({ issuers: [profile], jwks: 5000 as never }), /jwks/],
    [
      'a zero cache.maxEntries',
      () => ({ issuers: [profile], cache: { maxEntries: 0 } }),
      /cache\.maxEntries/,
    ],
    ['a negative cache.maxAge', () => ({ issuers: [profile], cache: { maxAge: -1 } }), /cache\.maxAge/],
    ['a cache that is not an object', () => ({ issuers: [profile], cache: 'lru' as never }), /cache/],
    [
      'a misspelt cache option',
      () => ({ issuers: [profile], cache: { maxSize: 10 } as never }),
      /cache.*"maxSize"/,
    ],
  ]
  for (const [name, options, message] of bad) {
    it(`throws a TypeError naming the option for ${name}`, () => {
      const build = () => createGate(options() as GateOptions<IssuerProfile>)
      expect(build).toThrow(TypeError)
      expect(build).toThrow(message)
    })
  }

  const ok = {
    issuer: 'https://as.example.test',
    audience: 'https://api.example.test',
    jwksUri: 'https://as.example.test/jwks',
  }
  const badProfiles: [string, () => unknown, RegExp][] = [
    ['vercel() without options', () => vercel(undefined as never), /vercel\(\)/],
    [
      'vercel() with an unknown option',
      () => vercel({ team: 'acme', teams: 'acme' } as never),
      /vercel\(\): unknown option "teams"/,
    ],
    [
      'vercel() with a bad issuerMode',
      () => vercel({ team: 'acme', issuerMode: 'teams' as never }),
      /vercel\(\): issuerMode/,
    ],
    ['vercel() with an empty audience', () => vercel({ team: 'acme', audience: '' }), /vercel\(\): audience/],
    [
      'vercel() with an empty audience list',
      () => vercel({ team: 'acme', audience: [] }),
      /vercel\(\): audience/,
    ],
    [
      'vercel() with a zero maxTokenLifetime',
      () => vercel({ team: 'acme', maxTokenLifetime: 0 }),
      /vercel\(\): maxTokenLifetime/,
    ],
    [
      'vercel() with jwksFetch but no jwks',
      () => vercel({ team: 'acme', jwksFetch: true }),
      /vercel\(\): jwksFetch/,
    ],
    ['vercel() with an empty jwks', () => vercel({ team: 'acme', jwks: { keys: [] } }), /vercel\(\): jwks/],
    ['oidc() without options', () => oidc(undefined as never), /oidc\(\)/],
    [
      'oidc() with an unknown option',
      () => oidc({ ...ok, audiences: ['x'] } as never),
      /oidc\(\): unknown option "audiences"/,
    ],
    ['oidc() without issuer', () => oidc({ ...ok, issuer: undefined as never }), /oidc\(\): issuer/],
    [
      'oidc() without audience in a gate without protectedResource',
      () => createGate({ issuers: [oidc({ issuer: ok.issuer, jwksUri: ok.jwksUri })] }),
      /issuers\[0\]: oidc\(\): audience is required/,
    ],
    [
      'oidc() with an audience list holding a number',
      () => oidc({ ...ok, audience: ['a', 1] as never }),
      /oidc\(\): audience/,
    ],
    ['oidc() with an empty typ', () => oidc({ ...ok, typ: '' }), /oidc\(\): typ/],
    ['oidc() with a non-string typ', () => oidc({ ...ok, typ: 1 as never }), /oidc\(\): typ/],
    [
      'oidc() with requiredClaims not a list',
      () => oidc({ ...ok, requiredClaims: 'tenant' as never }),
      /oidc\(\): requiredClaims/,
    ],
    [
      'oidc() with an empty claim name',
      () => oidc({ ...ok, requiredClaims: [''] }),
      /oidc\(\): requiredClaims/,
    ],
    ['oidc() with a zero maxTokenAge', () => oidc({ ...ok, maxTokenAge: 0 }), /oidc\(\): maxTokenAge/],
    [
      'oidc() with a NaN maxTokenLifetime',
      () => oidc({ ...ok, maxTokenLifetime: Number.NaN }),
      /oidc\(\): maxTokenLifetime/,
    ],
  ]
  for (const [name, build, message] of badProfiles) {
    it(`throws a TypeError naming the option for ${name}`, () => {
      expect(build).toThrow(TypeError)
      expect(build).toThrow(message)
    })
  }

  it('accepts a complete, valid configuration', () => {
    const g = track(
      createGate({
        issuers: [profile, oidc(ok)],
        realm: 'api',
        clockTolerance: 0,
        maxTokenLength: 256,
        jwks: {
          cacheMaxAge: 1,
          minCacheAge: 0,
          maxCacheAge: 1,
          cooldownDuration: 0,
          staleIfError: 0,
          maxResponseSize: 1,
        },
        cache: false,
        onEvent: () => {},
        clock: Date.now,
      }),
    )
    expect(Object.isFrozen(g)).toBe(true)
  })
})

describe('verify() for tokens that did not come in a header', () => {
  it('verifies a token and returns it exactly as given', async () => {
    const token = await issuer.mint({ project: 'queue-worker' })
    const auth = await gate.verify(token)
    expect(auth.token).toBe(token)
    expect(auth.vercel.project).toBe('queue-worker')
  })

  it('refuses an empty or non-string token with 401 invalid_token', async () => {
    await expectInvalidToken(gate.verify(''), 'malformed')
    await expectInvalidToken(gate.verify(42 as never), 'malformed')
    await expectInvalidToken(gate.verify(undefined as never), 'malformed')
  })

  it('applies a per-call policy', async () => {
    const token = await issuer.mint({ environment: 'preview' })
    expect((await gate.verify(token, { policy: { environment: 'preview' } })).claims.environment).toBe(
      'preview',
    )
    const error = await rejection(gate.verify(token, { policy: { environment: 'production' } }))
    expect(error).toBeInstanceOf(InsufficientScopeError)
    expect({ status: error.status, code: error.code, reason: error.reason }).toEqual({
      status: 403,
      code: 'ERR_INSUFFICIENT_SCOPE',
      reason: 'policy',
    })
    expect(error.headers['www-authenticate']).toMatch(
      /^Bearer error="insufficient_scope", error_description="[^"]*", DPoP algs="[^"]*"$/,
    )
  })
})

describe('events', () => {
  it('reports JWKS fetches, verifications (cached or not) and rejections with their reason', async () => {
    const events: GateEvent[] = []
    const g = track(createGate({ issuers: [profile], onEvent: (e) => events.push(e) }))
    const token = await issuer.mint()
    await g.verify(token)
    await g.verify(token)
    await expectInvalidToken(g.verify(await issuer.mint({}, { expired: true })), 'exp')
    await expectInvalidRequest(g.authenticate(request('Bearer')), 'missing-token')

    expect(events).toEqual([
      expect.objectContaining({
        type: 'jwks.fetch',
        jwksUri: issuer.jwksUri,
        trigger: 'initial',
        ok: true,
        keys: 1,
      }),
      {
        type: 'verified',
        issuer: issuer.issuer,
        kid: issuer.kid,
        sub: 'owner:acme:project:web:environment:production',
        cached: false,
      },
      {
        type: 'verified',
        issuer: issuer.issuer,
        kid: issuer.kid,
        sub: 'owner:acme:project:web:environment:production',
        cached: true,
      },
      { type: 'rejected', code: 'ERR_INVALID_TOKEN', status: 401, reason: 'exp' },
      { type: 'rejected', code: 'ERR_INVALID_REQUEST', status: 400, reason: 'missing-token' },
    ])
    const fetch = events[0] as Extract<GateEvent, { type: 'jwks.fetch' }>
    expect(fetch.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('never fails a request because the listener throws', async () => {
    const g = track(
      createGate({
        issuers: [profile],
        onEvent: () => {
          throw new Error('listener bug')
        },
      }),
    )
    expect((await g.verify(await issuer.mint())).claims.owner).toBe('acme')
    await expectInvalidToken(g.verify(await issuer.mint({}, { expired: true })), 'exp')
    await expectChallenge(g.authenticate(request()), 'missing')
  })
})

describe('warmup() and close()', () => {
  it('prefetches the keys: the first verification after warmup makes no JWKS request', async () => {
    const events: GateEvent[] = []
    const g = track(createGate({ issuers: [profile], onEvent: (e) => events.push(e) }))
    await g.warmup()
    expect(events).toEqual([expect.objectContaining({ type: 'jwks.fetch', trigger: 'warmup', ok: true })])
    const before = issuer.requests.jwks
    await g.verify(await issuer.mint())
    expect(issuer.requests.jwks).toBe(before)
  })

  it('rejects warmup with a 503 GateError (with the realm) when the JWKS is down', async () => {
    const g = track(createGate({ issuers: [profile], realm: 'api' }))
    issuer.setFault({ kind: 'status', status: 500 })
    const error = await expectUnavailable(g.warmup())
    expect(error.realm).toBe('api')
  })

  it('aborts a JWKS fetch in flight on close(): the request gets 503 at once', async () => {
    const g = createGate({ issuers: [profile] })
    issuer.setFault({ kind: 'delay', ms: 5000 })
    const started = performance.now()
    const pending = g.verify(await issuer.mint())
    await new Promise((resolve) => setTimeout(resolve, 50))
    g.close()
    await expectUnavailable(pending)
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('never fetches after close(), and close() is idempotent', async () => {
    const g = createGate({ issuers: [profile] })
    g.close()
    g.close()
    const before = issuer.requests.jwks
    await expectUnavailable(g.verify(await issuer.mint()))
    await expectUnavailable(g.warmup())
    expect(issuer.requests.jwks).toBe(before)
  })
})

describe('optional authentication', () => {
  it('resolves undefined for a request without credentials or with another scheme', async () => {
    expect(await gate.authenticate(request(), { optional: true })).toBeUndefined()
    expect(await gate.authenticate(request('Basic dXNlcjpwYXNz'), { optional: true })).toBeUndefined()
  })

  it('still authenticates a valid token', async () => {
    const token = await issuer.mint()
    expect((await gate.authenticate(request(`Bearer ${token}`), { optional: true }))?.token).toBe(token)
  })

  it('still refuses bad credentials: 401 for a bad token, 400 for a malformed header', async () => {
    await expectInvalidToken(
      gate.authenticate(request(`Bearer ${await issuer.mint({}, { expired: true })}`), { optional: true }),
      'exp',
    )
    await expectInvalidRequest(gate.authenticate(request('Bearer'), { optional: true }), 'missing-token')
    await expectInvalidRequest(
      gate.authenticate(
        request(undefined, { rawHeaders: ['authorization', 'Bearer a', 'authorization', 'Bearer b'] }),
        {
          optional: true,
        },
      ),
      'multiple-authorization',
    )
  })

  it('refuses a missing credential through authorize() with a bare 401', async () => {
    const auth = await gate.authenticate(request(), { optional: true })
    await expectChallenge((async () => gate.authorize(auth, { environment: 'production' }))(), 'missing')
  })
})

describe('bad input is only ever answered with 400 or 401', () => {
  const settle = async (promise: Promise<unknown>): Promise<number> => {
    try {
      await promise
    } catch (error) {
      if (!(error instanceof GateError)) throw error
      return error.status
    }
    return 200
  }
  const statuses = new Set([400, 401])
  // Any UTF-16 code unit: controls, non-ASCII, lone surrogates (fc's 'binary' unit is much slower).
  const anyChars = fc.string({ unit: fc.nat(0xffff).map((c) => String.fromCharCode(c)), maxLength: 200 })

  it('for arbitrary strings as the Authorization value', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          anyChars,
          fc.string().map((s) => `Bearer ${s}`),
          anyChars.map((s) => `Bearer ${s}`),
        ),
        async (value) => {
          expect(statuses).toContain(await settle(gate.authenticate(request(value))))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('for arbitrary strings as the token of verify()', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), anyChars, fc.stringMatching(/^[A-Za-z0-9_.=-]{0,300}$/)),
        async (token) => {
          expect(statuses).toContain(await settle(gate.verify(token)))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('for three-segment tokens of arbitrary JSON, some with this issuer’s iss', async () => {
    const segment = fc.oneof(
      fc.jsonValue().map((v) => b64(JSON.stringify(v) ?? 'null')),
      fc
        .dictionary(fc.string(), fc.jsonValue())
        .map((o) => b64(JSON.stringify({ ...o, iss: issuer.issuer }))),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => b64(bytes)),
    )
    await fc.assert(
      fc.asyncProperty(segment, segment, fc.uint8Array({ maxLength: 300 }), async (h, p, s) => {
        const token = `${h}.${p}.${b64(s)}`
        expect(statuses).toContain(await settle(gate.authenticate(request(`Bearer ${token}`))))
      }),
      { numRuns: 300 },
    )
  })
})
