/**
 * The key source of one JWKS URL: its keys, fetched and cached, and the schedule of their refreshes
 * (SECURITY K1, K5–K8, K10; DESIGN §6).
 *
 * - Keys come only from the configured `jwksUri`; nothing in a token selects a URL.
 * - Cached for `Cache-Control: max-age` clamped to [`minCacheAge`, `maxCacheAge`], else `cacheMaxAge`.
 * - Stale-while-revalidate: once the cache lifetime is over, a request whose key is in the expired set is
 *   verified at once while one background refresh runs; it never waits for the fetch. A successful
 *   refresh replaces the set, so a key removed from the JWKS stops verifying as soon as it is fetched.
 * - Stale-if-error: a failed fetch never evicts known keys; they keep working for `staleIfError` after
 *   their cache lifetime.
 * - An unknown `kid` triggers a refetch, at most one per `cooldownDuration`; a request that arrives during
 *   the cooldown waits for the next allowed fetch instead of being refused, so a freshly rotated key is
 *   accepted on its first use while a flood of unknown kids still costs one fetch per interval.
 * - Concurrent misses share one request (single flight).
 */

import type { Algorithm } from '../algorithms.js'
import { InvalidTokenError, KeysUnavailableError } from '../errors.js'
import type { EventListener, JwksFetchTrigger } from '../events.js'
import { describeFailure, fetchJson } from './fetch-json.js'
import { findKey, importKeySet, type KeySet, type VerificationKey } from './key-set.js'
import { cacheLifetime, type ResolvedKeySourceOptions } from './options.js'

/** Keys configured with the issuer (`jwks` option of `vercel()` / `oidc()`). */
export interface InitialKeys {
  /** A JWK Set: `{ keys: [...] }`. */
  readonly jwks: unknown
  /** `true`: verify with these keys only, never fetch. `false`: start with them, fetch when due. */
  readonly pinned: boolean
}

const ACCEPT = 'application/jwk-set+json, application/json'

/**
 * The cached JWKS of one URL. The gate creates one per URL and shares it between the issuers that name
 * it; each lookup passes the issuer's own algorithm allow-list.
 *
 * @example
 * ```ts
 * const source = new RemoteKeySource(jwksUri, resolveKeySourceOptions({}), () => {}, Date.now)
 * const key = source.lookup(kid, 'RS256', ['RS256'], Date.now()) ?? (await source.resolve(kid, 'RS256', ['RS256']))
 * ```
 */
export class RemoteKeySource {
  private keys: KeySet | undefined
  private expiresAt = 0
  private lastFetchAt = Number.NEGATIVE_INFINITY
  private lastFailure: { at: number; error: unknown } | undefined
  private inflight: Promise<void> | undefined
  private readonly controller = new AbortController()
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()

  /** Import of the configured initial keys, until it settles. */
  private seeding: Promise<void> | undefined
  private seedError: unknown
  private readonly pinned: boolean

  constructor(
    readonly jwksUri: string,
    private readonly options: ResolvedKeySourceOptions,
    private readonly emit: EventListener,
    private readonly clock: () => number,
    initial?: InitialKeys,
  ) {
    this.pinned = initial?.pinned ?? false
    if (initial !== undefined) {
      this.seeding = this.importKeys(initial.jwks).then(
        (keys) => {
          this.keys = keys
          this.expiresAt = this.pinned ? Number.POSITIVE_INFINITY : this.clock() + this.options.cacheMaxAge
          this.seeding = undefined
        },
        (error: unknown) => {
          // Pinned keys without a usable key fail closed (503); seeded ones fall back to fetching.
          this.seedError = error
          this.seeding = undefined
        },
      )
    }
  }

  /**
   * The key for `kid` pinned to `alg` under the allow-list `algorithms`, without waiting: from the fresh
   * set, or from the expired set within `staleIfError` while a background refresh runs. `undefined`
   * means "call {@link resolve}".
   * @throws InvalidTokenError (`alg`, `kid`) when the key found is pinned to another algorithm.
   */
  lookup(
    kid: string | undefined,
    alg: Algorithm,
    algorithms: readonly Algorithm[],
    now: number,
  ): VerificationKey | undefined {
    const keys = this.keys
    if (keys === undefined) return undefined
    if (now < this.expiresAt) return findKey(keys, kid, alg, algorithms)
    const staleFor = now - this.expiresAt
    if (staleFor > this.options.staleIfError) return undefined
    const key = findKey(keys, kid, alg, algorithms)
    if (key !== undefined) this.revalidate(now, staleFor)
    return key
  }

  /**
   * Returns the key for `kid` pinned to `alg` under the allow-list `algorithms`, fetching the JWKS when it
   * is missing, too stale, or lacks `kid`.
   * @throws InvalidTokenError (`kid`, `alg`) when the JWKS has no such key; KeysUnavailableError when the
   * JWKS cannot be obtained and no usable key is cached.
   */
  async resolve(
    kid: string | undefined,
    alg: Algorithm,
    algorithms: readonly Algorithm[],
  ): Promise<VerificationKey> {
    if (this.seeding !== undefined) await this.seeding
    if (this.pinned) {
      if (this.keys === undefined) throw this.unavailable(this.seedError)
      return this.found(findKey(this.keys, kid, alg, algorithms))
    }
    const now = this.clock()
    const cached = this.lookup(kid, alg, algorithms, now)
    if (cached !== undefined) return cached
    if (this.keys === undefined || now >= this.expiresAt) {
      await this.refreshOrServeStale(this.keys === undefined ? 'initial' : 'expired', now)
    }
    const found = this.keys === undefined ? undefined : findKey(this.keys, kid, alg, algorithms)
    if (found !== undefined) return found
    // Unknown kid: the issuer may have rotated its keys since the last fetch.
    try {
      await this.refresh('unknown-kid')
    } catch (error) {
      throw this.unavailable(error)
    }
    return this.found(this.keys === undefined ? undefined : findKey(this.keys, kid, alg, algorithms))
  }

  /** Fetches the JWKS now (once, shared with concurrent callers); with pinned keys, imports them. */
  async warmup(): Promise<void> {
    try {
      if (this.seeding !== undefined) await this.seeding
      if (this.pinned) {
        if (this.keys === undefined) throw this.seedError
        return
      }
      await this.refresh('warmup')
    } catch (error) {
      throw this.unavailable(error)
    }
  }

  /** Aborts fetches in flight and cancels waits. The source refuses to fetch afterwards. */
  close(): void {
    this.controller.abort()
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  /**
   * Whether `key` is still part of the JWKS and the JWKS is within its cache lifetime: cached
   * verifications signed by a key that left the JWKS stop being served.
   */
  vouchesFor(key: VerificationKey, now: number): boolean {
    return now < this.expiresAt && (this.keys?.members.has(key) ?? false)
  }

  private found(key: VerificationKey | undefined): VerificationKey {
    if (key === undefined) throw new InvalidTokenError('kid', 'no matching key')
    return key
  }

  /** Starts one background refresh of an expired set, unless one runs or the last one failed recently. */
  private revalidate(now: number, staleFor: number): void {
    this.emit({ type: 'jwks.stale-served', jwksUri: this.jwksUri, staleForMs: staleFor })
    if (this.inflight !== undefined || this.controller.signal.aborted) return
    // After a failed fetch, wait out the cooldown before asking again: an outage must not turn every
    // request into a fetch.
    const failure = this.lastFailure
    if (failure !== undefined && now - failure.at < this.options.cooldownDuration) return
    // The outcome is recorded (`jwks.fetch` event, `lastFailure`); nobody awaits it.
    this.refresh('expired').catch(() => {})
  }

  private async refreshOrServeStale(trigger: JwksFetchTrigger, now: number): Promise<void> {
    try {
      const failure = this.lastFailure
      if (failure !== undefined && now - failure.at < this.options.cooldownDuration) throw failure.error
      await this.refresh(trigger)
    } catch (error) {
      const staleFor = now - this.expiresAt
      if (this.keys !== undefined && staleFor <= this.options.staleIfError) {
        this.emit({ type: 'jwks.stale-served', jwksUri: this.jwksUri, staleForMs: Math.max(0, staleFor) })
        return
      }
      throw this.unavailable(error)
    }
  }

  private refresh(trigger: JwksFetchTrigger): Promise<void> {
    if (this.inflight !== undefined) return this.inflight
    const wait =
      trigger === 'unknown-kid' ? this.lastFetchAt + this.options.cooldownDuration - this.clock() : 0
    const run = async (): Promise<void> => {
      if (wait > 0) {
        this.emit({ type: 'jwks.refetch-throttled', jwksUri: this.jwksUri, waitMs: wait })
        await this.sleep(wait)
      }
      await this.fetchKeys(trigger)
    }
    const promise = run().finally(() => {
      if (this.inflight === promise) this.inflight = undefined
    })
    this.inflight = promise
    return promise
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.controller.signal.aborted) return reject(new Error('key source closed'))
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        if (this.controller.signal.aborted) reject(new Error('key source closed'))
        else resolve()
      }, ms)
      this.timers.add(timer)
    })
  }

  private async fetchKeys(trigger: JwksFetchTrigger): Promise<void> {
    if (this.controller.signal.aborted) throw new Error('key source closed')
    const started = this.clock()
    this.lastFetchAt = started
    try {
      const { body, cacheControl } = await fetchJson(this.jwksUri, {
        what: 'JWKS',
        accept: ACCEPT,
        timeoutDuration: this.options.timeoutDuration,
        maxResponseSize: this.options.maxResponseSize,
        signal: this.controller.signal,
      })
      const keys = await this.importKeys(body)
      this.keys = keys
      this.lastFailure = undefined
      this.expiresAt = this.clock() + cacheLifetime(cacheControl, this.options)
      const durationMs = this.clock() - started
      this.emit({
        type: 'jwks.fetch',
        jwksUri: this.jwksUri,
        trigger,
        ok: true,
        keys: keys.entries.length,
        durationMs,
      })
    } catch (error) {
      const message = describeFailure(error)
      this.emit({
        type: 'jwks.fetch',
        jwksUri: this.jwksUri,
        trigger,
        ok: false,
        error: message,
        durationMs: this.clock() - started,
      })
      const failure = new Error(message, { cause: error })
      this.lastFailure = { at: this.clock(), error: failure }
      throw failure
    }
  }

  private importKeys(body: unknown): Promise<KeySet> {
    return importKeySet(body, this.keys, (kid, reason) =>
      this.emit({ type: 'jwks.key-ignored', jwksUri: this.jwksUri, kid, reason }),
    )
  }

  private unavailable(error: unknown): Error {
    if (error instanceof InvalidTokenError) return error
    return new KeysUnavailableError(Math.max(1, Math.ceil(this.options.cooldownDuration / 1000)), {
      cause: error,
    })
  }
}
