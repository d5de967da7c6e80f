/**
 * SECURITY §5 (K1–K10): where keys come from, how the JWKS is fetched and cached, and how issuers are
 * matched — measured against the real local issuer over HTTP.
 */

import { setTimeout as sleep } from 'node:timers/promises'
import { createTestIssuer, DEFAULT_JWKS_CACHE_CONTROL, type Fault, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createGate, type GateEvent, type KeySourceOptions, oidc, vercel } from '../src/index.js'
import {
  accessTokenClaims,
  claimsOf,
  expectInvalidToken,
  expectUnavailable,
  issuerPrivateKey,
  segmentJson,
  serveJwks,
  signJws,
  startServer,
} from './helpers.js'

let issuer: TestIssuer
const gates: { close(): void }[] = []

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
})

afterEach(() => {
  issuer.setFault(null)
  issuer.setCacheControl(DEFAULT_JWKS_CACHE_CONTROL)
})

afterAll(async () => {
  for (const g of gates) g.close()
  await issuer.close()
})

/**
 * A fresh Vercel gate on the local issuer (cold cache) with recorded events and a clock that follows real
 * time until a test sets `now` (ms).
 */
function vercelGate(jwks: KeySourceOptions = {}, profile = vercel({ team: 'acme', baseUrl: issuer.url })) {
  const probe: { events: GateEvent[]; now: number | undefined } = { events: [], now: undefined }
  const gate = createGate({
    issuers: [profile],
    jwks,
    clock: () => probe.now ?? Date.now(),
    onEvent: (e) => probe.events.push(e),
  })
  gates.push(gate)
  return Object.assign(probe, { gate })
}

const fetches = (events: readonly GateEvent[]) =>
  events.filter((e): e is Extract<GateEvent, { type: 'jwks.fetch' }> => e.type === 'jwks.fetch')

/** A token for `issuer` signed with its current key but naming `kid`. */
async function withKid(kid: string): Promise<string> {
  const t = await issuer.mint()
  return issuer.sign({ ...segmentJson(t, 0), kid }, claimsOf(t))
}

describe('K7: unknown kid → at most one cooled-down, single-flight refetch', () => {
  it('verifies a token signed with a freshly rotated key on its first use, with one extra fetch', async () => {
    const { gate } = vercelGate({ cooldownDuration: 100 })
    await gate.warmup()
    const before = issuer.requests.jwks
    const kid = await issuer.rotate()
    const auth = await gate.verify(await issuer.mint())
    expect(auth.header.kid).toBe(kid)
    expect(issuer.requests.jwks - before).toBe(1)
  })

  it('answers 50 concurrent requests with distinct unknown kids with at most one fetch (kid-flood probe, kid-unknown)', async () => {
    const { gate } = vercelGate({ cooldownDuration: 50 })
    await gate.warmup()
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => withKid(`mrk-unknown-${i}`)))
    const before = issuer.requests.jwks
    await Promise.all(tokens.map((t) => expectInvalidToken(gate.verify(t), 'kid')))
    expect(issuer.requests.jwks - before).toBeLessThanOrEqual(1)
  })

  it('shares one initial fetch between 50 concurrent requests on a cold cache', async () => {
    const { gate } = vercelGate()
    const token = await issuer.mint()
    const before = issuer.requests.jwks
    const results = await Promise.all(Array.from({ length: 50 }, () => gate.verify(token)))
    expect(results.every((a) => a.claims.owner === 'acme')).toBe(true)
    expect(issuer.requests.jwks - before).toBe(1)
  })

  it('spaces refetches for unknown kids by at least cooldownDuration', async () => {
    const cooldown = 150
    const jwks = await (await fetch(issuer.jwksUri)).json()
    const mirror = await serveJwks(() => jwks)
    try {
      const probe = vercelGate(
        { cooldownDuration: cooldown },
        vercel({ team: 'acme', baseUrl: issuer.url, jwksUri: `${mirror.url}/jwks` }),
      )
      await probe.gate.warmup()
      const tokens = await Promise.all([1, 2, 3].map((i) => withKid(`mrk-rotated-away-${i}`)))
      for (const t of tokens) await expectInvalidToken(probe.gate.verify(t), 'kid')
      const at = mirror.requests.map((r) => r.at)
      expect(at).toHaveLength(4)
      for (let i = 1; i < at.length; i++) {
        // Fetches start cooldownDuration apart; arrival times jitter with connection setup, so allow half.
        // Without the cooldown these gaps are a few milliseconds.
        expect((at[i] as number) - (at[i - 1] as number)).toBeGreaterThanOrEqual(cooldown / 2)
      }
      expect((at[3] as number) - (at[0] as number)).toBeGreaterThanOrEqual(2.5 * cooldown)
      expect(probe.events.some((e) => e.type === 'jwks.refetch-throttled')).toBe(true)
    } finally {
      await mirror.close()
    }
  })

  it('keeps known keys when a refetch fails: the unknown kid gets 503, known tokens still verify', async () => {
    const { gate } = vercelGate({ cooldownDuration: 20 })
    const known = await issuer.mint()
    await gate.verify(known)
    issuer.setFault({ kind: 'status', status: 500 })
    const before = issuer.requests.jwks
    await expectUnavailable(gate.verify(await withKid('mrk-not-yet-published')))
    expect(issuer.requests.jwks - before).toBe(1)
    // A token not seen before (no verified-token cache hit) needs the cached key itself.
    expect((await gate.verify(await issuer.mint({ project: 'fresh' }))).claims.project).toBe('fresh')
    expect(issuer.requests.jwks - before).toBe(1)
  })

  it('does not turn every request into a fetch during an outage with nothing cached', async () => {
    const { gate } = vercelGate({ cooldownDuration: 2000 })
    issuer.setFault({ kind: 'status', status: 500 })
    const token = await issuer.mint()
    const before = issuer.requests.jwks
    for (let i = 0; i < 5; i++) {
      const error = await expectUnavailable(gate.verify(token))
      expect(error.headers['retry-after']).toBe('2')
    }
    expect(issuer.requests.jwks - before).toBe(1)
  })
})

describe('K6: fetch hardening', () => {
  it('answers 503 with Retry-After when the JWKS is slower than timeoutDuration, instead of hanging', async () => {
    const probe = vercelGate({ timeoutDuration: 150 })
    issuer.setFault({ kind: 'delay', ms: 3000 })
    const started = performance.now()
    await expectUnavailable(probe.gate.verify(await issuer.mint()))
    expect(performance.now() - started).toBeLessThan(1500)
    expect(fetches(probe.events)).toMatchObject([{ ok: false, error: 'timeout', trigger: 'initial' }])
  })

  const faults: [string, Fault, RegExp][] = [
    ['HTTP 500', { kind: 'status', status: 500 }, /HTTP 500/],
    ['HTTP 404', { kind: 'status', status: 404 }, /HTTP 404/],
    ['invalid JSON', { kind: 'invalid-json' }, /not JSON/],
    ['an oversized body with Content-Length', { kind: 'oversized' }, /too large/],
    ['an oversized chunked body', { kind: 'oversized', chunked: true }, /too large/],
    ['a reset connection', { kind: 'reset' }, /.+/],
  ]
  for (const [name, fault, error] of faults) {
    it(`answers 503 with Retry-After for ${name} when no keys are cached`, async () => {
      const probe = vercelGate()
      issuer.setFault(fault)
      await expectUnavailable(probe.gate.verify(await issuer.mint()))
      const [event] = fetches(probe.events)
      expect(event).toMatchObject({ ok: false, trigger: 'initial' })
      expect(event?.error).toMatch(error)
    })
  }

  it('refuses a declared Content-Length above maxResponseSize without waiting for the body', async () => {
    // Declares 10 MB, sends a few bytes and stalls: only the declared length can refuse it before the timeout.
    const stall = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(10_000_000) })
      res.write('{"keys":[')
    })
    try {
      const probe = vercelGate(
        { timeoutDuration: 3000 },
        vercel({ team: 'acme', baseUrl: issuer.url, jwksUri: `${stall.url}/jwks` }),
      )
      const started = performance.now()
      await expectUnavailable(probe.gate.verify(await issuer.mint()))
      expect(performance.now() - started).toBeLessThan(2000)
      expect(fetches(probe.events)[0]?.error).toMatch(/too large/)
    } finally {
      await stall.close()
    }
  })

  it('applies maxResponseSize to a normal JWKS too', async () => {
    const probe = vercelGate({ maxResponseSize: 100 })
    await expectUnavailable(probe.gate.verify(await issuer.mint()))
    expect(fetches(probe.events)[0]?.error).toMatch(/too large/)
  })

  it('refuses a JWKS without a usable keys array', async () => {
    for (const body of [{}, { keys: [] }, { keys: {} }, []]) {
      const server = await serveJwks(() => body)
      try {
        const probe = vercelGate(
          {},
          vercel({ team: 'acme', baseUrl: issuer.url, jwksUri: `${server.url}/jwks` }),
        )
        await expectUnavailable(probe.gate.verify(await issuer.mint()))
      } finally {
        await server.close()
      }
    }
  })

  for (const status of [302, 307, 308]) {
    it(`does not follow a ${status} redirect, even to the real JWKS`, async () => {
      const redirect = await startServer((_req, res) => {
        res.writeHead(status, { location: issuer.jwksUri })
        res.end()
      })
      try {
        const probe = vercelGate(
          {},
          vercel({ team: 'acme', baseUrl: issuer.url, jwksUri: `${redirect.url}/jwks` }),
        )
        const before = issuer.requests.jwks
        await expectUnavailable(probe.gate.verify(await issuer.mint()))
        expect(redirect.requests).toHaveLength(1)
        expect(issuer.requests.jwks).toBe(before)
        expect(fetches(probe.events)[0]?.error).toBe(`JWKS answered HTTP ${status}`)
      } finally {
        await redirect.close()
      }
    })
  }

  it('sends no cookies or credentials with the JWKS request', async () => {
    const jwks = await (await fetch(issuer.jwksUri)).json()
    const mirror = await serveJwks(() => jwks)
    try {
      const { gate } = vercelGate(
        {},
        vercel({ team: 'acme', baseUrl: issuer.url, jwksUri: `${mirror.url}/keys` }),
      )
      expect((await gate.verify(await issuer.mint())).claims.owner).toBe('acme')
      expect(mirror.requests).toHaveLength(1)
      const headers = mirror.requests[0]?.headers ?? {}
      expect(headers.cookie).toBeUndefined()
      expect(headers.authorization).toBeUndefined()
      expect(mirror.requests[0]?.path).toBe('/keys')
    } finally {
      await mirror.close()
    }
  })
})

describe('K8: cache lifetime and revocation', () => {
  const cases: [string, string | null, KeySourceOptions, number, number][] = [
    ['max-age=120 is honoured', 'public, max-age=120', {}, 119, 121],
    ['max-age=5 is raised to minCacheAge (60 s)', 'max-age=5', {}, 59, 61],
    [
      'max-age of 2 days is lowered to maxCacheAge (1 h)',
      'max-age=172800',
      { maxCacheAge: 3_600_000 },
      3599,
      3601,
    ],
    ['no Cache-Control falls back to cacheMaxAge (90 s)', null, { cacheMaxAge: 90_000 }, 89, 91],
  ]
  for (const [name, cacheControl, jwks, fresh, stale] of cases) {
    it(`caches the JWKS per Cache-Control within bounds: ${name}`, async () => {
      issuer.setCacheControl(cacheControl)
      const probe = vercelGate(jwks)
      const token = await issuer.mint({}, { ttl: 7200 })
      const start = Date.now()
      probe.now = start
      await probe.gate.warmup()
      const before = issuer.requests.jwks
      probe.now = start + fresh * 1000
      await probe.gate.verify(token)
      expect(issuer.requests.jwks).toBe(before)
      probe.now = start + stale * 1000
      await probe.gate.verify(token)
      // Served from the expired set while the refresh runs in the background.
      await vi.waitFor(() => {
        expect(issuer.requests.jwks).toBe(before + 1)
        expect(fetches(probe.events).at(-1)).toMatchObject({ ok: true, trigger: 'expired' })
      })
    })
  }

  it('serves known keys after cacheMaxAge during an outage, for staleIfError only (stale-if-error)', async () => {
    issuer.setCacheControl(null)
    const probe = vercelGate({ cacheMaxAge: 60_000, staleIfError: 600_000, cooldownDuration: 1000 })
    const token = await issuer.mint({}, { ttl: 7200 })
    const start = Date.now()
    probe.now = start
    await probe.gate.warmup()

    issuer.setFault({ kind: 'status', status: 503 })
    probe.now = start + 61_000
    expect((await probe.gate.verify(token)).claims.owner).toBe('acme')
    expect(probe.events).toContainEqual(
      expect.objectContaining({ type: 'jwks.stale-served', staleForMs: 1000 }),
    )

    probe.now = start + 60_000 + 600_000
    expect((await probe.gate.verify(token)).claims.owner).toBe('acme')

    probe.now = start + 60_000 + 600_001 + 2000
    await expectUnavailable(probe.gate.verify(token))

    // Recovery: the next allowed fetch succeeds and the keys are fresh again.
    issuer.setFault(null)
    probe.now = start + 60_000 + 600_001 + 4000
    expect((await probe.gate.verify(token)).claims.owner).toBe('acme')
  })

  it('stops verifying a key removed from the JWKS once the cache is refreshed (revocation)', async () => {
    issuer.setCacheControl('max-age=60')
    const probe = vercelGate({ cooldownDuration: 10 })
    const old = await issuer.mint({}, { ttl: 7200 })
    const oldKid = issuer.kid
    const start = Date.now()
    probe.now = start
    await probe.gate.verify(old)

    await issuer.rotate()
    issuer.removeKey(oldKid)
    // Until the cache expires, the removed key is still known.
    probe.now = start + 59_000
    expect((await probe.gate.verify(old)).header.kid).toBe(oldKid)

    // Once the cache expired, the key may serve requests while the refresh runs (stale-while-revalidate);
    // as soon as the refreshed JWKS arrives without it, it verifies nothing more.
    probe.now = start + 61_000
    const fetched = fetches(probe.events).length
    await probe.gate.verify(old).catch(() => undefined)
    await vi.waitFor(() => expect(fetches(probe.events)).toHaveLength(fetched + 1))
    await expectInvalidToken(probe.gate.verify(old), 'kid')
    expect((await probe.gate.verify(await issuer.mint())).header.kid).toBe(issuer.kid)
  })
})

describe('K1, K2, K4: keys come only from the configured issuer', () => {
  let attacker: TestIssuer
  beforeAll(async () => {
    attacker = await createTestIssuer({ team: 'acme' })
  })
  afterAll(async () => {
    await attacker.close()
  })

  it('refuses a token whose iss is another local issuer and never contacts it (iss-driven-discovery-to-attacker)', async () => {
    const { gate } = vercelGate()
    const forged = await attacker.mint()
    await expectInvalidToken(gate.verify(forged), 'iss', [forged, attacker.url])
    expect(attacker.requests).toEqual({ jwks: 0, discovery: 0, exchange: 0, token: 0 })
  })

  it('refuses a token with the legit iss signed by another issuer’s key, never contacting that issuer', async () => {
    const { gate } = vercelGate({ cooldownDuration: 10 })
    const t = await attacker.mint(
      { iss: issuer.issuer },
      { header: { jku: attacker.jwksUri, x5u: attacker.jwksUri } },
    )
    await expectInvalidToken(gate.verify(t), 'kid')
    expect(attacker.requests).toEqual({ jwks: 0, discovery: 0, exchange: 0, token: 0 })
  })

  it('refuses a token of another team signed with the shared key (iss-wrong)', async () => {
    const { gate } = vercelGate()
    const other = await issuer.mint({
      iss: `${issuer.url}/other`,
      owner: 'other',
      aud: 'https://vercel.com/other',
    })
    await expectInvalidToken(gate.verify(other), 'iss')
  })

  const wrongIss: [string, () => string][] = [
    ['iss-prefix-extended', () => `${issuer.url}/acme-evil`],
    ['iss-trailing-slash', () => `${issuer.url}/acme/`],
    ['iss-case-variant', () => `${issuer.url}/ACME`],
    ['iss-global-on-a-team-gate', () => issuer.url],
    ['iss-path-appended', () => `${issuer.url}/acme/.well-known/jwks`],
  ]
  for (const [name, iss] of wrongIss) {
    it(`refuses iss that is not exactly the configured issuer (${name})`, async () => {
      const { gate } = vercelGate()
      await expectInvalidToken(gate.verify(await issuer.mint({ iss: iss() })), 'iss', [issuer.issuer])
    })
  }

  it('verifies each issuer with its own key set only (several issuers in one gate)', async () => {
    const [a, b] = await Promise.all([
      createTestIssuer({ profile: 'oidc' }),
      createTestIssuer({ profile: 'oidc' }),
    ])
    try {
      const gate = createGate({
        issuers: [
          oidc({ issuer: a.issuer, audience: a.audience, jwksUri: a.jwksUri }),
          oidc({ issuer: b.issuer, audience: b.audience, jwksUri: b.jwksUri }),
        ],
        jwks: { cooldownDuration: 10 },
      })
      gates.push(gate)
      expect((await gate.verify(await a.mint())).issuer).toBe(a.issuer)
      expect((await gate.verify(await b.mint())).issuer).toBe(b.issuer)
      // iss names a, the key and kid are b's: b's JWKS must not vouch for a's tokens.
      const crossed = signJws(
        { alg: 'RS256', typ: 'at+jwt', kid: b.kid },
        accessTokenClaims(a.issuer, a.audience),
        issuerPrivateKey(b),
        'RS256',
      )
      await expectInvalidToken(gate.verify(crossed), 'kid')
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })
})

describe('K9, K5: issuer and JWKS URLs from configuration', () => {
  it('keeps the team path in the team JWKS URL', async () => {
    const probe = vercelGate()
    await probe.gate.warmup()
    expect(fetches(probe.events).map((e) => e.jwksUri)).toEqual([`${issuer.url}/acme/.well-known/jwks`])
  })

  it('uses the global JWKS and the team JWKS (for exchanged tokens) in global mode', async () => {
    const probe = vercelGate({}, vercel({ team: 'acme', baseUrl: issuer.url, issuerMode: 'global' }))
    await probe.gate.warmup()
    expect(new Set(fetches(probe.events).map((e) => e.jwksUri))).toEqual(
      new Set([`${issuer.url}/.well-known/jwks`, `${issuer.url}/acme/.well-known/jwks`]),
    )
  })

  it('uses a configured jwksUri as given', async () => {
    const probe = vercelGate(
      {},
      vercel({ team: 'acme', baseUrl: issuer.url, jwksUri: `${issuer.url}/.well-known/jwks` }),
    )
    expect((await probe.gate.verify(await issuer.mint())).claims.owner).toBe('acme')
    expect(fetches(probe.events).map((e) => e.jwksUri)).toEqual([`${issuer.url}/.well-known/jwks`])
  })

  for (const team of [
    'acme/../evil',
    'acme.evil.com',
    'Acme',
    '',
    '-acme',
    'acme?x=1',
    'acme#x',
    'ac me',
    'évil',
  ]) {
    it(`vercel() refuses the team slug ${JSON.stringify(team)} with a TypeError naming team`, () => {
      expect(() => vercel({ team })).toThrow(TypeError)
      expect(() => vercel({ team })).toThrow(/vercel\(\): team/)
    })
  }

  for (const baseUrl of [
    'http://oidc.example.com',
    'http://127.0.0.1.evil.test',
    'http://localhost.evil.test',
    'http://10.0.0.1',
    'ftp://127.0.0.1',
    'https://user:pass@oidc.example.com',
    'https://oidc.example.com?x=1',
    'https://oidc.example.com#x',
    'https://oidc.example.com/acme',
    'oidc.vercel.com',
  ]) {
    it(`vercel() refuses baseUrl ${baseUrl} with a TypeError naming baseUrl`, () => {
      expect(() => vercel({ team: 'acme', baseUrl })).toThrow(/vercel\(\): baseUrl/)
    })
  }

  for (const baseUrl of [
    'https://oidc.vercel.com',
    'http://127.0.0.1:4000',
    'http://127.8.9.10',
    'http://localhost:3000',
    'http://[::1]:3000/',
  ]) {
    it(`vercel() accepts baseUrl ${baseUrl}`, () => {
      expect(vercel({ team: 'acme', baseUrl }).targets[0]?.jwksUri).toMatch(/\/acme\/\.well-known\/jwks$/)
    })
  }

  it('oidc() refuses plain-http issuer and jwksUri off loopback, and queries or fragments, naming the option', () => {
    const ok = {
      issuer: 'https://as.example.test',
      audience: 'https://api.example.test',
      jwksUri: 'https://as.example.test/jwks',
    }
    expect(() => oidc({ ...ok, issuer: 'http://as.example.test' })).toThrow(/oidc\(\): issuer/)
    expect(() => oidc({ ...ok, jwksUri: 'http://as.example.test/jwks' })).toThrow(/oidc\(\): jwksUri/)
    expect(() => oidc({ ...ok, jwksUri: 'https://as.example.test/jwks?tenant=x' })).toThrow(
      /oidc\(\): jwksUri/,
    )
    expect(() => oidc({ ...ok, jwksUri: 'https://as.example.test/jwks#x' })).toThrow(/oidc\(\): jwksUri/)
    expect(() => oidc({ ...ok, jwksUri: 'https://u:p@as.example.test/jwks' })).toThrow(/oidc\(\): jwksUri/)
    expect(() => oidc({ ...ok, jwksUri: 42 as never })).toThrow(/oidc\(\): jwksUri/)
    expect(oidc(ok).targets).toEqual([{ issuer: ok.issuer, jwksUri: ok.jwksUri }])
  })
})

describe('K10: a token without kid', () => {
  it('verifies when exactly one key fits, and is refused once the JWKS holds two', async () => {
    const one = vercelGate({ cooldownDuration: 10 })
    const noKid = await issuer.mint({}, { header: { kid: undefined } })
    expect((await one.gate.verify(noKid)).header.kid).toBeUndefined()

    await issuer.rotate({ keepPrevious: true })
    const two = vercelGate({ cooldownDuration: 10 })
    await expectInvalidToken(two.gate.verify(await issuer.mint({}, { header: { kid: undefined } })), 'kid')
    // A kid still selects exactly one of the two keys.
    expect((await two.gate.verify(await issuer.mint())).header.kid).toBe(issuer.kid)
    expect((await two.gate.verify(await issuer.mint({}, { key: 'previous' }))).header.kid).not.toBe(
      issuer.kid,
    )
  })
})

describe('K8: stale-while-revalidate (DESIGN §6)', () => {
  /** A warmed-up gate whose JWKS expires 60 s after `start`; the clock stays at `probe.now`. */
  async function expiringGate(jwks: KeySourceOptions = {}) {
    issuer.setCacheControl('max-age=60')
    const probe = vercelGate(jwks)
    const start = Date.now()
    probe.now = start
    await probe.gate.warmup()
    const expire = (): void => {
      probe.now = start + 61_000
    }
    return Object.assign(probe, { start, expire, fetches: () => fetches(probe.events) })
  }

  const tokens = (count: number) =>
    Promise.all(Array.from({ length: count }, (_, i) => issuer.mint({ project: `p${i}` }, { ttl: 7200 })))

  // Wall-clock bounds meet a loaded machine's scheduler: a retry absorbs one descheduled moment, while
  // the refresh still in flight after the last answer shows no request waited for it.
  it('answers every request with a known kid within 50 ms while the refresh of the expired JWKS hangs for 3 s', {
    retry: 2,
  }, async () => {
    const { gate, fetches, expire } = await expiringGate()
    const batch = await tokens(20)
    issuer.setFault({ kind: 'delay', ms: 3000 })
    const before = issuer.requests.jwks
    expire()
    const took: number[] = []
    for (const token of batch) {
      const started = performance.now()
      expect((await gate.verify(token)).claims.owner).toBe('acme')
      took.push(performance.now() - started)
      await sleep(50)
    }
    expect(Math.max(...took)).toBeLessThan(50)
    expect(fetches().at(-1)).toMatchObject({ trigger: 'warmup' })
    // One background refresh for all of them, which completes on its own.
    expect(issuer.requests.jwks - before).toBe(1)
    await vi.waitFor(() => expect(fetches().at(-1)).toMatchObject({ ok: true, trigger: 'expired' }), {
      timeout: 5000,
    })
    expect(issuer.requests.jwks - before).toBe(1)
  })

  it('serves concurrent requests from the expired set with one refresh between them', async () => {
    const { gate, expire } = await expiringGate()
    const batch = await tokens(50)
    issuer.setFault({ kind: 'delay', ms: 300 })
    const before = issuer.requests.jwks
    expire()
    const started = performance.now()
    const results = await Promise.all(batch.map((t) => gate.verify(t)))
    expect(performance.now() - started).toBeLessThan(250)
    expect(results).toHaveLength(50)
    await vi.waitFor(() => expect(issuer.requests.jwks - before).toBe(1))
  })

  it('stops verifying a removed key as soon as the refreshed JWKS without it has arrived', async () => {
    const { gate, fetches, expire } = await expiringGate({ cooldownDuration: 10 })
    const old = issuer.kid
    const token = (await tokens(1))[0] as string
    await issuer.rotate({ keepPrevious: false })
    issuer.setFault({ kind: 'delay', ms: 200 })
    expire()
    const fetched = fetches().length
    // In flight: the expired set still vouches for the old key.
    expect((await gate.verify(token)).header.kid).toBe(old)
    await vi.waitFor(() => expect(fetches()).toHaveLength(fetched + 1))
    await expectInvalidToken(gate.verify(token), 'kid')
    expect((await gate.verify(await issuer.mint())).header.kid).toBe(issuer.kid)
  })

  it('drops verified-token cache entries of a key removed from the refreshed JWKS', async () => {
    const { gate, expire } = await expiringGate({ cooldownDuration: 10 })
    const token = (await tokens(1))[0] as string
    await gate.verify(token)
    await gate.verify(token)
    await issuer.rotate({ keepPrevious: false })
    expire()
    const before = issuer.requests.jwks
    await gate.verify(token).catch(() => undefined)
    await vi.waitFor(() => expect(issuer.requests.jwks).toBe(before + 1))
    await vi.waitFor(() => expectInvalidToken(gate.verify(token), 'kid'))
  })

  it('waits for the refresh when the kid is not in the expired set, so a rotated key verifies at once', async () => {
    const { gate, expire } = await expiringGate({ cooldownDuration: 10 })
    await issuer.rotate()
    expire()
    expect((await gate.verify(await issuer.mint())).header.kid).toBe(issuer.kid)
  })

  it('waits for the fetch when the JWKS is stale beyond staleIfError, and answers 503 if it fails', async () => {
    const probe = await expiringGate({ staleIfError: 10_000, timeoutDuration: 200 })
    const token = (await tokens(1))[0] as string
    issuer.setFault({ kind: 'delay', ms: 1000 })
    probe.now = probe.start + 60_000 + 10_001
    const started = performance.now()
    await expectUnavailable(probe.gate.verify(token))
    expect(performance.now() - started).toBeGreaterThanOrEqual(150)
  })

  it('never leaves an unhandled rejection when the background refresh fails, and keeps serving known keys', async () => {
    const unhandled: unknown[] = []
    const listener = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', listener)
    try {
      const probe = await expiringGate({ cooldownDuration: 10 })
      const batch = await tokens(5)
      probe.expire()
      for (const fault of [{ kind: 'status', status: 500 }, { kind: 'reset' }] as const) {
        issuer.setFault(fault)
        probe.now = (probe.now ?? 0) + 1000 // past the cooldown after the previous failure
        const failed = probe.fetches().filter((f) => !f.ok).length
        for (const token of batch) expect((await probe.gate.verify(token)).claims.owner).toBe('acme')
        await vi.waitFor(() => expect(probe.fetches().filter((f) => !f.ok).length).toBeGreaterThan(failed))
        await sleep(20)
      }
      await sleep(50)
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', listener)
    }
  })
})
