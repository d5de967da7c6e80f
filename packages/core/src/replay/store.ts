/**
 * The replay-store interface (SECURITY R1–R5): one atomic "claim this key until T" operation, so a DPoP
 * proof's `jti` is accepted once within the time its proof is acceptable.
 */

import { sha256Base64url } from '../dpop/thumbprint.js'

/**
 * Where used DPoP proof identifiers are remembered. `@oidc-gate/core` ships {@link memoryReplayStore};
 * `@oidc-gate/redis` shares one store between instances.
 *
 * @example
 * ```ts
 * const store: ReplayStore = {
 *   // A store with an atomic "insert if absent": here a SQL table with a unique key.
 *   async claim(key, expiresAtMs) {
 *     const inserted = await db.insertIgnore('dpop_jti', { key, expires_at: expiresAtMs })
 *     return inserted === 1
 *   },
 * }
 * ```
 */
export interface ReplayStore {
  /**
   * Records `key` until `expiresAtMs` (ms since the epoch), atomically: `true` when the key was not
   * recorded yet (first use), `false` when it was (a replay). Throws or rejects when the store cannot
   * answer; the gate then refuses the request with 503 rather than risk accepting a replay.
   */
  claim(key: string, expiresAtMs: number): Promise<boolean> | boolean
}

/**
 * The replay-store key of a proof: base64url(SHA-256(`jkt:jti`)), 43 characters. Keyed on the proof key
 * and `jti`, never on the proof's bytes: ECDSA signatures are malleable, so a replayed proof can differ in
 * its bytes but not in its `jti` (SECURITY R1). Hashed, so a long `jti` costs no memory (R4).
 *
 * @example
 * ```ts
 * const key = await replayKey(auth.dpop.jkt, proofJti)
 * ```
 */
export function replayKey(jkt: string, jti: string): Promise<string> {
  // `jkt` is base64url: it holds no `:`, so the pair has one spelling.
  return sha256Base64url(`${jkt}:${jti}`)
}
