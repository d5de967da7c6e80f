/**
 * Signature verification with Web Crypto (RFC 7515 §5.2): the portable path, used on edge runtimes
 * (Vercel Edge, Cloudflare Workers, Deno, Bun) and wherever the `node` export condition is not set.
 * Keys are imported with jose.
 */

import { importJWK, type JWK } from 'jose'
import { ALGORITHMS, type Algorithm } from '../algorithms.js'
import type { HmacSha256, Sha256, SignatureVerifier } from './verifier.js'

/** Which implementation verifies signatures. */
export const cryptoBackend = 'webcrypto'

const ascii = new TextEncoder()

/** Imports a public JWK pinned to `alg` and returns its verifier. */
export async function createVerifier(jwk: JWK, alg: Algorithm): Promise<SignatureVerifier> {
  const key = (await importJWK(jwk, alg)) as CryptoKey
  const params = ALGORITHMS[alg].verify
  return async (signingInput, signature) => {
    try {
      return await crypto.subtle.verify(
        params,
        key,
        signature as Uint8Array<ArrayBuffer>,
        ascii.encode(signingInput),
      )
    } catch {
      return false
    }
  }
}

const utf8 = new TextEncoder()

/** SHA-256 with Web Crypto. */
export const sha256: Sha256 = async (text) =>
  new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(text)))

/** HMAC-SHA-256 with Web Crypto. */
export const hmacSha256: HmacSha256 = async (secret, text) => {
  const key = await crypto.subtle.importKey(
    'raw',
    secret as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8.encode(text)))
}
