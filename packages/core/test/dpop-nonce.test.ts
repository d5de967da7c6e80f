import { describe, expect, it } from 'vitest'
import {
  createDpopNonces,
  createDpopVerifier,
  type DpopNonces,
  memoryReplayStore,
  UseDpopNonceError,
} from '../src/index.js'
import { dpopClient, expectInvalidProof, NOW, NOW_MS, proof, proofRequest } from './dpop-helpers.js'
import { b64, publicJwk, rejection } from './helpers.js'

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!'
const OLD_SECRET = 'the-previous-secret-also-32-bytes-long'
const WINDOW = 60_000

function nonces(secrets: readonly string[] = [SECRET], clockTolerance = 5): DpopNonces {
  return createDpopNonces({ secrets, window: 60, clockTolerance })
}

describe('stateless DPoP nonces', () => {
  it('issues nonces of NQCHAR only (RFC 9449 §8.1), base64url', async () => {
    const nonce = await nonces().current(NOW_MS)
    expect(nonce).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(nonce).toMatch(/^[\x21\x23-\x5b\x5d-\x7e]+$/)
  })

  it('issues the same nonce on every instance holding the secret, and each accepts the others’', async () => {
    const [a, b] = [nonces(), nonces()]
    const nonce = await a.current(NOW_MS)
    expect(await b.current(NOW_MS + 1)).toBe(nonce)
    await expect(b.check(nonce, NOW_MS)).resolves.toEqual({ valid: true, refresh: undefined })
  })

  it('changes the nonce with the window, and accepts the previous window’s with a refresh', async () => {
    const n = nonces()
    const start = Math.floor(NOW_MS / WINDOW) * WINDOW
    const first = await n.current(start)
    const next = await n.current(start + WINDOW)
    expect(next).not.toBe(first)
    await expect(n.check(first, start + WINDOW + 30_000)).resolves.toEqual({ valid: true, refresh: next })
  })

  it('refuses a nonce two windows old', async () => {
    const n = nonces([SECRET], 0)
    const start = Math.floor(NOW_MS / WINDOW) * WINDOW
    const first = await n.current(start)
    await expect(n.check(first, start + 2 * WINDOW)).resolves.toEqual({ valid: false })
  })

  it('accepts the next window’s nonce only within the clock tolerance of its start', async () => {
    const start = Math.floor(NOW_MS / WINDOW) * WINDOW
    const ahead = await nonces([SECRET], 5).current(start + WINDOW)
    await expect(nonces([SECRET], 5).check(ahead, start + WINDOW - 4000)).resolves.toMatchObject({
      valid: true,
    })
    await expect(nonces([SECRET], 5).check(ahead, start + WINDOW - 6000)).resolves.toEqual({ valid: false })
  })

  it('rotates secrets: nonces of the previous secret stay valid, new ones use the first secret', async () => {
    const before = await nonces([OLD_SECRET]).current(NOW_MS)
    const during = nonces([SECRET, OLD_SECRET])
    await expect(during.check(before, NOW_MS)).resolves.toMatchObject({ valid: true })
    expect(await during.current(NOW_MS)).toBe(await nonces([SECRET]).current(NOW_MS))
    await expect(nonces([SECRET]).check(before, NOW_MS)).resolves.toEqual({ valid: false })
  })

  it('refuses a nonce whose window number was changed, a truncated one, and non-strings', async () => {
    const n = nonces()
    const nonce = await n.current(NOW_MS)
    const bytes = Buffer.from(nonce, 'base64url')
    bytes[5] = (bytes[5] as number) - 1
    for (const forged of [b64(bytes), nonce.slice(0, -1), `${nonce.slice(0, -1)}A`, '', 42, null, [nonce]]) {
      await expect(n.check(forged, NOW_MS)).resolves.toEqual({ valid: false })
    }
  })

  it.each([
    [{ secrets: [] }, /dpop\.nonce\.secrets must/],
    [{ secrets: ['short'] }, /dpop\.nonce\.secrets\[0\]/],
    [{ secrets: [SECRET, OLD_SECRET, SECRET] }, /dpop\.nonce\.secrets must/],
    [{ secrets: [SECRET, new Uint8Array(16)] }, /dpop\.nonce\.secrets\[1\]/],
    [{ secrets: [SECRET], window: 0 }, /dpop\.nonce\.window/],
    [{ secrets: [SECRET], window: 1.5 }, /dpop\.nonce\.window/],
    [{ secrets: [SECRET], clockTolerance: -1 }, /dpop\.nonce\.clockTolerance/],
    [{ secrets: [SECRET], rotate: true }, /unknown option "rotate"/],
  ])('throws a TypeError naming the option for %j', (options, message) => {
    expect(() => createDpopNonces(options as never)).toThrow(message)
  })
})

describe('a verifier that requires nonces (RFC 9449 §9, §11.3)', () => {
  const verifier = () =>
    createDpopVerifier({
      nonce: { secrets: [SECRET] },
      replayStore: memoryReplayStore({ clock: () => NOW_MS }),
    })

  it('answers 401 use_dpop_nonce with a DPoP-Nonce header when the proof has no nonce', async () => {
    const client = await dpopClient()
    const error = await rejection(verifier().verify(proofRequest(client, await proof(client)), NOW_MS))
    expect(error).toBeInstanceOf(UseDpopNonceError)
    expect({ status: error.status, error: error.error, reason: error.reason }).toEqual({
      status: 401,
      error: 'use_dpop_nonce',
      reason: 'dpop-nonce',
    })
    const expected = await nonces().current(NOW_MS)
    expect(error.headers['dpop-nonce']).toBe(expected)
    expect(error.headers['cache-control']).toBe('no-store')
    expect(error.headers['access-control-expose-headers']).toBe('WWW-Authenticate, DPoP-Nonce')
    expect(error.headers['www-authenticate']).toMatch(
      /^Bearer, DPoP error="use_dpop_nonce", error_description="[^"]+", algs="/,
    )
  })

  it('accepts a proof with the current nonce, and says no new nonce is needed', async () => {
    const client = await dpopClient()
    const nonce = await nonces().current(NOW_MS)
    const result = await verifier().verify(proofRequest(client, await proof(client, { nonce })), NOW_MS)
    expect(result).toMatchObject({ nonce, nextNonce: undefined })
  })

  it('accepts a proof with the previous window’s nonce and hands out the current one', async () => {
    const client = await dpopClient()
    const old = await nonces().current(NOW_MS - WINDOW)
    const result = await verifier().verify(proofRequest(client, await proof(client, { nonce: old })), NOW_MS)
    expect(result.nextNonce).toBe(await nonces().current(NOW_MS))
  })

  it('answers use_dpop_nonce for a stale nonce or one made with another secret', async () => {
    const client = await dpopClient()
    const stale = await nonces().current(NOW_MS - 3 * WINDOW)
    const foreign = await nonces([OLD_SECRET]).current(NOW_MS)
    for (const nonce of [stale, foreign, 'made-up']) {
      const error = await rejection(
        verifier().verify(proofRequest(client, await proof(client, { nonce })), NOW_MS),
      )
      expect(error).toBeInstanceOf(UseDpopNonceError)
      expect(error.headers['dpop-nonce']).toBe(await nonces().current(NOW_MS))
    }
  })

  it('checks the signature before the nonce: a forged proof gets invalid_dpop_proof, not a nonce', async () => {
    const [client, other] = [await dpopClient(), await dpopClient()]
    const forged = await proof(other, { header: { jwk: publicJwk(client.privateKey) } })
    const error = await expectInvalidProof(
      verifier().verify(proofRequest(client, forged), NOW_MS),
      'dpop-signature',
    )
    expect(error.headers['dpop-nonce']).toBeUndefined()
  })

  it('still checks iat when the nonce is fresh', async () => {
    const client = await dpopClient()
    const nonce = await nonces().current(NOW_MS)
    const old = await proof(client, { nonce, iat: NOW - 600 })
    await expectInvalidProof(verifier().verify(proofRequest(client, old), NOW_MS), 'dpop-iat')
  })

  it('accepts nonces made with createDpopNonces() as the nonce option', async () => {
    const shared = nonces()
    const dpop = createDpopVerifier({ nonce: shared })
    await expect(dpop.currentNonce(NOW_MS)).resolves.toBe(await shared.current(NOW_MS))
    await expect(createDpopVerifier().currentNonce(NOW_MS)).resolves.toBeUndefined()
  })
})
