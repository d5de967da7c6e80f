/**
 * The key source of one issuer: its configured JWKS, fetched and cached (SECURITY K1, K5–K8, K10).
 *
 * - Keys come only from the configured `jwksUri`; nothing in a token selects a URL.
 * - Cached for `Cache-Control: max-age` clamped to [`minCacheAge`, `maxCacheAge`], else `cacheMaxAge`.
 * - An unknown `kid` triggers a refetch, at most one per `cooldownDuration`; a request that arrives during
 *   the cooldown waits for the next allowed fetch instead of being refused, so a freshly rotated key is
 *   accepted on its first use while a flood of unknown kids still costs one fetch per interval.
 * - Concurrent misses share one request (single flight).
 * - A failed fetch never evicts known keys; expired keys keep working for `staleIfError` during an outage.
 * - Each fetch has a timeout and a response size cap, sends no credentials and follows no redirects.
 */

import type { JWK } from 'jose'
import { createVerifier } from '#crypto'
import { ALGORITHMS, type Algorithm } from './algorithms.js'
import { decodeBase64url } from './base64url.js'
import type { SignatureVerifier } from './crypto/verifier.js'
import { InvalidTokenError, KeysUnavailableError } from './errors.js'
import type { EventListener, JwksFetchTrigger } from './events.js'

/** Options of the JWKS key sources, shared by all issuers of a gate. */
export interface KeySourceOptions {
  /** Cache lifetime when the response has no usable `Cache-Control: max-age`, in ms. Default 600000 (10 min). */
  readonly cacheMaxAge?: number
  /** Lower bound applied to `max-age`, in ms. Default 60000 (1 min). */
  readonly minCacheAge?: number
  /** Upper bound applied to `max-age`, in ms. Default 86400000 (24 h). */
  readonly maxCacheAge?: number
  /** Minimum time between two fetches caused by unknown `kid`s, in ms. Default 1000 (1 s). */
  readonly cooldownDuration?: number
  /** Timeout of one JWKS fetch, headers and body, in ms. Default 5000 (5 s). */
  readonly timeoutDuration?: number
  /** How long expired keys keep verifying while the JWKS cannot be fetched, in ms. Default 3600000 (1 h). */
  readonly staleIfError?: number
  /** Largest accepted JWKS response, in bytes. Default 262144 (256 KiB). */
  readonly maxResponseSize?: number
}

/** Keys configured with the issuer (`jwks` option of `vercel()` / `oidc()`). */
export interface InitialKeys {
  /** A JWK Set: `{ keys: [...] }`. */
  readonly jwks: unknown
  /** `true`: verify with these keys only, never fetch. `false`: start with them, fetch when due. */
  readonly pinned: boolean
}

/** A public key from the JWKS, pinned to exactly one algorithm (RFC 8725 §3.1). */
export interface VerificationKey {
  readonly kid: string | undefined
  readonly alg: Algorithm
  /** Verifies a signature with this key (node:crypto on Node, Web Crypto elsewhere). */
  readonly verify: SignatureVerifier
  /** Identity of the key material and its algorithm, to keep the same object across refreshes. */
  readonly fingerprint: string
}

interface KeySet {
  readonly byKid: ReadonlyMap<string, VerificationKey>
  readonly all: readonly VerificationKey[]
}

const MAX_KEYS = 100
const MIN_RSA_BITS = 2048
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

const KEY_SOURCE_OPTIONS = [
  'cacheMaxAge',
  'minCacheAge',
  'maxCacheAge',
  'cooldownDuration',
  'timeoutDuration',
  'staleIfError',
  'maxResponseSize',
]

/** Checks key source options at construction. */
export function resolveKeySourceOptions(options: KeySourceOptions | undefined): Required<KeySourceOptions> {
  // A misspelt option (`jwks: { timeout: 100 }`) would otherwise be ignored silently: fail at boot.
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError('jwks must be an options object')
  }
  for (const name of Object.keys(options ?? {})) {
    if (!KEY_SOURCE_OPTIONS.includes(name)) throw new TypeError(`jwks: unknown option "${name}"`)
  }
  const o = {
    cacheMaxAge: options?.cacheMaxAge ?? 600_000,
    minCacheAge: options?.minCacheAge ?? 60_000,
    maxCacheAge: options?.maxCacheAge ?? 86_400_000,
    cooldownDuration: options?.cooldownDuration ?? 1000,
    timeoutDuration: options?.timeoutDuration ?? 5000,
    staleIfError: options?.staleIfError ?? 3_600_000,
    maxResponseSize: options?.maxResponseSize ?? 262_144,
  }
  for (const [name, value] of Object.entries(o)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`jwks.${name} must be a finite number ≥ 0`)
    }
  }
  if (o.timeoutDuration === 0) throw new TypeError('jwks.timeoutDuration must be greater than 0')
  if (o.minCacheAge > o.maxCacheAge) throw new TypeError('jwks.minCacheAge must not exceed jwks.maxCacheAge')
  return o
}

/** The cached JWKS of one issuer. Create one per issuer and share it across requests. */
export class RemoteKeySource {
  private keys: KeySet | undefined
  private expiresAt = 0
  private lastFetchAt = Number.NEGATIVE_INFINITY
  private lastFailure: { at: number; error: unknown } | undefined
  private inflight: Promise<void> | undefined
  private readonly controllers = new Set<AbortController>()
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  private closed = false

  /** Import of the configured initial keys, until it settles. */
  private seeding: Promise<void> | undefined
  private seedError: unknown
  private readonly pinned: boolean

  constructor(
    readonly jwksUri: string,
    private readonly algorithms: readonly Algorithm[],
    private readonly options: Required<KeySourceOptions>,
    private readonly emit: EventListener,
    private readonly clock: () => number,
    initial?: InitialKeys,
  ) {
    this.pinned = initial?.pinned ?? false
    if (initial !== undefined) {
      this.seeding = this.importKeySet(initial.jwks).then(
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
   * Returns the key for `kid` pinned to `alg`.
   * @throws InvalidTokenError (`kid`, `alg`) when the JWKS has no such key; KeysUnavailableError when the
   * JWKS cannot be obtained and no usable key is cached.
   */
  async resolve(kid: string | undefined, alg: Algorithm): Promise<VerificationKey> {
    if (this.seeding !== undefined) await this.seeding
    if (this.pinned) {
      if (this.keys === undefined) throw this.unavailable(this.seedError)
      const key = this.find(kid, alg)
      if (key === undefined) throw new InvalidTokenError('kid', 'no matching key')
      return key
    }
    const now = this.clock()
    if (this.keys === undefined || now >= this.expiresAt) {
      await this.refreshOrServeStale(this.keys === undefined ? 'initial' : 'expired', now)
    }
    const found = this.find(kid, alg)
    if (found !== undefined) return found
    // Unknown kid: the issuer may have rotated its keys since the last fetch.
    try {
      await this.refresh('unknown-kid')
    } catch (error) {
      throw this.unavailable(error)
    }
    const again = this.find(kid, alg)
    if (again !== undefined) return again
    throw new InvalidTokenError('kid', 'no matching key')
  }

  /**
   * The key for `kid` pinned to `alg` when the cached JWKS is fresh and has it: the synchronous fast path.
   * `undefined` means "call {@link resolve}".
   */
  lookup(kid: string | undefined, alg: Algorithm, now: number): VerificationKey | undefined {
    return this.keys !== undefined && now < this.expiresAt ? this.find(kid, alg) : undefined
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
    this.closed = true
    for (const c of this.controllers) c.abort()
    for (const t of this.timers) clearTimeout(t)
    this.controllers.clear()
    this.timers.clear()
  }

  /**
   * Whether `key` is still part of the JWKS and the JWKS is within its cache lifetime: cached
   * verifications signed by a key that left the JWKS stop being served.
   */
  vouchesFor(key: VerificationKey, now: number): boolean {
    return now < this.expiresAt && (this.keys?.all.includes(key) ?? false)
  }

  private find(kid: string | undefined, alg: Algorithm): VerificationKey | undefined {
    const keys = this.keys
    if (keys === undefined) return undefined
    if (kid !== undefined) {
      const key = keys.byKid.get(kid)
      if (key !== undefined && key.alg !== alg)
        throw new InvalidTokenError('alg', 'algorithm not allowed for this key')
      return key
    }
    // No kid: acceptable only if exactly one key can verify this algorithm (SECURITY K10).
    let match: VerificationKey | undefined
    for (const key of keys.all) {
      if (key.alg !== alg) continue
      if (match !== undefined) throw new InvalidTokenError('kid', 'kid required')
      match = key
    }
    return match
  }

  private async refreshOrServeStale(trigger: JwksFetchTrigger, now: number): Promise<void> {
    try {
      // After a failed fetch, wait out the cooldown before asking again: an outage must not turn every
      // request into a fetch.
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
      if (this.closed) return reject(new Error('key source closed'))
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        if (this.closed) reject(new Error('key source closed'))
        else resolve()
      }, ms)
      this.timers.add(timer)
    })
  }

  private async fetchKeys(trigger: JwksFetchTrigger): Promise<void> {
    if (this.closed) throw new Error('key source closed')
    const started = this.clock()
    this.lastFetchAt = started
    const controller = new AbortController()
    this.controllers.add(controller)
    const timer = setTimeout(() => controller.abort(), this.options.timeoutDuration)
    try {
      const response = await fetch(this.jwksUri, {
        signal: controller.signal,
        redirect: 'manual',
        credentials: 'omit',
        headers: { accept: 'application/jwk-set+json, application/json' },
      })
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => {})
        throw new Error(`JWKS answered HTTP ${response.status}`)
      }
      const text = await readCapped(response, this.options.maxResponseSize)
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        throw new Error('JWKS is not JSON')
      }
      const keys = await this.importKeySet(body)
      this.keys = keys
      this.lastFailure = undefined
      this.expiresAt = this.clock() + this.cacheLifetime(response.headers.get('cache-control'))
      this.emit({
        type: 'jwks.fetch',
        jwksUri: this.jwksUri,
        trigger,
        ok: true,
        keys: keys.all.length,
        durationMs: this.clock() - started,
      })
    } catch (error) {
      const message = controller.signal.aborted && !this.closed ? 'timeout' : describe(error)
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
    } finally {
      clearTimeout(timer)
      this.controllers.delete(controller)
    }
  }

  private cacheLifetime(cacheControl: string | null): number {
    const { cacheMaxAge, minCacheAge, maxCacheAge } = this.options
    if (cacheControl === null) return cacheMaxAge
    const match = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,10})"?\s*(?:,|$)/i.exec(cacheControl)
    if (match === null) return cacheMaxAge
    return Math.min(maxCacheAge, Math.max(minCacheAge, Number(match[1]) * 1000))
  }

  private async importKeySet(body: unknown): Promise<KeySet> {
    const list = (body as { keys?: unknown } | null)?.keys
    if (body === null || typeof body !== 'object' || !Array.isArray(list)) {
      throw new Error('JWKS has no "keys" array')
    }
    const byKid = new Map<string, VerificationKey>()
    const all: VerificationKey[] = []
    for (const jwk of list.slice(0, MAX_KEYS)) {
      const kid = typeof jwk?.kid === 'string' ? jwk.kid : undefined
      const problem = this.checkJwk(jwk)
      if (typeof problem === 'string') {
        this.emit({ type: 'jwks.key-ignored', jwksUri: this.jwksUri, kid, reason: problem })
        continue
      }
      if (kid !== undefined && byKid.has(kid)) {
        this.emit({ type: 'jwks.key-ignored', jwksUri: this.jwksUri, kid, reason: 'duplicate kid' })
        continue
      }
      const material = publicMembers(jwk as JWK)
      const fingerprint = JSON.stringify([kid, problem.alg, material])
      // A key that stays in the JWKS keeps its object, so verifications cached under it stay valid.
      let entry = this.keys?.all.find((k) => k.fingerprint === fingerprint)
      if (entry === undefined) {
        let verify: SignatureVerifier
        try {
          verify = await createVerifier(material, problem.alg)
        } catch {
          this.emit({ type: 'jwks.key-ignored', jwksUri: this.jwksUri, kid, reason: 'key import failed' })
          continue
        }
        entry = Object.freeze({ kid, alg: problem.alg, verify, fingerprint })
      }
      all.push(entry)
      if (kid !== undefined) byKid.set(kid, entry)
    }
    if (all.length === 0) throw new Error('JWKS has no usable key')
    return { byKid, all }
  }

  /** Returns the algorithm the key is pinned to, or why it is unusable (SECURITY A4–A6, K6). */
  private checkJwk(jwk: unknown): { alg: Algorithm } | string {
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
    let alg: Algorithm | undefined
    if (k.alg !== undefined) {
      alg = this.algorithms.find((a) => a === k.alg)
      if (alg === undefined) return 'alg not allowed'
      if (!fits(k, alg)) return 'alg does not match the key type'
    } else {
      // Many JWKS omit `alg`: pin the key to the first allowed algorithm of its type.
      alg = this.algorithms.find((a) => fits(k, a))
      if (alg === undefined) return 'no allowed algorithm for this key type'
    }
    if (k.kty === 'RSA') {
      const n = typeof k.n === 'string' ? decodeBase64url(k.n) : undefined
      if (n === undefined || typeof k.e !== 'string') return 'malformed RSA key'
      if (bitLength(n) < MIN_RSA_BITS) return 'RSA key shorter than 2048 bits'
    }
    return { alg }
  }

  private unavailable(error: unknown): Error {
    if (error instanceof InvalidTokenError) return error
    return new KeysUnavailableError(Math.max(1, Math.ceil(this.options.cooldownDuration / 1000)), {
      cause: error,
    })
  }
}

function fits(jwk: Record<string, unknown>, alg: Algorithm): boolean {
  const spec = ALGORITHMS[alg]
  return jwk.kty === spec.kty && (spec.crv === undefined || jwk.crv === spec.crv)
}

function publicMembers(jwk: JWK): JWK {
  const { kty, n, e, crv, x, y } = jwk
  const out: JWK = { kty: kty as string }
  if (n !== undefined) out.n = n
  if (e !== undefined) out.e = e
  if (crv !== undefined) out.crv = crv
  if (x !== undefined) out.x = x
  if (y !== undefined) out.y = y
  return out
}

function bitLength(bytes: Uint8Array): number {
  let i = 0
  while (i < bytes.length && bytes[i] === 0) i++
  if (i === bytes.length) return 0
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i] as number))
}

async function readCapped(response: Response, cap: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > cap) {
    await response.body?.cancel().catch(() => {})
    throw new Error('JWKS response too large')
  }
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > cap) {
      await reader.cancel().catch(() => {})
      throw new Error('JWKS response too large')
    }
    chunks.push(value)
  }
  const all = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(all)
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message
  }
  return String(error)
}
