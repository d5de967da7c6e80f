/**
 * What an issuer profile tells the gate: where the keys are, which algorithms and token type to accept,
 * which claims are required, and how to present them. Built by `vercel()` or `oidc()`.
 */

import type { Algorithm } from '../algorithms.js'
import type { JsonValue } from '../claims.js'
import type { InitialKeys } from '../keys/index.js'
import type { TenantResolver } from './tenants.js'

/** One accepted `iss` value and the JWKS bound to it. */
export interface IssuerTarget {
  /** The exact `iss` value. */
  readonly issuer: string
  /**
   * The JWKS of this issuer; keys found there verify tokens of this issuer only. Absent: read from the
   * issuer's metadata (discovery, `oidc()` without `jwksUri`).
   */
  readonly jwksUri?: string
  /** Accept this issuer only on tokens that carry an `act` claim (Vercel's exchanged tokens). */
  readonly exchangedOnly?: boolean
  /** Keys configured with the profile (`jwks` option), pinned or as a seed. */
  readonly initialKeys?: InitialKeys
}

/** Options of every profile about where its keys come from, besides `jwksUri`. */
export interface KeySetOptions {
  /**
   * A JWK Set (`{ keys: [...] }`) to verify with, so the gate starts offline and the first request needs
   * no fetch. By default these keys are pinned: `jwksUri` is never fetched. Default: none.
   */
  readonly jwks?: { readonly keys: readonly object[] }
  /**
   * With `jwks`: `true` uses the set as a seed and fetches `jwksUri` when the keys are due for a refresh
   * or a `kid` is unknown. Default `false` (pinned).
   */
  readonly jwksFetch?: boolean
}

/** Validates `jwks` / `jwksFetch`. */
export function initialKeys(profile: string, options: KeySetOptions): InitialKeys | undefined {
  const { jwks, jwksFetch } = options
  if (jwksFetch !== undefined && typeof jwksFetch !== 'boolean')
    throw new TypeError(`${profile}(): jwksFetch must be a boolean`)
  if (jwks === undefined) {
    if (jwksFetch !== undefined) throw new TypeError(`${profile}(): jwksFetch needs jwks`)
    return undefined
  }
  if (jwks === null || typeof jwks !== 'object' || !Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new TypeError(`${profile}(): jwks must be a JWK Set with a non-empty "keys" array`)
  }
  return { jwks, pinned: jwksFetch !== true }
}

/**
 * The name of an issuer profile, found on every `Auth` it produces: `vercel` and `oidc` for the built-in
 * profiles, any other string for a profile of your own.
 */
export type ProfileName = 'vercel' | 'oidc' | (string & {})

/**
 * A configured issuer profile. Create it with `vercel()` or `oidc()` and pass it to
 * `createGate({ issuers: [...] })`. `C` is the type of the verified claims.
 *
 * A profile of your own implements the same members; the gate needs no change for it.
 *
 * @example
 * ```ts
 * const base = oidc({ issuer, audience, jwksUri })
 * const tenant: IssuerProfile = {
 *   ...base,
 *   profile: 'tenant',
 *   present: (claims) => ({ tenant: claims.tid }),
 * }
 * ```
 */
export interface IssuerProfile<C = unknown> {
  /** The profile's name, also found on every `Auth` it produces. */
  readonly profile: ProfileName
  /** The accepted issuers, selected by exact match of `iss`. */
  readonly targets: readonly IssuerTarget[]
  /** Accepted audiences: `aud` must contain one of them. */
  readonly audiences: readonly string[]
  /** The algorithm allow-list. */
  readonly algorithms: readonly Algorithm[]
  /** Largest accepted `exp − iat`, seconds. */
  readonly maxTokenLifetime: number
  /** Largest accepted `now − iat`, seconds, if any. */
  readonly maxTokenAge: number | undefined
  /** Claim names a policy may use with this profile (typos are reported against them), if closed. */
  readonly claimNames: readonly string[] | undefined
  /**
   * The policy lints that apply to this profile's claims (`'vercel'`: rules on renameable names such as
   * team or project slugs get a boot warning). Applied when every issuer of a gate shares it.
   */
  readonly policyProfile?: 'vercel' | undefined
  /** Whether the header's `typ` is acceptable. */
  readonly acceptsTyp: (typ: JsonValue | undefined) => boolean
  /** Profile-specific claim checks, after the registered claims passed. Throws `InvalidTokenError`. */
  readonly checkClaims: (claims: Readonly<Record<string, JsonValue>>, target: IssuerTarget) => void
  /**
   * Extra fields of the `Auth` built from the verified, frozen claims (the Vercel profile adds `vercel`,
   * its claims in camelCase). They never replace the fields every `Auth` has. Default: none.
   */
  readonly present?: (claims: Readonly<Record<string, JsonValue>>) => Readonly<Record<string, unknown>>
  /**
   * Configuration weaknesses worth a log line, emitted once as `policy.warning` events when the gate is
   * created (e.g. a Vercel team bound by its renameable slug only). Default: none.
   */
  readonly warnings?: readonly string[]
  /**
   * Issuers accepted besides `targets`, resolved at request time from a token's exact `iss`
   * (`oidcTenants()`): an allow-list or the app's resolver. Default: none.
   */
  readonly tenants?: TenantResolver<C>
  /** Type-level marker of the claims type; never set at run time. */
  readonly __claims?: C
}

/** Validates an optional positive number of seconds. */
export function seconds(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${option} must be a positive number of seconds`)
  }
  return value
}

/** Validates `audience`: a non-empty string or a non-empty array of them. */
export function audiences(option: string, value: unknown): readonly string[] {
  const list = typeof value === 'string' ? [value] : value
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((a) => typeof a === 'string' && a.length > 0)
  ) {
    throw new TypeError(`${option} must be a non-empty string or a non-empty array of strings`)
  }
  return Object.freeze([...list])
}

/** Rejects option names the profile does not know, so a typo fails at boot. */
export function knownOptions(profile: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`${profile}(): unknown option "${key}"`)
  }
}
