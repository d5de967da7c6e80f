/**
 * What verification needs from the keys of one issuer, whichever way they are found: a JWKS URL from
 * configuration (`RemoteKeySource`) or one read from the issuer's metadata (`DiscoveredKeySource`).
 */

import type { Algorithm } from '../algorithms.js'
import type { VerificationKey } from './key-set.js'

/**
 * The keys of one issuer, fetched and cached. Nothing in a token selects where they come from.
 *
 * @example
 * ```ts
 * const key: VerificationKey =
 *   source.lookup(kid, 'ES256', algorithms, Date.now()) ?? (await source.resolve(kid, 'ES256', algorithms))
 * ```
 */
export interface KeySource {
  /**
   * The key for `kid` pinned to `alg` under the allow-list `algorithms`, without waiting; `undefined`
   * means "call {@link resolve}". `now` is ms since the epoch.
   */
  lookup(
    kid: string | undefined,
    alg: Algorithm,
    algorithms: readonly Algorithm[],
    now: number,
  ): VerificationKey | undefined
  /**
   * The key for `kid` pinned to `alg`, fetching what is missing or too stale.
   * @throws InvalidTokenError (`kid`, `alg`) when there is no such key; KeysUnavailableError (503) when
   * the keys cannot be obtained.
   */
  resolve(kid: string | undefined, alg: Algorithm, algorithms: readonly Algorithm[]): Promise<VerificationKey>
  /** Fetches everything now. Rejects with a KeysUnavailableError (503). */
  warmup(): Promise<void>
  /** Aborts fetches in flight and cancels waits; the source fetches nothing afterwards. */
  close(): void
  /** Whether `key` is still one of the current keys and they are within their cache lifetime. */
  vouchesFor(key: VerificationKey, now: number): boolean
}
