import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { jwkThumbprint } from '../src/index.js'

/** The RSA key of RFC 7638 §3.1. */
const RFC_7638_KEY = {
  kty: 'RSA',
  n:
    '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhM' +
    'stn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5' +
    'hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
}

describe('jwkThumbprint (RFC 7638)', () => {
  it('computes the thumbprint of the RFC 7638 §3.1 example', async () => {
    await expect(jwkThumbprint(RFC_7638_KEY)).resolves.toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
  })

  it('ignores member order and members outside the required set (alg, kid, use, d)', async () => {
    const { e, kty, n } = RFC_7638_KEY
    const reordered = { use: 'sig', n, e, kty, d: 'private', kid: 'other' }
    await expect(jwkThumbprint(reordered)).resolves.toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
  })

  it.each(['ES256', 'EdDSA', 'PS256', 'ES384'] as const)('agrees with jose for a %s key', async (alg) => {
    const { publicKey } = await generateKeyPair(alg)
    const jwk = await exportJWK(publicKey)
    await expect(jwkThumbprint({ ...jwk, alg, kid: 'k' })).resolves.toBe(await calculateJwkThumbprint(jwk))
  })

  it.each([
    [{ kty: 'oct', k: 'c2VjcmV0' }],
    [{ kty: 'EC', crv: 'P-256', x: 'AAAA' }],
    [{ kty: 'RSA', n: 'AAAA', e: 65537 }],
    [{ n: 'AAAA', e: 'AQAB' }],
  ])('throws a TypeError for a key without the required members: %j', async (jwk) => {
    await expect(jwkThumbprint(jwk)).rejects.toThrow(TypeError)
  })
})
