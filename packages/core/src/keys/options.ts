/**
 * Options of the JWKS key sources (SECURITY K6–K8), validated once when the gate is created.
 */

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
  /**
   * How long after its cache lifetime an expired JWKS keeps verifying, in ms: while a background refresh
   * runs (stale-while-revalidate: the request does not wait for it) and while the JWKS cannot be fetched
   * (stale-if-error). Beyond it, a request waits for the fetch and gets 503 if it fails. `0` makes every
   * request after expiry wait for the refresh. Default 3600000 (1 h).
   */
  readonly staleIfError?: number
  /** Largest accepted JWKS response, in bytes. Default 262144 (256 KiB). */
  readonly maxResponseSize?: number
}

/** {@link KeySourceOptions} with every default applied. */
export type ResolvedKeySourceOptions = Required<KeySourceOptions>

const DEFAULTS: ResolvedKeySourceOptions = {
  cacheMaxAge: 600_000,
  minCacheAge: 60_000,
  maxCacheAge: 86_400_000,
  cooldownDuration: 1000,
  timeoutDuration: 5000,
  staleIfError: 3_600_000,
  maxResponseSize: 262_144,
}

/**
 * Checks key source options at construction: a misspelt or out-of-range option throws a `TypeError`
 * naming it, instead of being ignored until the first request.
 *
 * @example
 * ```ts
 * const options = resolveKeySourceOptions({ cooldownDuration: 30_000 })
 * options.timeoutDuration // 5000
 * ```
 */
export function resolveKeySourceOptions(options: KeySourceOptions | undefined): ResolvedKeySourceOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError('jwks must be an options object')
  }
  for (const name of Object.keys(options ?? {})) {
    if (!Object.hasOwn(DEFAULTS, name)) throw new TypeError(`jwks: unknown option "${name}"`)
  }
  const o = { ...DEFAULTS }
  for (const name of Object.keys(DEFAULTS) as (keyof KeySourceOptions)[]) {
    const value = options?.[name] ?? DEFAULTS[name]
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`jwks.${name} must be a finite number ≥ 0`)
    }
    o[name] = value
  }
  if (o.timeoutDuration === 0) throw new TypeError('jwks.timeoutDuration must be greater than 0')
  if (o.minCacheAge > o.maxCacheAge) throw new TypeError('jwks.minCacheAge must not exceed jwks.maxCacheAge')
  return o
}

/**
 * The cache lifetime of a response, in ms: its `Cache-Control: max-age` clamped to
 * [`minCacheAge`, `maxCacheAge`], else `cacheMaxAge` (SECURITY K8).
 *
 * @example
 * ```ts
 * cacheLifetime('public, max-age=300', resolveKeySourceOptions({})) // 300000
 * ```
 */
export function cacheLifetime(cacheControl: string | null, options: ResolvedKeySourceOptions): number {
  const { cacheMaxAge, minCacheAge, maxCacheAge } = options
  if (cacheControl === null) return cacheMaxAge
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d{1,10})"?\s*(?:,|$)/i.exec(cacheControl)
  if (match === null) return cacheMaxAge
  return Math.min(maxCacheAge, Math.max(minCacheAge, Number(match[1]) * 1000))
}
