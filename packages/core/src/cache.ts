/**
 * The verified-token cache (DESIGN §6). Vercel functions reuse one token for up to 90 minutes, so most
 * requests present a token that was already verified: a hit skips parsing and the signature check.
 *
 * - bounded LRU of exact token strings, found by the token's last characters (see {@link keyOf});
 * - an entry never outlives the token's `exp` (nor `iat + maxTokenAge`), nor `maxAge`;
 * - the validity window (`exp`, `nbf`, with the clock tolerance) is re-checked on every hit;
 * - an entry is served only while its key is still in the issuer's JWKS and the JWKS is fresh;
 * - policies are not cached: the gate evaluates them on every request.
 */

import type { Auth } from './auth.js'
import type { KeySource, VerificationKey } from './keys/index.js'

/** Options of the verified-token cache (`createGate({ cache })`). */
export interface TokenCacheOptions {
  /** Most verified tokens kept; the least recently used goes first. Default 1000. */
  readonly maxEntries?: number
  /** Longest time one verification is reused, ms. Default 600000 (10 min). Never beyond `exp`. */
  readonly maxAge?: number
}

/** A verification that may be reused. */
export interface VerifiedToken {
  readonly auth: Auth
  readonly key: VerificationKey
  readonly keys: KeySource
  /** First second (epoch) at which the token is acceptable, tolerance included. */
  readonly validFrom: number
  /** First second (epoch) at which the token is no longer acceptable, tolerance included. */
  readonly validUntil: number
}

interface Entry extends VerifiedToken {
  /** The token, exactly: an entry serves this string only. */
  readonly token: string
  /** ms epoch after which the entry is dropped (`maxAge`). */
  readonly dropAt: number
}

/** How many characters at the end of a token key it in the map. */
const KEY_LENGTH = 32

/**
 * The map key of `token`: its last {@link KEY_LENGTH} characters, the end of the signature (192 random
 * bits of a signed token). A `Map` hashes every character of a string key, and each request brings a
 * fresh token string whose hash is not known yet: hashing a 1 KB token cost more than the rest of a
 * cache hit. The entry still holds the whole token, compared exactly on every lookup: a token with the
 * same last characters but any other byte is a miss (and, failing its signature, never enters the cache).
 */
function keyOf(token: string): string {
  return token.length <= KEY_LENGTH ? token : token.slice(token.length - KEY_LENGTH)
}

/** Checks the `cache` option at construction. */
export function resolveCacheOptions(
  options: TokenCacheOptions | false | undefined,
): Required<TokenCacheOptions> | undefined {
  if (options === false) return undefined
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError('cache must be an options object or false')
  }
  // A misspelt option (`cache: { maxSize: 10 }`) would otherwise be ignored silently: fail at boot.
  for (const name of Object.keys(options ?? {})) {
    if (name !== 'maxEntries' && name !== 'maxAge') throw new TypeError(`cache: unknown option "${name}"`)
  }
  const maxEntries = options?.maxEntries ?? 1000
  const maxAge = options?.maxAge ?? 600_000
  if (!Number.isInteger(maxEntries) || maxEntries < 1)
    throw new TypeError('cache.maxEntries must be a positive integer')
  if (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge <= 0) {
    throw new TypeError('cache.maxAge must be a positive number of ms')
  }
  return { maxEntries, maxAge }
}

/** A bounded LRU of verified tokens. */
export class TokenCache {
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the least recently used.
  private readonly entries = new Map<string, Entry>()
  // The most recent hit, compared by string equality before the Map is asked: a function reusing one
  // token skips hashing it on every request (a token is ~1 KB; a fresh header string has no hash yet).
  private lastToken: string | undefined
  private lastEntry: Entry | undefined

  constructor(private readonly options: Required<TokenCacheOptions>) {}

  /** The verification of `token`, if it may be reused at `now` (ms epoch). */
  get(token: string, now: number): VerifiedToken | undefined {
    const last = this.lastEntry
    if (last !== undefined && token === this.lastToken) {
      if (usable(last, now)) return last
      this.entries.delete(keyOf(token))
      this.lastToken = this.lastEntry = undefined
      return undefined
    }
    // Not a string (`gate.verify()` from JavaScript): not cached; verification refuses it.
    if (typeof token !== 'string') return undefined
    const key = keyOf(token)
    const entry = this.entries.get(key)
    if (entry === undefined || entry.token !== token) return undefined
    this.entries.delete(key)
    if (!usable(entry, now)) return undefined
    this.entries.set(key, entry)
    this.lastToken = token
    this.lastEntry = entry
    return entry
  }

  set(token: string, verified: VerifiedToken, now: number): void {
    const key = keyOf(token)
    const replaced = this.entries.get(key)
    if (token === this.lastToken || (replaced !== undefined && replaced.token === this.lastToken)) {
      this.lastToken = this.lastEntry = undefined
    }
    this.entries.delete(key)
    this.entries.set(key, { ...verified, token, dropAt: now + this.options.maxAge })
    if (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.entries().next()
      if (oldest.done !== true) {
        this.entries.delete(oldest.value[0])
        if (oldest.value[1].token === this.lastToken) this.lastToken = this.lastEntry = undefined
      }
    }
  }

  get size(): number {
    return this.entries.size
  }
}

/** Whether `entry` may still be served at `now`: its validity window, `maxAge`, and its key still published. */
function usable(entry: Entry, now: number): boolean {
  const seconds = Math.floor(now / 1000)
  return (
    now < entry.dropAt &&
    seconds < entry.validUntil &&
    seconds >= entry.validFrom &&
    entry.keys.vouchesFor(entry.key, now)
  )
}
