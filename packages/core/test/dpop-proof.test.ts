import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  createDpopVerifier,
  DpopBindingError,
  type DpopVerifier,
  InvalidRequestError,
  memoryReplayStore,
  type ReplayStore,
} from '../src/index.js'
import {
  dpopClient,
  expectInvalidProof,
  NOW,
  NOW_MS,
  proof,
  proofRequest,
  TOKEN,
  URL,
} from './dpop-helpers.js'
import { b64, hs256, publicJwk, rejection, signingInput, signJws } from './helpers.js'

/** A replay store that records which keys reached it, around the real in-memory store. */
function recordingStore(): ReplayStore & { readonly keys: string[] } {
  const inner = memoryReplayStore({ clock: () => NOW_MS })
  const keys: string[] = []
  return {
    keys,
    claim(key, expiresAtMs) {
      keys.push(key)
      return inner.claim(key, expiresAtMs)
    },
  }
}

function verifier(options: Parameters<typeof createDpopVerifier>[0] = {}): DpopVerifier {
  return createDpopVerifier({ replayStore: memoryReplayStore({ clock: () => NOW_MS }), ...options })
}

const client = await dpopClient('ES256')

describe('a valid DPoP proof', () => {
  it.each(['ES256', 'EdDSA', 'RS256', 'PS256'] as const)('is accepted when signed with %s', async (alg) => {
    const signer = await dpopClient(alg)
    const result = await verifier().verify(proofRequest(signer, await proof(signer)), NOW_MS)
    expect(result).toMatchObject({ jkt: signer.jkt, alg, iat: NOW, nonce: undefined, nextNonce: undefined })
    expect(result.jti).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('is accepted when an Ed25519 key signs with the fully-specified alg Ed25519 (RFC 9864)', async () => {
    const signer = await dpopClient('EdDSA')
    const value = await proof(signer, { alg: 'Ed25519' })
    const result = await verifier().verify(proofRequest(signer, value), NOW_MS)
    expect(result).toMatchObject({ jkt: signer.jkt, alg: 'Ed25519' })
  })

  it('is accepted when the request URL has a query the htu leaves out (dpop-valid-request-has-query)', async () => {
    const value = await proof(client)
    await expect(
      verifier().verify(proofRequest(client, value, { url: `${URL}?page=2` }), NOW_MS),
    ).resolves.toBeDefined()
  })

  it('is accepted when htu differs only in scheme and host case, default port and dot segments', async () => {
    const value = await proof(client, { htu: 'HTTPS://API.Example.COM:443/orders/./x/../42' })
    await expect(verifier().verify(proofRequest(client, value), NOW_MS)).resolves.toBeDefined()
  })

  it('is accepted with a typ of application/dpop+jwt (a media type, RFC 7515 §4.1.9)', async () => {
    const value = await proof(client, { header: { typ: 'application/dpop+jwt' } })
    await expect(verifier().verify(proofRequest(client, value), NOW_MS)).resolves.toBeDefined()
  })

  it('is accepted when issued up to proofMaxAge + clockTolerance ago or clockTolerance ahead', async () => {
    const dpop = verifier({ proofMaxAge: 60, clockTolerance: 5 })
    await expect(
      dpop.verify(proofRequest(client, await proof(client, { iat: NOW - 65 })), NOW_MS),
    ).resolves.toBeDefined()
    await expect(
      dpop.verify(proofRequest(client, await proof(client, { iat: NOW + 5 })), NOW_MS),
    ).resolves.toBeDefined()
  })
})

describe('§4.3 items 1–2: exactly one DPoP header holding one JWT', () => {
  it('answers 400 invalid_request when two DPoP headers came (dpop-two-proof-headers)', async () => {
    const [a, b] = [await proof(client), await proof(client)]
    for (const value of [[a, b], `${a}, ${b}`]) {
      const error = await rejection(verifier().verify(proofRequest(client, value), NOW_MS))
      expect(error).toBeInstanceOf(InvalidRequestError)
      expect({ status: error.status, error: error.error, reason: error.reason }).toEqual({
        status: 400,
        error: 'invalid_request',
        reason: 'multiple-dpop',
      })
    }
  })

  it('answers 401 invalid_dpop_proof when the DPoP header is missing (dpop-scheme-without-proof-header)', async () => {
    await expectInvalidProof(verifier().verify(proofRequest(client, undefined), NOW_MS), 'dpop-missing')
    await expectInvalidProof(verifier().verify(proofRequest(client, ''), NOW_MS), 'dpop-missing')
    await expectInvalidProof(verifier().verify(proofRequest(client, []), NOW_MS), 'dpop-missing')
  })

  it('answers 401 invalid_dpop_proof when the proof exceeds 4 KiB, before decoding it', async () => {
    const big = await proof(client, { claims: { pad: 'x'.repeat(4096) } })
    await expectInvalidProof(verifier().verify(proofRequest(client, big), NOW_MS), 'dpop-size')
  })

  it.each([
    ['two segments', (p: string) => p.split('.').slice(0, 2).join('.')],
    ['four segments', (p: string) => `${p}.AAAA`],
    ['a non-base64url character', (p: string) => `*${p}`],
    ['padding', (p: string) => `${p}=`],
  ])('answers 401 invalid_dpop_proof for a proof with %s', async (_, mangle) => {
    await expectInvalidProof(
      verifier().verify(proofRequest(client, mangle(await proof(client))), NOW_MS),
      'dpop-malformed',
    )
  })

  it('answers 401 invalid_dpop_proof when a header member is duplicated', async () => {
    const jwk = JSON.stringify(publicJwk(client.privateKey))
    const header = `{"typ":"dpop+jwt","alg":"ES256","jwk":${jwk},"alg":"ES256"}`
    const value = signJws(header, { jti: 'a', htm: 'GET', htu: URL, iat: NOW }, client.privateKey, 'ES256')
    await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-malformed')
  })

  it('answers 401 invalid_dpop_proof when the payload is not UTF-8 JSON', async () => {
    const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk(client.privateKey) }
    const value = signJws(header, new Uint8Array([0xff, 0xfe]), client.privateKey, 'ES256')
    await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-malformed')
  })
})

describe('§4.3 items 4–7: typ, alg, jwk and signature', () => {
  it.each([['JWT'], ['at+jwt'], [undefined]])(
    'answers 401 invalid_dpop_proof when typ is %s (dpop-typ-jwt)',
    async (typ) => {
      const value = await proof(client, { header: { typ } })
      await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-typ')
    },
  )

  it('answers 401 invalid_dpop_proof for an HS256 proof keyed with the public key (dpop-hs256-symmetric-proof)', async () => {
    const jwk = publicJwk(client.privateKey)
    const value = hs256(
      { typ: 'dpop+jwt', alg: 'HS256', jwk },
      { jti: 'a', htm: 'GET', htu: URL, iat: NOW },
      JSON.stringify(jwk),
    )
    await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-alg')
  })

  it.each(['none', 'None', 'nOnE'])(
    'answers 401 invalid_dpop_proof for alg %s (dpop-alg-none)',
    async (alg) => {
      const value = `${signingInput({ typ: 'dpop+jwt', alg, jwk: publicJwk(client.privateKey) }, { jti: 'a', htm: 'GET', htu: URL, iat: NOW })}.`
      await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-malformed')
      await expectInvalidProof(verifier().verify(proofRequest(client, `${value}AAAA`), NOW_MS), 'dpop-alg')
    },
  )

  it('answers 401 invalid_dpop_proof for an algorithm outside the configured list', async () => {
    const ed = await dpopClient('EdDSA')
    await expectInvalidProof(
      verifier({ algorithms: ['ES256'] }).verify(proofRequest(ed, await proof(ed)), NOW_MS),
      'dpop-alg',
    )
  })

  it('advertises the configured algorithms in algs="…"', async () => {
    const error = await rejection(
      verifier({ algorithms: ['ES256', 'PS256'] }).verify(proofRequest(client, undefined), NOW_MS),
    )
    expect(error.headers['www-authenticate']).toContain('algs="ES256 PS256"')
  })

  it.each(['none', 'HS256', 'hs512', 'RS1', 42])(
    'throws a TypeError naming dpop.algorithms for %s at construction',
    (alg) => {
      expect(() => createDpopVerifier({ algorithms: [alg as 'ES256'] })).toThrow(/dpop\.algorithms/)
    },
  )

  it('answers 401 invalid_dpop_proof when the jwk header is not the signing key (dpop-jwk-header-not-signing-key)', async () => {
    const other = await dpopClient('ES256')
    const value = await proof(client, { header: { jwk: publicJwk(other.privateKey) } })
    await expectInvalidProof(verifier().verify(proofRequest(other, value), NOW_MS), 'dpop-signature')
  })

  it('answers 401 invalid_dpop_proof when the signature was tampered with', async () => {
    const value = await proof(client)
    const [h, p, s] = value.split('.') as [string, string, string]
    const bytes = Buffer.from(s, 'base64url')
    bytes[10] = (bytes[10] as number) ^ 1
    await expectInvalidProof(
      verifier().verify(proofRequest(client, `${h}.${p}.${b64(bytes)}`), NOW_MS),
      'dpop-signature',
    )
  })

  it.each(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'])(
    'answers 401 invalid_dpop_proof when the jwk holds the private member %s (dpop-jwk-contains-private-key)',
    async (member) => {
      const value = await proof(client, {
        header: { jwk: { ...publicJwk(client.privateKey), [member]: 'AAAA' } },
      })
      await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-jwk')
    },
  )

  it('answers 401 invalid_dpop_proof for a symmetric (oct) jwk', async () => {
    const header = { typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: 'c2VjcmV0' } }
    const value = hs256(header, { jti: 'a', htm: 'GET', htu: URL, iat: NOW }, 'secret')
    await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-alg')
    const asEs256 = await proof(client, { header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } })
    await expectInvalidProof(verifier().verify(proofRequest(client, asEs256), NOW_MS), 'dpop-jwk')
  })

  it('answers 401 invalid_dpop_proof when the jwk header is missing or not an object', async () => {
    for (const jwk of [undefined, 'key', ['a'], null]) {
      const value = await proof(client, { header: { jwk } })
      await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-jwk')
    }
  })

  it('answers 401 invalid_dpop_proof when the key type or curve does not match alg', async () => {
    const claims = { jti: 'a', htm: 'GET', htu: URL, iat: NOW }
    const p384 = await dpopClient('ES384')
    const wrongCurve = { typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk(p384.privateKey) }
    const signed = signJws(wrongCurve, claims, p384.privateKey, 'ES256')
    await expectInvalidProof(verifier().verify(proofRequest(p384, signed), NOW_MS), 'dpop-jwk')
    const rsa = await dpopClient('RS256')
    const rsaAsEc = await proof(client, { header: { jwk: publicJwk(rsa.privateKey) } })
    await expectInvalidProof(verifier().verify(proofRequest(rsa, rsaAsEc), NOW_MS), 'dpop-jwk')
    const withOtherAlg = await proof(client, {
      header: { jwk: { ...publicJwk(client.privateKey), alg: 'ES384' } },
    })
    await expectInvalidProof(verifier().verify(proofRequest(client, withOtherAlg), NOW_MS), 'dpop-jwk')
  })

  it('answers 401 invalid_dpop_proof for an RSA key shorter than 2048 bits', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const header = { typ: 'dpop+jwt', alg: 'RS256', jwk: publicJwk(privateKey) }
    const value = signJws(header, { jti: 'a', htm: 'GET', htu: URL, iat: NOW }, privateKey, 'RS256')
    await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-jwk')
  })

  it('answers 401 invalid_dpop_proof for an EC point that is not on the curve', async () => {
    const jwk = { ...publicJwk(client.privateKey), y: b64(new Uint8Array(32).fill(7)) }
    const value = await proof(client, { header: { jwk } })
    await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-jwk')
  })

  it('answers 401 invalid_dpop_proof for crit, even with a valid signature', async () => {
    const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk(client.privateKey), crit: ['exp'], exp: 1 }
    const value = signJws(header, { jti: 'a', htm: 'GET', htu: URL, iat: NOW }, client.privateKey, 'ES256')
    await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-header')
  })
})

describe('the signature is checked before any claim', () => {
  it('answers signature invalid, not htm mismatch, for a forged proof with wrong claims', async () => {
    const other = await dpopClient('ES256')
    const forged = await proof(other, { htm: 'POST', header: { jwk: publicJwk(client.privateKey) } })
    await expectInvalidProof(verifier().verify(proofRequest(client, forged), NOW_MS), 'dpop-signature')
  })

  it('never writes a forged or otherwise refused proof to the replay store', async () => {
    const store = recordingStore()
    const dpop = verifier({ replayStore: store })
    const other = await dpopClient('ES256')
    await rejection(
      dpop.verify(
        proofRequest(client, await proof(other, { header: { jwk: publicJwk(client.privateKey) } })),
        NOW_MS,
      ),
    )
    await rejection(dpop.verify(proofRequest(client, await proof(client, { htm: 'POST' })), NOW_MS))
    await rejection(dpop.verify(proofRequest(other, await proof(client)), NOW_MS))
    expect(store.keys).toEqual([])
    await dpop.verify(proofRequest(client, await proof(client)), NOW_MS)
    expect(store.keys).toHaveLength(1)
  })
})

describe('§4.3 items 3, 8, 9, 11, 12: claims', () => {
  it.each(['jti', 'htm', 'htu', 'iat', 'ath'])(
    'answers 401 invalid_dpop_proof when %s is missing (dpop-missing-jti, dpop-missing-ath)',
    async (claim) => {
      const value = await proof(client, { claims: { [claim]: undefined } })
      await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), `dpop-${claim}`)
    },
  )

  it.each([
    ['jti', 42],
    ['jti', ''],
    ['jti', 'x'.repeat(257)],
    ['htm', ['GET']],
    ['htu', { href: URL }],
    ['iat', String(NOW)],
    ['iat', null],
    ['ath', 7],
  ])('answers 401 invalid_dpop_proof when %s is %j', async (claim, value) => {
    const p = await proof(client, { claims: { [claim]: value } })
    await expectInvalidProof(verifier().verify(proofRequest(client, p), NOW_MS), `dpop-${claim}`)
  })

  it('answers 401 invalid_dpop_proof for iat 1e400 (Infinity)', async () => {
    const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk(client.privateKey) }
    const payload = `{"jti":"a","htm":"GET","htu":"${URL}","iat":1e400}`
    const value = signJws(header, payload, client.privateKey, 'ES256')
    await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-iat')
  })

  it.each([
    ['POST', 'GET'],
    ['get', 'GET'],
  ])(
    'answers 401 invalid_dpop_proof when htm is %s for a %s request (dpop-wrong-htm)',
    async (htm, method) => {
      const value = await proof(client, { htm })
      await expectInvalidProof(verifier().verify(proofRequest(client, value, { method }), NOW_MS), 'dpop-htm')
    },
  )

  it.each([
    'https://api.example.com/orders/43',
    'https://api.example.com/orders/42/',
    'http://api.example.com/orders/42',
    'https://api.example.com:8443/orders/42',
    'https://evil.example.com/orders/42',
    'https://user@api.example.com/orders/42',
    'api.example.com/orders/42',
    '/orders/42',
  ])('answers 401 invalid_dpop_proof when htu is %s (dpop-wrong-htu)', async (htu) => {
    const value = await proof(client, { claims: { htu } })
    await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-htu', [htu, URL])
  })

  it('answers 401 invalid_dpop_proof when the proof is older than proofMaxAge + clockTolerance (dpop-stale-iat)', async () => {
    const value = await proof(client, { iat: NOW - 66 })
    await expectInvalidProof(
      verifier({ proofMaxAge: 60, clockTolerance: 5 }).verify(proofRequest(client, value), NOW_MS),
      'dpop-iat',
    )
    const shorter = await proof(client, { iat: NOW - 20 })
    await expectInvalidProof(
      verifier({ proofMaxAge: 10 }).verify(proofRequest(client, shorter), NOW_MS),
      'dpop-iat',
    )
  })

  it('answers 401 invalid_dpop_proof when iat is beyond clockTolerance in the future (dpop-future-iat)', async () => {
    const value = await proof(client, { iat: NOW + 6 })
    await expectInvalidProof(
      verifier({ clockTolerance: 5 }).verify(proofRequest(client, value), NOW_MS),
      'dpop-iat',
    )
  })

  it('answers 401 invalid_dpop_proof when ath is the hash of another token (dpop-wrong-ath)', async () => {
    const value = await proof(client, { accessToken: `${TOKEN}x` })
    await expectInvalidProof(verifier().verify(proofRequest(client, value), NOW_MS), 'dpop-ath', [TOKEN])
  })

  it('answers 401 invalid_token in the DPoP challenge when cnf.jkt names another key (dpop-key-thumbprint-mismatch)', async () => {
    const other = await dpopClient('ES256')
    const error = await rejection(verifier().verify(proofRequest(other, await proof(client)), NOW_MS))
    expect(error).toBeInstanceOf(DpopBindingError)
    expect({
      status: error.status,
      error: error.error,
      reason: error.reason,
      message: error.message,
    }).toEqual({
      status: 401,
      error: 'invalid_token',
      reason: 'cnf',
      message: 'DPoP key binding mismatch',
    })
    expect(error.headers['www-authenticate']).toMatch(
      /^Bearer, DPoP error="invalid_token", error_description="DPoP key binding mismatch", algs="/,
    )
    expect(JSON.stringify(error.headers)).not.toContain(client.jkt)
  })
})

describe('options', () => {
  it.each([
    [{ proofMaxAge: 0 }, /dpop\.proofMaxAge/],
    [{ proofMaxAge: Number.NaN }, /dpop\.proofMaxAge/],
    [{ clockTolerance: -1 }, /dpop\.clockTolerance/],
    [{ replayStore: {} }, /dpop\.replayStore/],
    [{ onEvent: 'log' }, /dpop\.onEvent/],
    [{ nonce: { secrets: ['short'] } }, /dpop\.nonce\.secrets\[0\]/],
    [{ maxAge: 60 }, /unknown option "maxAge"/],
  ])('throws a TypeError naming the option for %j', (options, message) => {
    expect(() => createDpopVerifier(options as never)).toThrow(TypeError)
    expect(() => createDpopVerifier(options as never)).toThrow(message)
  })
})
