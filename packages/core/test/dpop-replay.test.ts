import { describe, expect, it } from 'vitest'
import {
  createDpopVerifier,
  type DpopVerifier,
  type GateEvent,
  InvalidDpopProofError,
  memoryReplayStore,
  type ReplayStore,
  ReplayStoreUnavailableError,
  replayKey,
} from '../src/index.js'
import { dpopClient, expectInvalidProof, NOW, NOW_MS, proof, proofRequest } from './dpop-helpers.js'
import { b64, rejection } from './helpers.js'

/** The order of P-256 (FIPS 186-4 D.1.2.3). */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n

/** The same ES256 signature with `s` replaced by `n − s`: also valid, other bytes (ECDSA malleability). */
function malleate(jws: string): string {
  const [h, p, s] = jws.split('.') as [string, string, string]
  const signature = Buffer.from(s, 'base64url')
  const sValue = BigInt(`0x${signature.subarray(32).toString('hex')}`)
  const flipped = Buffer.from((P256_ORDER - sValue).toString(16).padStart(64, '0'), 'hex')
  return `${h}.${p}.${b64(Buffer.concat([signature.subarray(0, 32), flipped]))}`
}

function verifier(
  replayStore: ReplayStore = memoryReplayStore({ clock: () => NOW_MS }),
  events: GateEvent[] = [],
): DpopVerifier {
  return createDpopVerifier({ replayStore, onEvent: (event) => events.push(event) })
}

describe('§8 R1: a proof jti is accepted once', () => {
  it('answers 401 invalid_dpop_proof to the second use of a proof (dpop-replay-second-use)', async () => {
    const client = await dpopClient()
    const events: GateEvent[] = []
    const dpop = verifier(undefined, events)
    const value = await proof(client)
    await dpop.verify(proofRequest(client, value), NOW_MS)
    await expectInvalidProof(dpop.verify(proofRequest(client, value), NOW_MS), 'dpop-replay')
    expect(events).toEqual([{ type: 'replay.detected', jkt: client.jkt }])
  })

  it('refuses a replay whose ECDSA signature was malleated to s → n − s (dpop-replay-malleated-signature)', async () => {
    const client = await dpopClient('ES256')
    const value = await proof(client)
    const twin = malleate(value)
    expect(twin).not.toBe(value)
    // The twin is a valid proof in its own right …
    await expect(verifier().verify(proofRequest(client, twin), NOW_MS)).resolves.toBeDefined()
    // … and still a replay of the first one.
    const dpop = verifier()
    await dpop.verify(proofRequest(client, value), NOW_MS)
    await expectInvalidProof(dpop.verify(proofRequest(client, twin), NOW_MS), 'dpop-replay')
  })

  it('refuses a second proof that reuses the jti with new bytes (another iat)', async () => {
    const client = await dpopClient()
    const dpop = verifier()
    await dpop.verify(proofRequest(client, await proof(client, { jti: 'fixed' })), NOW_MS)
    await expectInvalidProof(
      dpop.verify(proofRequest(client, await proof(client, { jti: 'fixed', iat: NOW - 1 })), NOW_MS),
      'dpop-replay',
    )
  })

  it('scopes jti to the proof key: another client may use the same jti', async () => {
    const [a, b] = [await dpopClient(), await dpopClient()]
    const dpop = verifier()
    await dpop.verify(proofRequest(a, await proof(a, { jti: 'shared' })), NOW_MS)
    await expect(
      dpop.verify(proofRequest(b, await proof(b, { jti: 'shared' })), NOW_MS),
    ).resolves.toBeDefined()
  })
})

describe('§8 R2: check-and-insert is atomic', () => {
  it('accepts exactly one of 50 concurrent uses of one proof', async () => {
    const client = await dpopClient()
    const dpop = verifier()
    const value = await proof(client)
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => dpop.verify(proofRequest(client, value), NOW_MS)),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
    expect(refused.every((e) => e instanceof InvalidDpopProofError && e.reason === 'dpop-replay')).toBe(true)
  })
})

describe('§8 R3–R4: what is stored, and for how long', () => {
  it('stores a hash of jkt and jti, never the jti or the proof, until iat + proofMaxAge + clockTolerance', async () => {
    const client = await dpopClient()
    const claims: [string, number][] = []
    const inner = memoryReplayStore({ clock: () => NOW_MS })
    const store: ReplayStore = {
      claim(key, expiresAtMs) {
        claims.push([key, expiresAtMs])
        return inner.claim(key, expiresAtMs)
      },
    }
    const value = await proof(client, { jti: 'the-jti', iat: NOW - 10 })
    await createDpopVerifier({ replayStore: store, proofMaxAge: 60, clockTolerance: 5 }).verify(
      proofRequest(client, value),
      NOW_MS,
    )
    expect(claims).toEqual([[await replayKey(client.jkt, 'the-jti'), (NOW - 10 + 65) * 1000 + 1000]])
    const [key] = claims[0] as [string, number]
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(key).not.toContain('the-jti')
  })

  it('answers 503 with Retry-After when the memory store is full of live entries, without evicting one', async () => {
    let now = NOW_MS
    const store = memoryReplayStore({ maxEntries: 2, clock: () => now })
    expect(store.claim('a', now + 30_000)).toBe(true)
    expect(store.claim('b', now + 60_000)).toBe(true)
    let thrown: unknown
    try {
      store.claim('c', now + 60_000)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(ReplayStoreUnavailableError)
    expect((thrown as ReplayStoreUnavailableError).headers).toEqual({ 'retry-after': '30' })
    expect(store.claim('a', now + 30_000)).toBe(false)
    now += 30_001
    expect(store.claim('c', now + 60_000)).toBe(true)
    expect(store.claim('b', now + 60_000)).toBe(false)
    expect(() => store.claim('a', now + 60_000)).toThrow(ReplayStoreUnavailableError)
  })

  it('turns a full memory store into a 503 for the request, with a replay.store-error event', async () => {
    const client = await dpopClient()
    const events: GateEvent[] = []
    const store = memoryReplayStore({ maxEntries: 1, clock: () => NOW_MS })
    const dpop = verifier(store, events)
    await dpop.verify(proofRequest(client, await proof(client)), NOW_MS)
    const error = await rejection(dpop.verify(proofRequest(client, await proof(client)), NOW_MS))
    expect(error).toBeInstanceOf(ReplayStoreUnavailableError)
    expect({ status: error.status, code: error.code }).toEqual({
      status: 503,
      code: 'ERR_REPLAY_STORE_UNAVAILABLE',
    })
    expect(Number(error.headers['retry-after'])).toBeGreaterThan(0)
    expect(events.map((e) => e.type)).toEqual(['replay.store-error'])
  })

  it('throws a TypeError for a maxEntries that is not a positive integer', () => {
    expect(() => memoryReplayStore({ maxEntries: 0 })).toThrow(/maxEntries/)
    expect(() => memoryReplayStore({ maxEntries: 1.5 })).toThrow(/maxEntries/)
  })
})

describe('§8 R5: a failing store fails closed', () => {
  it.each([
    [
      'throws',
      () => {
        throw new Error('connection refused')
      },
    ],
    ['rejects', () => Promise.reject(new Error('connection refused'))],
    ['answers something other than a boolean', () => 'OK' as unknown as boolean],
  ])('answers 503 when the store %s', async (behaviour, claim) => {
    const client = await dpopClient()
    const events: GateEvent[] = []
    const error = await rejection(
      verifier({ claim }, events).verify(proofRequest(client, await proof(client)), NOW_MS),
    )
    if (behaviour === 'answers something other than a boolean') {
      expect(error.reason).toBe('dpop-replay')
      return
    }
    expect(error).toBeInstanceOf(ReplayStoreUnavailableError)
    expect(error.headers['retry-after']).toBe('1')
    expect(JSON.stringify(error.headers)).not.toContain('connection refused')
    expect(events).toEqual([{ type: 'replay.store-error', error: 'connection refused' }])
  })
})
