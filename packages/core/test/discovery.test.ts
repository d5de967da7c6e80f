/**
 * DESIGN §3, SECURITY K1, K3–K8: `oidc({ issuer, audience })` without `jwksUri` finds its keys through
 * the issuer's metadata — measured against the real local issuer over HTTP (request counters, fault
 * injection, metadata overrides).
 */

import { createTestIssuer, DEFAULT_JWKS_CACHE_CONTROL, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createGate, type GateEvent, type KeySourceOptions, oidc } from '../src/index.js'
import {
  claimsOf,
  expectInvalidToken,
  expectUnavailable,
  type LoopbackServer,
  startServer,
} from './helpers.js'

let issuer: TestIssuer
const closing: { close(): unknown }[] = []

beforeAll(async () => {
  issuer = await createTestIssuer({ profile: 'oidc', algorithm: 'ES256' })
})

afterEach(() => {
  issuer.setFault(null)
  issuer.setMetadata(null)
  issuer.setCacheControl(DEFAULT_JWKS_CACHE_CONTROL)
  issuer.resetCounters()
})

afterAll(async () => {
  for (const c of closing) await c.close()
  await issuer.close()
})

type DiscoveryFetch = Extract<GateEvent, { type: 'discovery.fetch' }>

/**
 * A gate on `at`'s issuer with no `jwksUri`, recording its events, with a clock that follows real time
 * until a test sets `now` (ms).
 */
function discoveryGate(at: TestIssuer = issuer, jwks: KeySourceOptions = {}, configured = at.issuer) {
  const probe: { events: GateEvent[]; now: number | undefined } = { events: [], now: undefined }
  const gate = createGate({
    issuers: [oidc({ issuer: configured, audience: at.audience })],
    jwks,
    clock: () => probe.now ?? Date.now(),
    onEvent: (e) => probe.events.push(e),
  })
  closing.push(gate)
  const discovery = () => probe.events.filter((e): e is DiscoveryFetch => e.type === 'discovery.fetch')
  return Object.assign(probe, { gate, discovery })
}

describe('K3: oidc() without jwksUri reads the issuer metadata', () => {
  it('verifies a token with one metadata request and one JWKS request, and names the jwks_uri in an event', async () => {
    const { gate, discovery } = discoveryGate()
    const auth = await gate.verify(await issuer.mint())
    expect(auth.issuer).toBe(issuer.issuer)
    expect(issuer.requests).toMatchObject({ discovery: 1, jwks: 1 })
    expect(discovery()).toEqual([
      expect.objectContaining({
        issuer: issuer.issuer,
        url: `${issuer.issuer}/.well-known/openid-configuration`,
        trigger: 'initial',
        ok: true,
        jwksUri: issuer.jwksUri,
      }),
    ])
  })

  it('fetches metadata and keys at warmup, so the first request makes no request at all', async () => {
    const { gate, discovery } = discoveryGate()
    await gate.warmup()
    expect(discovery().map((e) => e.trigger)).toEqual(['warmup'])
    issuer.resetCounters()
    await gate.verify(await issuer.mint())
    expect(issuer.requests).toMatchObject({ discovery: 0, jwks: 0 })
  })

  it('shares one metadata fetch and one JWKS fetch between 20 concurrent first requests', async () => {
    const { gate } = discoveryGate()
    const tokens = await Promise.all(Array.from({ length: 20 }, () => issuer.mint()))
    const auths = await Promise.all(tokens.map((t) => gate.verify(t)))
    expect(auths).toHaveLength(20)
    expect(issuer.requests).toMatchObject({ discovery: 1, jwks: 1 })
  })

  it('falls back to RFC 8414 metadata with the path inserted when the OpenID document answers 404', async () => {
    const pathIssuer = await createTestIssuer({ profile: 'oidc', issuerPath: '/tenant1' })
    closing.push(pathIssuer)
    pathIssuer.setFault({ kind: 'status', status: 404, on: 'openid-configuration' })
    const { gate, discovery } = discoveryGate(pathIssuer)
    const auth = await gate.verify(await pathIssuer.mint())
    expect(auth.issuer).toBe(`${pathIssuer.url}/tenant1`)
    expect(discovery().map((e) => [e.url, e.ok])).toEqual([
      [`${pathIssuer.url}/tenant1/.well-known/openid-configuration`, false],
      [`${pathIssuer.url}/.well-known/oauth-authorization-server/tenant1`, true],
    ])
    expect(discovery()[0]?.error).toBe('metadata answered HTTP 404')
  })

  it('asks the document that answered first when the metadata is refreshed', async () => {
    const pathIssuer = await createTestIssuer({ profile: 'oidc', issuerPath: '/tenant1' })
    closing.push(pathIssuer)
    pathIssuer.setFault({ kind: 'status', status: 404, on: 'openid-configuration' })
    const probe = discoveryGate(pathIssuer, { staleIfError: 0 })
    await probe.gate.warmup()
    probe.now = Date.now() + 601_000
    await probe.gate.verify(await pathIssuer.mint({}, { ttl: 3600 }))
    expect(probe.discovery().map((e) => e.url.includes('oauth-authorization-server'))).toEqual([
      false,
      true,
      true,
    ])
  })

  it('reads the metadata of an issuer with a terminating slash without doubling it', async () => {
    const slashIssuer = await createTestIssuer({ profile: 'oidc', issuerPath: '/' })
    closing.push(slashIssuer)
    expect(slashIssuer.issuer).toBe(`${slashIssuer.url}/`)
    const { gate, discovery } = discoveryGate(slashIssuer)
    expect((await gate.verify(await slashIssuer.mint())).issuer).toBe(`${slashIssuer.url}/`)
    expect(discovery()[0]?.url).toBe(`${slashIssuer.url}/.well-known/openid-configuration`)
  })
})

describe('K4: metadata whose issuer is not identical is never used', () => {
  for (const [name, variant] of [
    ['a terminating slash', (iss: string) => `${iss}/`],
    ['another case', (iss: string) => iss.toUpperCase()],
    ['another issuer', () => 'https://attacker.example'],
    ['no issuer', () => undefined],
  ] as const) {
    it(`answers 503 with Retry-After and fetches no JWKS when the metadata issuer has ${name}`, async () => {
      issuer.setMetadata({ issuer: variant(issuer.issuer) })
      const { gate, discovery } = discoveryGate()
      await expectUnavailable(gate.verify(await issuer.mint()))
      expect(issuer.requests.jwks).toBe(0)
      // Both documents were tried and refused, each event saying why.
      expect(discovery().map((e) => e.ok)).toEqual([false, false])
      expect(discovery()[0]?.error).toMatch(/^metadata issuer .* is not the configured issuer/)
    })
  }

  it('refuses the metadata of a configured issuer with a terminating slash that the issuer does not have', async () => {
    const { gate, discovery } = discoveryGate(issuer, {}, `${issuer.issuer}/`)
    const token = await issuer.mint({ iss: `${issuer.issuer}/` })
    await expectUnavailable(gate.verify(token))
    expect(discovery()[0]?.error).toBe(
      `metadata issuer "${issuer.issuer}" is not the configured issuer "${issuer.issuer}/"`,
    )
  })

  it('rejects warmup with the same 503, so a deployment finds out at boot', async () => {
    issuer.setMetadata({ issuer: `${issuer.issuer}/` })
    const { gate } = discoveryGate()
    await expectUnavailable(gate.warmup())
  })
})

describe('K5, K6: the metadata fetch is capped like the JWKS fetch, and its jwks_uri checked', () => {
  let canary: LoopbackServer

  beforeAll(async () => {
    canary = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"keys":[]}')
    })
    closing.push(canary)
  })

  it('refuses a redirect without following it', async () => {
    issuer.setFault({ kind: 'redirect', location: `${canary.url}/metadata`, on: 'discovery' })
    const { gate, discovery } = discoveryGate()
    await expectUnavailable(gate.verify(await issuer.mint()))
    expect(canary.requests).toHaveLength(0)
    expect(discovery().map((e) => e.error)).toEqual([
      'metadata answered HTTP 302',
      'metadata answered HTTP 302',
    ])
  })

  it('refuses oversized metadata, with or without a Content-Length', async () => {
    for (const chunked of [false, true]) {
      issuer.setFault({ kind: 'oversized', bytes: 300_000, chunked, on: 'discovery' })
      const { gate, discovery } = discoveryGate()
      await expectUnavailable(gate.verify(await issuer.mint()))
      expect(discovery()[0]?.error).toBe('metadata response too large')
    }
    expect(issuer.requests.jwks).toBe(0)
  })

  it('answers 503 within the timeout when the metadata is slow, without trying the other document', async () => {
    issuer.setFault({ kind: 'delay', ms: 3000, on: 'discovery' })
    const { gate, discovery } = discoveryGate(issuer, { timeoutDuration: 300 })
    const started = performance.now()
    await expectUnavailable(gate.verify(await issuer.mint()))
    expect(performance.now() - started).toBeLessThan(1500)
    expect(discovery().map((e) => e.error)).toEqual(['timeout'])
  })

  it('refuses metadata that is not a JSON object', async () => {
    issuer.setFault({ kind: 'invalid-json', on: 'discovery' })
    const { gate, discovery } = discoveryGate()
    await expectUnavailable(gate.verify(await issuer.mint()))
    expect(discovery()[0]?.error).toBe('metadata is not JSON')
  })

  for (const [name, jwksUri, error] of [
    ['plain http off loopback', 'http://keys.example.test/jwks', /must use https:/],
    ['a fragment', 'JWKS#x', /must not contain a fragment/],
    ['credentials', 'http://u:p@127.0.0.1:9/jwks', /must not contain credentials/],
    ['no jwks_uri', undefined, /has no jwks_uri/],
    ['a relative URL', '/jwks', /is not a URL/],
  ] as const) {
    it(`refuses a jwks_uri with ${name}, fetching nothing from it`, async () => {
      issuer.setMetadata({ jwks_uri: jwksUri?.replace('JWKS', issuer.jwksUri) })
      const { gate, discovery } = discoveryGate()
      await expectUnavailable(gate.verify(await issuer.mint()))
      expect(issuer.requests.jwks).toBe(0)
      expect(discovery()[0]?.error).toMatch(error)
    })
  }

  it('accepts a jwks_uri on another origin, with a query', async () => {
    const keys = await startServer(async (_req, res) => {
      const body = JSON.stringify(await (await fetch(issuer.jwksUri)).json())
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(body)
    })
    closing.push(keys)
    issuer.setMetadata({ jwks_uri: `${keys.url}/keys?p=signin` })
    const { gate } = discoveryGate()
    await gate.verify(await issuer.mint())
    expect(keys.requests.map((r) => r.path)).toEqual(['/keys?p=signin'])
  })

  it('waits out the cooldown after a failed fetch instead of asking again on every request', async () => {
    issuer.setFault({ kind: 'status', status: 500, on: 'discovery' })
    const { gate } = discoveryGate(issuer, { cooldownDuration: 60_000 })
    const tokens = await Promise.all(Array.from({ length: 20 }, () => issuer.mint()))
    await Promise.all(tokens.map((t) => expectUnavailable(gate.verify(t))))
    expect(issuer.requests.discovery).toBe(2)
    await expectUnavailable(gate.verify(tokens[0] as string))
    expect(issuer.requests.discovery).toBe(2)
  })
})

describe('K1, K8: metadata cached and refreshed like a JWKS; the keys follow its jwks_uri', () => {
  it('keeps verifying on stale metadata while the issuer is down, then answers 503 past staleIfError', async () => {
    // Keys cached longer than the metadata: what expires here is the metadata.
    issuer.setCacheControl('max-age=3600')
    const probe = discoveryGate(issuer, { staleIfError: 60_000, cooldownDuration: 10 })
    const token = await issuer.mint({}, { ttl: 7200 })
    await probe.gate.verify(token)
    issuer.setFault({ kind: 'status', status: 503 })
    probe.now = Date.now() + 610_000
    // Another token: the verified-token cache would answer the first one without asking the keys.
    const second = await issuer.mint({}, { ttl: 7200 })
    await probe.gate.verify(second)
    probe.now = Date.now() + 610_000 + 61_000
    await expectUnavailable(probe.gate.verify(await issuer.mint({}, { ttl: 7200 })))
  })

  it('moves to the new jwks_uri when a refresh names another one, and the old keys stop verifying', async () => {
    const other = await createTestIssuer({ profile: 'oidc', algorithm: 'ES256' })
    closing.push(other)
    const probe = discoveryGate(issuer, { staleIfError: 0, cooldownDuration: 10 })
    const before = await issuer.mint({}, { ttl: 7200 })
    await probe.gate.verify(before)

    issuer.setMetadata({ jwks_uri: other.jwksUri })
    probe.now = Date.now() + 610_000
    const signedByOther = await other.mint({ iss: issuer.issuer, aud: issuer.audience }, { ttl: 7200 })
    expect((await probe.gate.verify(signedByOther)).issuer).toBe(issuer.issuer)
    expect(probe.discovery().at(-1)).toMatchObject({ trigger: 'expired', ok: true, jwksUri: other.jwksUri })
    // The cached verification of `before` is not served any more: its key is not in the new JWKS.
    await expectInvalidToken(probe.gate.verify(before), 'kid')
  })

  it('never lets a token choose a URL: an unknown iss costs no request at either issuer', async () => {
    const attacker = await createTestIssuer({ profile: 'oidc' })
    closing.push(attacker)
    const { gate } = discoveryGate()
    const forged = await attacker.mint({ aud: issuer.audience })
    await expectInvalidToken(gate.verify(forged), 'iss')
    // The token names the attacker's issuer; its jku points there too.
    const withJku = await attacker.sign(
      { alg: 'RS256', typ: 'at+jwt', jku: attacker.jwksUri },
      claimsOf(forged),
    )
    await expectInvalidToken(gate.verify(withJku), 'iss')
    expect(attacker.requests).toMatchObject({ discovery: 0, jwks: 0 })
    expect(issuer.requests).toMatchObject({ discovery: 0, jwks: 0 })
  })

  it('refuses configured keys without jwksUri, naming the options', () => {
    expect(() =>
      oidc({ issuer: issuer.issuer, audience: issuer.audience, jwks: { keys: [{ kty: 'EC' }] } }),
    ).toThrow(/oidc\(\): jwks needs jwksUri/)
  })
})
