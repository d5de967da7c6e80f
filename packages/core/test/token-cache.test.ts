import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createGate,
  type Gate,
  type GateEvent,
  type GateOptions,
  type VercelClaims,
  vercel,
} from '../src/index.js'
import { expectInvalidToken, rejection } from './helpers.js'

let issuer: TestIssuer
const gates: Gate<VercelClaims>[] = []

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
})
afterEach(() => {
  for (const gate of gates.splice(0)) gate.close()
})
afterAll(async () => {
  await issuer.close()
})

/** A gate on the local issuer with a controllable clock, recording whether each verification was a hit. */
function setup(options: Partial<GateOptions> = {}) {
  const clock = { now: Date.now() }
  const events: GateEvent[] = []
  const gate = createGate({
    issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
    clock: () => clock.now,
    onEvent: (e) => events.push(e),
    ...options,
  }) as Gate<VercelClaims>
  gates.push(gate)
  const hits = () => events.flatMap((e) => (e.type === 'verified' ? [e.cached] : []))
  return { gate, clock, events, hits }
}

describe('verified-token cache', () => {
  it('verifies a repeated token once and serves the same frozen Auth afterwards', async () => {
    const { gate, hits } = setup()
    const token = await issuer.mint()
    const first = await gate.verify(token)
    const second = await gate.verify(token)
    expect(hits()).toEqual([false, true])
    expect(second).toBe(first)
    expect(Object.isFrozen(second.claims)).toBe(true)
  })

  it('never serves an entry past exp: the token is refused 1 s beyond the tolerance', async () => {
    const { gate, clock, hits } = setup({ clockTolerance: 5 })
    const token = await issuer.mint({}, { ttl: 60 })
    const { exp } = (await gate.verify(token)).claims
    clock.now = (exp + 4) * 1000
    await gate.verify(token)
    clock.now = (exp + 5) * 1000
    await expectInvalidToken(gate.verify(token), 'exp')
    expect(hits()).toEqual([false, true])
  })

  it('re-checks nbf on every hit (a clock stepping back before nbf refuses the cached token)', async () => {
    const { gate, clock, hits } = setup({ clockTolerance: 0 })
    const iat = Math.floor(Date.now() / 1000)
    const token = await issuer.mint({ iat, nbf: iat + 100, exp: iat + 3600 })
    clock.now = (iat + 101) * 1000
    await gate.verify(token)
    await gate.verify(token)
    clock.now = (iat + 50) * 1000
    await expectInvalidToken(gate.verify(token), 'nbf')
    expect(hits()).toEqual([false, true])
  })

  it('evaluates policies on every request, hits included', async () => {
    const { gate, hits } = setup()
    const token = await issuer.mint({ environment: 'preview' })
    await gate.verify(token)
    const error = await rejection(gate.verify(token, { policy: { environment: 'production' } }))
    expect(error.status).toBe(403)
    await gate.verify(token, { policy: { environment: 'preview' } })
    expect(hits()).toEqual([false, true])
  })

  it('drops entries whose key left the JWKS once the JWKS is refreshed', async () => {
    const local = await createTestIssuer({ team: 'acme' })
    try {
      const clock = { now: Date.now() }
      const gate = createGate({
        issuers: [vercel({ team: 'acme', baseUrl: local.url })],
        clock: () => clock.now,
        jwks: { cacheMaxAge: 60_000, minCacheAge: 60_000, cooldownDuration: 0 },
      })
      gates.push(gate)
      local.setCacheControl(null)
      const token = await local.mint()
      await gate.verify(token)
      await local.rotate({ keepPrevious: false })
      // Still within the JWKS lifetime: the cached verification stands.
      await gate.verify(token)
      clock.now += 61_000
      // The JWKS is due: the cache no longer vouches for the entry; the key is served stale while the
      // background refresh runs, and refused once the refreshed JWKS no longer lists it.
      const before = local.requests.jwks
      await gate.verify(token)
      await vi.waitFor(async () => {
        expect(local.requests.jwks).toBe(before + 1)
        await expectInvalidToken(gate.verify(token), 'kid')
      })
    } finally {
      await local.close()
    }
  })

  it('keeps entries across a refresh when their key is still published', async () => {
    const clock = { now: Date.now() }
    const events: GateEvent[] = []
    const gate = createGate({
      issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
      clock: () => clock.now,
      onEvent: (e) => events.push(e),
      jwks: { minCacheAge: 60_000, maxCacheAge: 60_000 },
    })
    gates.push(gate)
    const token = await issuer.mint()
    await gate.verify(token)
    clock.now += 61_000
    await gate.verify(token) // falls through: the JWKS is due, so the key is looked up afresh
    await vi.waitFor(() => expect(events.filter((e) => e.type === 'jwks.fetch')).toHaveLength(2))
    await gate.verify(token)
    const verified = events.flatMap((e) => (e.type === 'verified' ? [e.cached] : []))
    expect(verified).toEqual([false, false, true])
    expect(events.filter((e) => e.type === 'jwks.fetch')).toHaveLength(2)
  })

  it('is a bounded LRU: the least recently used token goes first', async () => {
    const { gate, hits } = setup({ cache: { maxEntries: 2 } })
    const [a, b, c] = await Promise.all([
      issuer.mint({ jti: 'a' }),
      issuer.mint({ jti: 'b' }),
      issuer.mint({ jti: 'c' }),
    ])
    await gate.verify(a)
    await gate.verify(b)
    await gate.verify(a) // a becomes the most recent
    await gate.verify(c) // evicts b
    await gate.verify(a)
    await gate.verify(b)
    expect(hits()).toEqual([false, false, true, false, true, false])
  })

  it('serves a cached verification to that exact token only, not to one that shares its end', async () => {
    const { gate, hits } = setup()
    const token = await issuer.mint()
    await gate.verify(token)
    // The same signature (so the same last characters) on another payload: a miss, refused on its own.
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    const altered = Buffer.from(JSON.stringify({ ...claims, project: 'admin' })).toString('base64url')
    await expectInvalidToken(gate.verify(`${header}.${altered}.${signature}`), 'signature')
    // A token differing from the cached one in a single middle character, same length and same end.
    const middle = token.length >> 1
    const flipped = token[middle] === 'A' ? 'B' : 'A'
    const refused = await rejection(
      gate.verify(`${token.slice(0, middle)}${flipped}${token.slice(middle + 1)}`),
    )
    expect(refused.status).toBe(401)
    // The cached verification is still there for the token itself.
    await gate.verify(token)
    expect(hits()).toEqual([false, true])
  })

  it('reuses a verification for at most cache.maxAge', async () => {
    const { gate, clock, hits } = setup({ cache: { maxAge: 1000 } })
    const token = await issuer.mint()
    await gate.verify(token)
    clock.now += 999
    await gate.verify(token)
    clock.now += 2
    await gate.verify(token)
    expect(hits()).toEqual([false, true, false])
  })

  it('can be disabled with cache: false', async () => {
    const { gate, hits } = setup({ cache: false })
    const token = await issuer.mint()
    await gate.verify(token)
    await gate.verify(token)
    expect(hits()).toEqual([false, false])
  })

  it('never caches a refusal: a token refused once is checked again', async () => {
    const { gate, events } = setup()
    const token = await issuer.mint({ aud: 'https://vercel.com/other' })
    await expectInvalidToken(gate.verify(token), 'aud')
    await expectInvalidToken(gate.verify(token), 'aud')
    expect(events.filter((e) => e.type === 'rejected')).toHaveLength(2)
  })

  it.each([
    [{ maxEntries: 0 }, 'cache.maxEntries'],
    [{ maxEntries: 1.5 }, 'cache.maxEntries'],
    [{ maxAge: -1 }, 'cache.maxAge'],
    [{ maxAge: Number.POSITIVE_INFINITY }, 'cache.maxAge'],
  ])('refuses cache %j at construction, naming %s', (cache, name) => {
    expect(() => createGate({ issuers: [vercel({ team: 'acme' })], cache })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringContaining(name) }),
    )
  })
})

describe('configured keys (jwks option)', () => {
  async function publishedJwks(from: TestIssuer): Promise<{ keys: object[] }> {
    return (await (await fetch(from.jwksUri)).json()) as { keys: object[] }
  }

  it('pinned keys verify offline: no JWKS request at all, an unknown kid is refused without a fetch', async () => {
    const local = await createTestIssuer({ team: 'acme' })
    try {
      const jwks = await publishedJwks(local)
      local.resetCounters()
      const gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: local.url, jwks })] })
      gates.push(gate)
      await gate.warmup()
      await gate.verify(await local.mint())
      await local.rotate()
      await expectInvalidToken(gate.verify(await local.mint()), 'kid')
      expect(local.requests.jwks).toBe(0)
    } finally {
      await local.close()
    }
  })

  it('seeded keys (jwksFetch: true) verify at once and still pick up a rotated key', async () => {
    const local = await createTestIssuer({ team: 'acme' })
    try {
      const jwks = await publishedJwks(local)
      local.resetCounters()
      const gate = createGate({
        issuers: [vercel({ team: 'acme', baseUrl: local.url, jwks, jwksFetch: true })],
        jwks: { cooldownDuration: 0 },
      })
      gates.push(gate)
      await gate.verify(await local.mint())
      expect(local.requests.jwks).toBe(0)
      await local.rotate()
      await gate.verify(await local.mint())
      expect(local.requests.jwks).toBe(1)
    } finally {
      await local.close()
    }
  })

  it('answers 503 when pinned keys hold no usable key', async () => {
    const gate = createGate({
      issuers: [
        vercel({ team: 'acme', baseUrl: issuer.url, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }),
      ],
    })
    gates.push(gate)
    const error = await rejection(gate.verify(await issuer.mint()))
    expect(error.status).toBe(503)
  })

  it.each([
    [{ jwks: { keys: [] } }, 'jwks'],
    [{ jwks: [] as unknown as { keys: object[] } }, 'jwks'],
    [{ jwksFetch: true }, 'jwksFetch'],
  ])('refuses %j at construction, naming %s', (options, name) => {
    expect(() => vercel({ team: 'acme', ...options })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringContaining(name) }),
    )
  })
})

describe('key source resilience', () => {
  it('accepts a key published right after a fetch on its first use, within the refetch interval', async () => {
    const local = await createTestIssuer({ team: 'acme' })
    try {
      const gate = createGate({
        issuers: [vercel({ team: 'acme', baseUrl: local.url })],
        jwks: { cooldownDuration: 300 },
      })
      gates.push(gate)
      await gate.warmup()
      await local.rotate()
      const started = performance.now()
      const auth = await gate.verify(await local.mint())
      expect(auth.header.kid).toBe(local.kid)
      expect(performance.now() - started).toBeLessThan(2000)
      expect(local.requests.jwks).toBe(2)
    } finally {
      await local.close()
    }
  })

  it('emits jwks.stale-served while an outage keeps known keys working', async () => {
    const local = await createTestIssuer({ team: 'acme' })
    try {
      const clock = { now: Date.now() }
      const events: GateEvent[] = []
      const gate = createGate({
        issuers: [vercel({ team: 'acme', baseUrl: local.url })],
        clock: () => clock.now,
        cache: false,
        onEvent: (e) => events.push(e),
        jwks: { minCacheAge: 60_000, maxCacheAge: 60_000, staleIfError: 120_000 },
      })
      gates.push(gate)
      const token = await local.mint()
      await gate.verify(token)
      local.setFault({ kind: 'status', status: 500 })
      clock.now += 61_000
      await gate.verify(token)
      expect(events.some((e) => e.type === 'jwks.stale-served')).toBe(true)
      clock.now += 121_000
      const error = await rejection(gate.verify(token))
      expect(error.status).toBe(503)
    } finally {
      await local.close()
    }
  })
})

describe('verified-token cache, most recent token', () => {
  it('re-verifies a token whose cached verification expired, and caches the new verification', async () => {
    const { gate, clock, hits } = setup({ cache: { maxAge: 1000 } })
    const token = await issuer.mint()
    await gate.verify(token)
    await gate.verify(token)
    clock.now += 1001
    await gate.verify(token) // expired entry: verified again and cached afresh
    await gate.verify(token)
    await gate.verify(token)
    expect(hits()).toEqual([false, true, false, true, true])
  })
})
