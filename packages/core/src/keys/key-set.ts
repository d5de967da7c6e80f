/**
 * A JWK Set imported for verification: every usable key, each pinned to exactly one algorithm per issuer
 * (RFC 8725 §3.1), and the selection of the key for a token (SECURITY K10).
 *
 * The set does not depend on any issuer's allow-list, so issuers that share a JWKS URL share one set:
 * a key with a JWK `alg` is pinned to it; a key without one is pinned, for each issuer, to the first
 * algorithm of that issuer's allow-list that fits its type.
 */

import { createVerifier } from '#crypto'
import type { Algorithm } from '../algorithms.js'
import type { SignatureVerifier } from '../crypto/verifier.js'
import { InvalidTokenError } from '../errors.js'
import { checkJwk } from './jwk.js'

/** A public key from the JWKS, pinned to exactly one algorithm (RFC 8725 §3.1). */
export interface VerificationKey {
  readonly kid: string | undefined
  readonly alg: Algorithm
  /** Verifies a signature with this key (node:crypto on Node, Web Crypto elsewhere). */
  readonly verify: SignatureVerifier
  /** Identity of the key material and its algorithm, to keep the same object across refreshes. */
  readonly fingerprint: string
}

/** One JWK of the set with a verifier per algorithm it may be pinned to. */
interface SetEntry {
  readonly kid: string | undefined
  /** The key when it has exactly one possible algorithm (a JWK `alg`, or one that fits its type). */
  readonly only: VerificationKey | undefined
  /** Every possible algorithm, in pinning order. */
  readonly byAlg: ReadonlyMap<Algorithm, VerificationKey>
}

/** Imported keys of one JWKS. */
export interface KeySet {
  readonly byKid: ReadonlyMap<string, SetEntry>
  readonly entries: readonly SetEntry[]
  /** Every verification key, to tell whether a key is still published. */
  readonly members: ReadonlySet<VerificationKey>
}

/** Why a key was left out of the set (reported as `jwks.key-ignored`). */
export type IgnoredKey = (kid: string | undefined, reason: string) => void

const MAX_KEYS = 100

/**
 * Imports a JWK Set. `previous` is the set it replaces: a key that stays keeps its object, so the
 * verifications cached under it stay valid.
 * @throws Error when the body is not a JWK Set or has no usable key.
 *
 * @example
 * ```ts
 * const set = await importKeySet(await response.json(), current, (kid, reason) => log(kid, reason))
 * ```
 */
export async function importKeySet(
  body: unknown,
  previous: KeySet | undefined,
  ignored: IgnoredKey,
): Promise<KeySet> {
  const list = (body as { keys?: unknown } | null)?.keys
  if (body === null || typeof body !== 'object' || !Array.isArray(list)) {
    throw new Error('JWKS has no "keys" array')
  }
  const kept = new Map<string, VerificationKey>()
  for (const key of previous?.members ?? []) kept.set(key.fingerprint, key)
  const byKid = new Map<string, SetEntry>()
  const entries: SetEntry[] = []
  const members = new Set<VerificationKey>()
  for (const jwk of list.slice(0, MAX_KEYS)) {
    const usable = checkJwk(jwk)
    const kid = typeof usable === 'string' ? (typeof jwk?.kid === 'string' ? jwk.kid : undefined) : usable.kid
    if (typeof usable === 'string') {
      ignored(kid, usable)
      continue
    }
    if (kid !== undefined && byKid.has(kid)) {
      ignored(kid, 'duplicate kid')
      continue
    }
    const byAlg = new Map<Algorithm, VerificationKey>()
    for (const alg of usable.algorithms) {
      const fingerprint = JSON.stringify([kid, alg, usable.material])
      let key = kept.get(fingerprint)
      if (key === undefined) {
        let verify: SignatureVerifier
        try {
          verify = await createVerifier(usable.material, alg)
        } catch {
          continue
        }
        key = Object.freeze({ kid, alg, verify, fingerprint })
      }
      byAlg.set(alg, key)
      members.add(key)
    }
    if (byAlg.size === 0) {
      ignored(kid, 'key import failed')
      continue
    }
    const entry: SetEntry = { kid, only: byAlg.size === 1 ? [...byAlg.values()][0] : undefined, byAlg }
    entries.push(entry)
    if (kid !== undefined) byKid.set(kid, entry)
  }
  if (entries.length === 0) throw new Error('JWKS has no usable key')
  return { byKid, entries, members }
}

/**
 * The key for a token with `kid` and `alg`, for an issuer whose allow-list is `algorithms`; `undefined`
 * when the set has no such key.
 * @throws InvalidTokenError `alg` when the key is pinned to another algorithm for this issuer; `kid`
 * when the token has no kid and more than one key fits.
 *
 * @example
 * ```ts
 * const key = findKey(set, header.kid, header.alg, profile.algorithms) // undefined: not in this set
 * ```
 */
export function findKey(
  set: KeySet,
  kid: string | undefined,
  alg: Algorithm,
  algorithms: readonly Algorithm[],
): VerificationKey | undefined {
  if (kid !== undefined) {
    const entry = set.byKid.get(kid)
    if (entry === undefined) return undefined
    const key = pinned(entry, algorithms)
    if (key === undefined || key.alg !== alg) {
      throw new InvalidTokenError('alg', 'algorithm not allowed for this key')
    }
    return key
  }
  // No kid: acceptable only if exactly one key is pinned to this algorithm (SECURITY K10).
  let match: VerificationKey | undefined
  for (const entry of set.entries) {
    const key = pinned(entry, algorithms)
    if (key === undefined || key.alg !== alg) continue
    if (match !== undefined) throw new InvalidTokenError('kid', 'kid required')
    match = key
  }
  return match
}

/** The one algorithm `entry` is pinned to for an issuer that allows `algorithms`, with its verifier. */
function pinned(entry: SetEntry, algorithms: readonly Algorithm[]): VerificationKey | undefined {
  if (entry.only !== undefined) return entry.only
  for (const alg of algorithms) {
    const key = entry.byAlg.get(alg)
    if (key !== undefined) return key
  }
  return undefined
}
