import { createDpopProof, createTestIssuer, type DpopProofOptions, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createDpopNonces,
  createGate,
  DpopBindingError,
  fromFetch,
  type Gate,
  type GateEvent,
  type GateOptions,
  type GateRequest,
  InvalidDpopProofError,
  InvalidRequestError,
  memoryReplayStore,
  oidc,
  UseDpopNonceError,
} from '../src/index.js'
import { type DpopClient, dpopClient, expectInvalidProof } from './dpop-helpers.js'
import { expectChallenge, expectInvalidToken, rejection } from './helpers.js'

const URL = 'https://api.example.com/orders'
const NONCE_SECRET = 'nonce-secret-of-at-least-thirty-two-bytes'

let issuer: TestIssuer
let client: DpopClient
const gates: Gate[] = []

beforeAll(async () => {
  issuer = await createTestIssuer({ profile: 'oidc' })
  client = await dpopClient('ES256')
})
afterAll(async () => {
  for (const gate of gates) gate.close()
  await issuer.close()
})

function gate(options: Partial<GateOptions> = {}): Gate {
  const created = createGate({
    issuers: [oidc({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri })],
    ...options,
  }) as unknown as Gate
  gates.push(created)
  return created
}

/** A request to `GET {@link URL}` with these headers, as the request edge builds it from a Fetch request. */
function request(headers: Record<string, string | string[]>, method = 'GET'): GateRequest {
  const init = new Headers()
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) init.append(name, v)
  }
  return fromFetch(new Request(URL, { method, headers: init }))
}

async function dpopRequest(token: string, overrides: Partial<DpopProofOptions> = {}): Promise<GateRequest> {
  const proof = await createDpopProof({
    key: client.key,
    htm: 'GET',
    htu: URL,
    accessToken: token,
    ...overrides,
  })
  return request({ authorization: `DPoP ${token}`, dpop: proof })
}

describe("dpop mode 'allowed' (the default)", () => {
  it('admits a cnf.jkt-bound token sent as DPoP with a valid proof, and exposes the proof as auth.dpop', async () => {
    const token = await issuer.mint({}, { dpopKey: client.key })
    const auth = await gate().authenticate(await dpopRequest(token))
    expect(auth.dpop).toMatchObject({ jkt: client.jkt, alg: 'ES256', nextNonce: undefined })
    expect((auth.claims as { cnf?: unknown }).cnf).toEqual({ jkt: client.jkt })
    expect(Object.isFrozen(auth)).toBe(true)
  })

  it('admits a plain bearer token as before, without auth.dpop', async () => {
    const auth = await gate().authenticate(request({ authorization: `Bearer ${await issuer.mint()}` }))
    expect(auth.dpop).toBeUndefined()
  })

  it('answers 401 invalid_token to a bound token sent as Bearer, with or without a proof (dpop-bound-token-as-bearer-*)', async () => {
    const token = await issuer.mint({}, { dpopKey: client.key })
    const g = gate()
    await expectInvalidToken(g.authenticate(request({ authorization: `Bearer ${token}` })), 'cnf', [token])
    const proof = await createDpopProof({ key: client.key, htm: 'GET', htu: URL, accessToken: token })
    await expectInvalidToken(
      g.authenticate(request({ authorization: `Bearer ${token}`, dpop: proof })),
      'cnf',
    )
  })

  it('answers 401 invalid_token in the DPoP challenge to an unbound token sent as DPoP (dpop-scheme-with-unbound-token)', async () => {
    const token = await issuer.mint()
    const error = await rejection(gate().authenticate(await dpopRequest(token)))
    expect(error).toBeInstanceOf(DpopBindingError)
    expect(error.headers['www-authenticate']).toMatch(
      /^Bearer, DPoP error="invalid_token", error_description="[^"]+", algs="/,
    )
  })

  it('answers 401 invalid_dpop_proof to a DPoP token without a proof (dpop-scheme-without-proof-header)', async () => {
    const token = await issuer.mint({}, { dpopKey: client.key })
    await expectInvalidProof(gate().authenticate(request({ authorization: `DPoP ${token}` })), 'dpop-missing')
  })

  it('answers 400 invalid_request to two DPoP headers (dpop-two-proof-headers)', async () => {
    const token = await issuer.mint({}, { dpopKey: client.key })
    const proof = await createDpopProof({ key: client.key, htm: 'GET', htu: URL, accessToken: token })
    const error = await rejection(
      gate().authenticate(request({ authorization: `DPoP ${token}`, dpop: [proof, proof] })),
    )
    expect(error).toBeInstanceOf(InvalidRequestError)
    expect(error.reason).toBe('multiple-dpop')
  })

  it('answers 401 invalid_token to a proof made with another key than cnf.jkt (dpop-key-thumbprint-mismatch)', async () => {
    const other = await dpopClient('ES256')
    const token = await issuer.mint({}, { dpopKey: other.key })
    const error = await rejection(gate().authenticate(await dpopRequest(token)))
    expect(error).toBeInstanceOf(DpopBindingError)
  })

  it('refuses a token with a confirmation method it cannot verify, under either scheme (cnf-x5t-bound-token-as-bearer)', async () => {
    const token = await issuer.mint({ cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } })
    await expectInvalidToken(gate().authenticate(request({ authorization: `Bearer ${token}` })), 'cnf')
    const both = await issuer.mint({ cnf: { jkt: client.jkt, 'x5t#S256': 'x' } })
    await expectInvalidToken(gate().authenticate(await dpopRequest(both)), 'cnf')
  })

  it('answers a bare 401 with both challenges when the request has no credentials', async () => {
    const error = await expectChallenge(gate({ realm: 'api' }).authenticate(request({})), 'missing')
    expect(error.headers['www-authenticate']).toBe(
      'Bearer realm="api", DPoP realm="api", algs="ES256 EdDSA Ed25519 RS256 PS256"',
    )
  })

  it('advertises the configured proof algorithms', async () => {
    const error = await rejection(
      gate({ dpop: { algorithms: ['ES256', 'PS256'] } }).authenticate(request({})),
    )
    expect(error.headers['www-authenticate']).toBe('Bearer, DPoP algs="ES256 PS256"')
  })
})

describe('proofs on verified-token cache hits', () => {
  it('checks a new proof on every request with a cached token, and refuses a replayed one', async () => {
    const events: GateEvent[] = []
    const g = gate({ onEvent: (e) => events.push(e) })
    const token = await issuer.mint({}, { dpopKey: client.key })
    const first = await dpopRequest(token)
    const again = request({
      authorization: `DPoP ${token}`,
      dpop: (first.headers as Headers).get('dpop') as string,
    })
    const a = await g.authenticate(first)
    const b = await g.authenticate(await dpopRequest(token))
    expect(a.dpop?.jti).not.toBe(b.dpop?.jti)
    await expectInvalidProof(g.authenticate(again), 'dpop-replay')
    expect(events.filter((e) => e.type === 'verified').map((e) => (e as { cached: boolean }).cached)).toEqual(
      [false, true],
    )
    expect(events).toContainEqual({ type: 'replay.detected', jkt: client.jkt })
  })

  it('refuses a cached bound token sent as Bearer, and a proof for another URL', async () => {
    const g = gate()
    const token = await issuer.mint({}, { dpopKey: client.key })
    await g.authenticate(await dpopRequest(token))
    await expectInvalidToken(g.authenticate(request({ authorization: `Bearer ${token}` })), 'cnf')
    await expectInvalidProof(g.authenticate(await dpopRequest(token, { htu: `${URL}/other` })), 'dpop-htu')
  })

  it('writes to the replay store only for proofs that passed every other check', async () => {
    const keys: string[] = []
    const inner = memoryReplayStore()
    const replayStore = {
      claim(key: string, expiresAtMs: number) {
        keys.push(key)
        return inner.claim(key, expiresAtMs)
      },
    }
    const g = gate({ dpop: { replayStore } })
    const token = await issuer.mint({}, { dpopKey: client.key })
    await rejection(g.authenticate(await dpopRequest(token, { htm: 'POST' })))
    await rejection(
      g.authenticate(await dpopRequest(await issuer.mint({}, { dpopKey: client.key, expired: true }))),
    )
    expect(keys).toEqual([])
    await g.authenticate(await dpopRequest(token))
    expect(keys).toHaveLength(1)
  })

  it('lets gate.authorize() accept the auth of a DPoP request', async () => {
    const g = gate()
    const auth = await g.authenticate(await dpopRequest(await issuer.mint({}, { dpopKey: client.key })))
    expect(() => g.authorize(auth, { sub: 'user-1' })).not.toThrow()
  })
})

describe("dpop mode 'required'", () => {
  it('answers a bearer token with a bare DPoP-only challenge', async () => {
    const g = gate({ dpop: { mode: 'required' } })
    const error = await expectChallengeDpopOnly(
      g.authenticate(request({ authorization: `Bearer ${await issuer.mint()}` })),
    )
    expect(error.reason).toBe('unsupported-scheme')
  })

  it('admits a bound token with its proof', async () => {
    const token = await issuer.mint({}, { dpopKey: client.key })
    await expect(
      gate({ dpop: { mode: 'required' } }).authenticate(await dpopRequest(token)),
    ).resolves.toMatchObject({
      dpop: { jkt: client.jkt },
    })
  })

  it('puts errors in the DPoP challenge only', async () => {
    const error = await rejection(
      gate({ dpop: { mode: 'required' } }).authenticate(await dpopRequest(await issuer.mint())),
    )
    expect(error.headers['www-authenticate']).toMatch(
      /^DPoP error="invalid_token", error_description="[^"]+", algs="[^"]+"$/,
    )
  })
})

async function expectChallengeDpopOnly(promise: Promise<unknown>) {
  const error = await rejection(promise)
  expect({ status: error.status, error: error.error }).toEqual({ status: 401, error: undefined })
  expect(error.headers['www-authenticate']).toBe('DPoP algs="ES256 EdDSA Ed25519 RS256 PS256"')
  return error
}

describe("dpop mode 'disabled'", () => {
  it('answers the DPoP scheme as an unsupported scheme, with a Bearer-only challenge', async () => {
    const token = await issuer.mint({}, { dpopKey: client.key })
    const error = await expectChallenge(
      gate({ dpop: { mode: 'disabled' } }).authenticate(await dpopRequest(token)),
      'unsupported-scheme',
    )
    expect(error.headers['www-authenticate']).toBe('Bearer')
  })

  it('still refuses a bound token sent as Bearer', async () => {
    const token = await issuer.mint({}, { dpopKey: client.key })
    await expectInvalidToken(
      gate({ dpop: { mode: 'disabled' } }).authenticate(request({ authorization: `Bearer ${token}` })),
      'cnf',
    )
  })
})

describe('server nonces through the gate', () => {
  it('answers 401 use_dpop_nonce with DPoP-Nonce, then admits the retry that carries it', async () => {
    const g = gate({ dpop: { nonce: { secrets: [NONCE_SECRET] } } })
    const token = await issuer.mint({}, { dpopKey: client.key })
    const error = await rejection(g.authenticate(await dpopRequest(token)))
    expect(error).toBeInstanceOf(UseDpopNonceError)
    const nonce = error.headers['dpop-nonce'] as string
    expect(nonce).toBe(await createDpopNonces({ secrets: [NONCE_SECRET] }).current())
    const auth = await g.authenticate(await dpopRequest(token, { nonce }))
    expect(auth.dpop?.nonce).toBe(nonce)
  })

  it('hands out the current nonce on success when the proof carried the previous window’s', async () => {
    const now = Date.now()
    const g = gate({ clock: () => now, dpop: { nonce: { secrets: [NONCE_SECRET], window: 60 } } })
    const nonces = createDpopNonces({ secrets: [NONCE_SECRET], window: 60 })
    const token = await issuer.mint({}, { dpopKey: client.key })
    const old = await nonces.current(now - 60_000)
    const auth = await g.authenticate(await dpopRequest(token, { nonce: old, iat: Math.floor(now / 1000) }))
    expect(auth.dpop?.nextNonce).toBe(await nonces.current(now))
  })
})

describe('the dpop option', () => {
  it.each([
    [{ mode: 'sometimes' }, /dpop\.mode/],
    [{ algorithms: ['none'] }, /dpop\.algorithms/],
    [{ algorithms: ['HS256'] }, /dpop\.algorithms/],
    [{ proofMaxAge: -1 }, /dpop\.proofMaxAge/],
    [{ replayStore: { set() {} } }, /dpop\.replayStore/],
    [{ nonce: { secrets: ['short'] } }, /dpop\.nonce\.secrets\[0\]/],
    [{ mode: 'disabled', nonce: { secrets: [NONCE_SECRET] } }, /mode "disabled"/],
    [{ maxAge: 60 }, /dpop: unknown option "maxAge"/],
    ['yes', /dpop must be an options object/],
  ])('throws a TypeError naming the option for %j', (dpop, message) => {
    expect(() => gate({ dpop: dpop as never })).toThrow(TypeError)
    expect(() => gate({ dpop: dpop as never })).toThrow(message)
  })

  it('refuses InvalidDpopProofError-worthy proofs the same way through the gate', async () => {
    const token = await issuer.mint({}, { dpopKey: client.key })
    const error = await rejection(gate().authenticate(await dpopRequest(token, { header: { typ: 'JWT' } })))
    expect(error).toBeInstanceOf(InvalidDpopProofError)
  })
})
