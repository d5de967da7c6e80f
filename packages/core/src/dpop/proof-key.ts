/**
 * The public key in a DPoP proof's `jwk` header (RFC 9449 §4.3 items 6–7): a public RSA, EC or OKP key
 * that fits the proof's `alg`, never private or symmetric material, RSA at least 2048 bits. Imported keys
 * are kept in a small bounded cache keyed by the proof header, so a client that signs every request with
 * the same key costs one import.
 */

import { createVerifier } from '#crypto'
import { ALGORITHMS, type Algorithm } from '../algorithms.js'
import { decodeBase64url } from '../base64url.js'
import type { JsonValue } from '../claims.js'
import type { SignatureVerifier } from '../crypto/verifier.js'
import { bitLength } from '../keys/jwk.js'
import { sha256Base64url, thumbprintInput } from './thumbprint.js'

/** A proof key, ready to verify. */
export interface ProofKey {
  readonly alg: Algorithm
  readonly verify: SignatureVerifier
  /** RFC 7638 SHA-256 thumbprint, base64url: what `cnf.jkt` must equal. */
  readonly jkt: string
}

/** Members that only private or symmetric keys have (SECURITY §7.1 item 7). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
/** Coordinate length in bytes per curve (RFC 7518 §6.2.1.2, RFC 8037 §2). */
const COORDINATE_BYTES: Readonly<Record<string, number>> = {
  'P-256': 32,
  'P-384': 48,
  'P-521': 66,
  Ed25519: 32,
}
const MIN_RSA_BITS = 2048
/** Larger keys only make each verification slower; a 4 KiB proof cannot carry more anyway. */
const MAX_RSA_BITS = 8192

/**
 * Why `jwk` cannot verify a proof signed with `alg`, or `undefined` when it can.
 * Descriptions name the failed check only.
 */
export function proofKeyProblem(jwk: JsonValue | undefined, alg: Algorithm): string | undefined {
  if (jwk === undefined) return 'jwk header missing'
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return 'jwk is not an object'
  if (PRIVATE_MEMBERS.some((member) => jwk[member] !== undefined)) return 'jwk holds private key material'
  const spec = ALGORITHMS[alg]
  if (jwk.kty !== spec.kty) return 'jwk type does not match alg'
  if (spec.crv !== undefined && jwk.crv !== spec.crv) return 'jwk curve does not match alg'
  if (jwk.alg !== undefined && jwk.alg !== alg) return 'jwk alg does not match alg'
  if (spec.kty === 'RSA') return rsaProblem(jwk)
  const size = COORDINATE_BYTES[spec.crv as string] as number
  if (!hasBytes(jwk.x, size)) return 'jwk x is malformed'
  if (spec.kty === 'EC' && !hasBytes(jwk.y, size)) return 'jwk y is malformed'
  return undefined
}

function hasBytes(value: JsonValue | undefined, size: number): boolean {
  return typeof value === 'string' && decodeBase64url(value)?.length === size
}

function rsaProblem(jwk: Readonly<Record<string, JsonValue>>): string | undefined {
  const n = typeof jwk.n === 'string' ? decodeBase64url(jwk.n) : undefined
  const e = typeof jwk.e === 'string' ? decodeBase64url(jwk.e) : undefined
  if (n === undefined || e === undefined || e.length === 0 || e.length > 8)
    return 'jwk is a malformed RSA key'
  const bits = bitLength(n)
  if (bits < MIN_RSA_BITS) return 'jwk RSA key shorter than 2048 bits'
  if (bits > MAX_RSA_BITS) return 'jwk RSA key longer than 8192 bits'
  return undefined
}

/**
 * Imports a key that passed {@link proofKeyProblem}. Rejects when the platform cannot import it.
 */
export async function importProofKey(
  jwk: Readonly<Record<string, JsonValue>>,
  alg: Algorithm,
): Promise<ProofKey> {
  // Members were checked by proofKeyProblem(); only they reach the import.
  const { kty, crv, x, y, n, e } = jwk as { [member in 'kty' | 'crv' | 'x' | 'y' | 'n' | 'e']: string }
  const material = kty === 'RSA' ? { kty, n, e } : kty === 'EC' ? { kty, crv, x, y } : { kty, crv, x }
  return Object.freeze({
    alg,
    verify: await createVerifier(material, alg),
    jkt: await sha256Base64url(thumbprintInput(jwk) as string),
  })
}

/**
 * Verified proof headers and their keys, bounded (the oldest entry leaves first). Keyed by the header
 * exactly as sent (its base64url segment): a client signs every proof with the same header, so the
 * header checks, the thumbprint and the key import run once per client key. The same bytes always give
 * the same header, so a cached answer is the answer the checks would give again.
 */
export class ProofKeyCache {
  private readonly entries = new Map<string, ProofKey>()

  constructor(private readonly maxEntries: number) {}

  get(header: string): ProofKey | undefined {
    return this.entries.get(header)
  }

  set(header: string, key: ProofKey): void {
    if (this.entries.size >= this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string)
    }
    this.entries.set(header, key)
  }
}
