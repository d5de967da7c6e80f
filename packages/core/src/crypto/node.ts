/**
 * Signature verification with `node:crypto` (RFC 7515 §5.2): the fast path on Node. Keys are imported
 * with jose once per JWKS key and turned into `KeyObject`s; `crypto.verify` then runs synchronously,
 * without the Web Crypto promise round trip. Selected through the `node` export condition of `#crypto`.
 */

import { constants, createHash, createHmac, KeyObject, verify } from 'node:crypto'
import { importJWK, type JWK } from 'jose'
import { ALGORITHMS, type Algorithm } from '../algorithms.js'
import type { HmacSha256, Sha256, SignatureVerifier } from './verifier.js'

/** Which implementation verifies signatures. */
export const cryptoBackend = 'node'

const HASH: Readonly<Record<Algorithm, string | null>> = {
  RS256: 'sha256',
  RS384: 'sha384',
  RS512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  EdDSA: null,
  Ed25519: null,
}

/** Imports a public JWK pinned to `alg` and returns its synchronous verifier. */
export async function createVerifier(jwk: JWK, alg: Algorithm): Promise<SignatureVerifier> {
  const keyObject = KeyObject.from((await importJWK(jwk, alg)) as CryptoKey)
  const spec = ALGORITHMS[alg]
  const hash = HASH[alg]
  const key =
    spec.kty === 'EC'
      ? { key: keyObject, dsaEncoding: 'ieee-p1363' as const }
      : alg.startsWith('PS')
        ? {
            key: keyObject,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: (spec.verify as RsaPssParams).saltLength,
          }
        : keyObject
  return (signingInput, signature) => {
    try {
      return verify(hash, Buffer.from(signingInput, 'latin1'), key, signature)
    } catch {
      return false
    }
  }
}

/** SHA-256 with node:crypto: synchronous, without Web Crypto's promise and thread-pool round trip. */
export const sha256: Sha256 = (text) => createHash('sha256').update(text, 'utf8').digest()

/** HMAC-SHA-256 with node:crypto, synchronous. */
export const hmacSha256: HmacSha256 = (secret, text) =>
  createHmac('sha256', secret).update(text, 'utf8').digest()
