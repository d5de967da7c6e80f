/**
 * Checks of one JWK from a JWKS before it may verify anything (SECURITY A4–A6, K6): public key material
 * only, `use`/`key_ops` allowing signatures, a bounded `kid`, a known algorithm that fits the key type,
 * RSA moduli of at least 2048 bits. Also which algorithms a key is pinned to.
 */

import type { JWK } from 'jose'
import { ALGORITHMS, type Algorithm, ASYMMETRIC_ALGORITHMS, isAlgorithm } from '../algorithms.js'
import { decodeBase64url } from '../base64url.js'

/** A JWK that passed {@link checkJwk}. */
export interface UsableJwk {
  readonly kid: string | undefined
  /**
   * The algorithms this key may be pinned to: its JWK `alg` alone when it has one; else every algorithm
   * its type and curve fit, in the order of {@link ASYMMETRIC_ALGORITHMS} (each issuer then pins it to the first of
   * these in its own allow-list).
   */
  readonly algorithms: readonly Algorithm[]
  /** The public members only (`kty`, `n`, `e`, `crv`, `x`, `y`). */
  readonly material: JWK
}

const MIN_RSA_BITS = 2048
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/**
 * Returns the usable form of `jwk`, or why it is unusable (the `reason` of a `jwks.key-ignored` event).
 *
 * @example
 * ```ts
 * const checked = checkJwk({ kty: 'EC', crv: 'P-256', x: '…', y: '…', kid: 'k1' })
 * typeof checked === 'string' ? console.warn(checked) : checked.algorithms // ['ES256']
 * ```
 */
export function checkJwk(jwk: unknown): UsableJwk | string {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return 'not an object'
  const k = jwk as Record<string, unknown>
  if (PRIVATE_MEMBERS.some((m) => k[m] !== undefined)) return 'private or symmetric key material'
  if (k.use !== undefined && k.use !== 'sig') return 'use is not sig'
  if (k.key_ops !== undefined && !(Array.isArray(k.key_ops) && k.key_ops.includes('verify'))) {
    return 'key_ops lacks verify'
  }
  if (k.kid !== undefined && (typeof k.kid !== 'string' || k.kid.length === 0 || k.kid.length > 256)) {
    return 'invalid kid'
  }
  let algorithms: readonly Algorithm[]
  if (k.alg !== undefined) {
    if (!isAlgorithm(k.alg)) return 'alg not supported'
    if (!fits(k, k.alg)) return 'alg does not match the key type'
    algorithms = [k.alg]
  } else {
    // Many JWKS omit `alg` (RFC 8725 §3.1 still wants one algorithm per key): each issuer pins the key
    // to the first algorithm of its allow-list that fits.
    algorithms = ASYMMETRIC_ALGORITHMS.filter((a) => fits(k, a))
    if (algorithms.length === 0) return 'no supported algorithm for this key type'
  }
  if (k.kty === 'RSA') {
    const n = typeof k.n === 'string' ? decodeBase64url(k.n) : undefined
    if (n === undefined || typeof k.e !== 'string') return 'malformed RSA key'
    if (bitLength(n) < MIN_RSA_BITS) return 'RSA key shorter than 2048 bits'
  }
  return { kid: k.kid as string | undefined, algorithms, material: publicMembers(k) }
}

function fits(jwk: Record<string, unknown>, alg: Algorithm): boolean {
  const spec = ALGORITHMS[alg]
  return jwk.kty === spec.kty && (spec.crv === undefined || jwk.crv === spec.crv)
}

function publicMembers(jwk: Record<string, unknown>): JWK {
  const out: JWK = { kty: jwk.kty as string }
  for (const name of ['n', 'e', 'crv', 'x', 'y'] as const) {
    if (jwk[name] !== undefined) out[name] = jwk[name] as string
  }
  return out
}

/** The length in bits of a big-endian unsigned integer (an RSA modulus). */
export function bitLength(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length && bytes[i] === 0) i++
  if (i === bytes.length) return 0
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i] as number))
}
