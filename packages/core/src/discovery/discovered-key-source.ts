/**
 * The keys of an issuer configured without `jwksUri` (DESIGN §3, SECURITY K1, K3–K8): its metadata is
 * read from the configured issuer's well-known URLs, used only when its `issuer` is identical, and its
 * `jwks_uri` feeds a `RemoteKeySource`.
 *
 * - The metadata is fetched with the JWKS's caps (`keys/fetch-json.ts`: timeout, size cap, no redirects,
 *   no credentials) and cached like the JWKS: `Cache-Control: max-age` clamped to [`minCacheAge`,
 *   `maxCacheAge`], else `cacheMaxAge`; one fetch at a time (single flight); once expired, it keeps
 *   serving for `staleIfError` while a background refresh runs or fails; a failure waits out
 *   `cooldownDuration` before the next attempt.
 * - OpenID Connect Discovery is tried first, then RFC 8414 with path insertion, both within one
 *   `timeoutDuration`; a timeout ends the attempt (the other document is not tried).
 * - When a refresh names another `jwks_uri`, the keys follow it: a new key source replaces the old one,
 *   so cached verifications by the old keys stop being served.
 * - Without usable metadata, verification fails with `KeysUnavailableError` (503, `Retry-After`).
 */

import { KeysUnavailableError } from '../errors.js'
import type { EventListener, JwksFetchTrigger } from '../events.js'
import {
  cacheLifetime,
  describeFailure,
  fetchJson,
  type KeySource,
  RemoteKeySource,
  type ResolvedKeySourceOptions,
  type VerificationKey,
} from '../keys/index.js'
import { checkMetadata } from './metadata.js'
import { type MetadataLocation, metadataUrls } from './urls.js'

/**
 * The keys of one issuer found through its metadata. The gate creates one per issuer configured without
 * `jwksUri`.
 *
 * @example
 * ```ts
 * const source = new DiscoveredKeySource('https://auth.example.com', resolveKeySourceOptions({}), () => {}, Date.now)
 * await source.warmup() // metadata, then the JWKS it names
 * ```
 */
export class DiscoveredKeySource implements KeySource {
  /** The key source of the current `jwks_uri`, once metadata was fetched. */
  private keys: RemoteKeySource | undefined
  private expiresAt = 0
  private lastFailure: { at: number; error: Error } | undefined
  private inflight: Promise<void> | undefined
  /** The metadata documents, the one that answered last first. */
  private locations: readonly MetadataLocation[]
  private closed = false
  private readonly controller = new AbortController()

  constructor(
    readonly issuer: string,
    private readonly options: ResolvedKeySourceOptions,
    private readonly emit: EventListener,
    private readonly clock: () => number,
  ) {
    this.locations = metadataUrls(issuer)
  }

  lookup(...[kid, alg, algorithms, now]: Parameters<KeySource['lookup']>): VerificationKey | undefined {
    const keys = this.keys
    if (keys === undefined) return undefined
    if (now >= this.expiresAt) {
      if (now - this.expiresAt > this.options.staleIfError) return undefined
      this.revalidate(now)
    }
    return keys.lookup(kid, alg, algorithms, now)
  }

  async resolve(...[kid, alg, algorithms]: Parameters<KeySource['resolve']>): Promise<VerificationKey> {
    const keys = await this.current()
    return keys.resolve(kid, alg, algorithms)
  }

  /** Fetches the metadata now, then the JWKS it names. */
  async warmup(): Promise<void> {
    try {
      await this.refresh('warmup')
    } catch (error) {
      throw this.unavailable(error)
    }
    await this.keys?.warmup()
  }

  close(): void {
    this.closed = true
    this.controller.abort()
    this.keys?.close()
  }

  vouchesFor(key: VerificationKey, now: number): boolean {
    return !this.closed && now < this.expiresAt && (this.keys?.vouchesFor(key, now) ?? false)
  }

  /** The key source of fresh metadata, or of stale metadata while it may still serve. */
  private async current(): Promise<RemoteKeySource> {
    const now = this.clock()
    const known = this.keys
    if (known !== undefined && now < this.expiresAt) return known
    if (known !== undefined && now - this.expiresAt <= this.options.staleIfError) {
      this.revalidate(now)
      return known
    }
    try {
      const failure = this.lastFailure
      // A failed fetch is not repeated within the cooldown: an outage must not turn every request into one.
      if (failure !== undefined && now - failure.at < this.options.cooldownDuration) throw failure.error
      await this.refresh(known === undefined ? 'initial' : 'expired')
    } catch (error) {
      throw this.unavailable(error)
    }
    if (this.keys === undefined) throw this.unavailable(new Error('no metadata'))
    return this.keys
  }

  /** One background refresh of expired metadata, unless one runs or the last failed recently. */
  private revalidate(now: number): void {
    if (this.inflight !== undefined || this.closed) return
    const failure = this.lastFailure
    if (failure !== undefined && now - failure.at < this.options.cooldownDuration) return
    // The outcome is recorded (`discovery.fetch` event, `lastFailure`); nobody awaits it.
    this.refresh('expired').catch(() => {})
  }

  private refresh(trigger: JwksFetchTrigger): Promise<void> {
    if (this.inflight !== undefined) return this.inflight
    const promise = this.fetchMetadata(trigger).finally(() => {
      if (this.inflight === promise) this.inflight = undefined
    })
    this.inflight = promise
    return promise
  }

  /** Tries each metadata document in turn within one timeout; adopts the first usable one. */
  private async fetchMetadata(trigger: JwksFetchTrigger): Promise<void> {
    if (this.closed) throw new Error('key source closed')
    const deadline = performance.now() + this.options.timeoutDuration
    const failures: string[] = []
    for (const location of this.locations) {
      const remaining = Math.floor(deadline - performance.now())
      if (remaining <= 0) break
      const started = this.clock()
      try {
        const { body, cacheControl } = await fetchJson(location.url, {
          what: 'metadata',
          accept: 'application/json',
          timeoutDuration: remaining,
          maxResponseSize: this.options.maxResponseSize,
          signal: this.controller.signal,
        })
        const jwksUri = checkMetadata(body, this.issuer)
        this.adopt(jwksUri, cacheControl, location)
        const durationMs = this.clock() - started
        this.emit({ ...this.fetched(location, trigger, durationMs), ok: true, jwksUri })
        return
      } catch (error) {
        const message = describeFailure(error)
        failures.push(`${location.kind}: ${message}`)
        const durationMs = this.clock() - started
        this.emit({ ...this.fetched(location, trigger, durationMs), ok: false, error: message })
        // A timeout spent the budget; a closed source fetches nothing more.
        if (message === 'timeout' || this.closed) break
      }
    }
    const failure = new Error(`no usable metadata for ${this.issuer} (${failures.join('; ')})`)
    this.lastFailure = { at: this.clock(), error: failure }
    throw failure
  }

  private fetched(location: MetadataLocation, trigger: JwksFetchTrigger, durationMs: number) {
    return { type: 'discovery.fetch', issuer: this.issuer, url: location.url, trigger, durationMs } as const
  }

  /** Takes fetched metadata into use: its lifetime, its `jwks_uri` and the document that answered. */
  private adopt(jwksUri: string, cacheControl: string | null, location: MetadataLocation): void {
    if (this.keys?.jwksUri !== jwksUri) {
      // The former source is left to finish what it is doing (a request may be waiting on its fetch);
      // nothing reaches it any more, so cached verifications by its keys stop being served.
      this.keys = new RemoteKeySource(jwksUri, this.options, this.emit, this.clock)
    }
    this.expiresAt = this.clock() + cacheLifetime(cacheControl, this.options)
    this.lastFailure = undefined
    this.locations = [location, ...this.locations.filter((l) => l !== location)]
  }

  private unavailable(error: unknown): KeysUnavailableError {
    if (error instanceof KeysUnavailableError) return error
    return new KeysUnavailableError(Math.max(1, Math.ceil(this.options.cooldownDuration / 1000)), {
      cause: error,
    })
  }
}
