/**
 * Multi-tenant issuers: one issuer URL per tenant (Keycloak realms, Okta custom authorization servers,
 * one identity tenant per customer), accepted from an allow-list or from a
 * resolver the app writes (DESIGN §3, SECURITY K1, K2). The token's unverified `iss` only ever selects
 * among the tenants the app accepts: an unknown `iss` is refused without any network request.
 */

import type { AccessTokenClaims } from '../claims.js'
import { checkUrl } from '../url.js'
import { type OidcOptions, oidc } from './oidc.js'
import type { IssuerProfile } from './profile.js'

/**
 * What a tenant resolver may set for one tenant: {@link OidcOptions}, all optional, over the shared ones.
 * `issuer`, when given, must be the `iss` asked about.
 *
 * @example
 * ```ts
 * const options: TenantOptions = { audience: 'https://acme.api.example.com', algorithms: ['ES256'] }
 * ```
 */
export type TenantOptions = Partial<Omit<OidcOptions, 'jwks' | 'jwksFetch'>>

/**
 * A resolver's answer for one `iss`: `true` or tenant options (over the shared options) to accept it,
 * `undefined`, `null` or `false` to refuse it.
 *
 * @example
 * ```ts
 * const answer: TenantAnswer = known.has(iss) ? true : undefined
 * ```
 */
export type TenantAnswer = TenantOptions | boolean | null | undefined

/** Options of {@link oidcTenants}: the shared {@link OidcOptions} and where the tenants come from. */
export interface OidcTenantsOptions extends Omit<OidcOptions, 'issuer' | 'jwksUri' | 'jwks' | 'jwksFetch'> {
  /**
   * The allow-list: one issuer URL per tenant, exactly as in the tokens' `iss`. Each is read with
   * discovery (SECURITY K3, K4). Give this or `resolve`.
   */
  readonly issuers?: readonly string[]
  /**
   * The resolver: given a token's unverified `iss` (not yet accepted), answers `true` or tenant options
   * to accept that issuer, `undefined` to refuse it (401 `invalid_token`); an `iss` that is not an
   * `https:` URL (or `http:` on loopback) without query or fragment is refused before it is asked. It
   * may be async (a database lookup). It runs before the signature is checked, so treat `iss` as
   * untrusted input: look it up, never build a URL from parts of it you did not check. A resolver that throws, rejects, times out
   * or answers something else gets the request refused with 503 and a `tenant.resolve-failed` event.
   * Accepted answers are kept (see `maxIssuers`, `resolveMaxAge`); refusals are not, so the resolver
   * sees every unknown `iss`. Give this or `issuers`.
   */
  readonly resolve?: (issuer: string) => TenantAnswer | Promise<TenantAnswer>
  /**
   * Most tenant issuers kept live with their metadata and keys, least recently used first out (its
   * key source is closed and a `tenant.evicted` event emitted). Size it above the number of tenants
   * active at once. Default 100.
   */
  readonly maxIssuers?: number
  /** How long the resolver's acceptance of an issuer is reused before it is asked again, ms. Default 600000 (10 min). */
  readonly resolveMaxAge?: number
  /** How long the gate waits for the resolver, ms. Default 5000 (5 s). */
  readonly resolveTimeout?: number
}

/**
 * How a profile accepts issuers that are not among its `targets`: the gate asks {@link resolve} for a
 * token's exact `iss`, keeps the answers it accepts in a bounded LRU and refuses the rest. Built by
 * {@link oidcTenants}.
 *
 * @example
 * ```ts
 * const { tenants } = oidcTenants({ issuers: ['https://id.example/t1'], audience: 'https://api.example' })
 * await tenants?.resolve('https://id.example/t1') // the oidc() profile of that tenant
 * ```
 */
export interface TenantResolver<C = unknown> {
  /**
   * The profile of issuer `iss` (one target, whose `issuer` is `iss`), or `undefined` to refuse it.
   * Throws or rejects when no answer can be given.
   */
  readonly resolve: (iss: string) => IssuerProfile<C> | undefined | Promise<IssuerProfile<C> | undefined>
  /** Issuers `gate.warmup()` reads (the allow-list's first `maxIssuers`). */
  readonly known: readonly string[]
  /** Most resolved issuers kept live. */
  readonly maxIssuers: number
  /** How long a resolved issuer is reused before `resolve` is asked again, ms (`Infinity`: until evicted). */
  readonly maxAge: number
}

const OWN_OPTIONS = ['issuers', 'resolve', 'maxIssuers', 'resolveMaxAge', 'resolveTimeout']
const NOT_SHARED = ['issuer', 'jwksUri', 'jwks', 'jwksFetch']
/** Stands for a tenant while the shared options are checked at construction. */
const PLACEHOLDER = 'https://tenant.invalid'

/** A `TypeError` from `oidc()` re-worded for `oidcTenants()`. */
function renamed(error: unknown, prefix: string): unknown {
  if (!(error instanceof TypeError)) return error
  return new TypeError(error.message.replace(/^oidc\(\)/, prefix))
}

function positive(name: string, value: unknown, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback
  const ok =
    typeof value === 'number' && value > 0 && (integer ? Number.isInteger(value) : Number.isFinite(value))
  if (!ok)
    throw new TypeError(`oidcTenants(): ${name} must be a positive ${integer ? 'integer' : 'number of ms'}`)
  return value
}

/** The shared options, checked once: a mistake throws a `TypeError` naming the option. */
function sharedOptions(options: OidcTenantsOptions): Omit<OidcOptions, 'issuer'> {
  const shared: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(options)) {
    if (NOT_SHARED.includes(name)) {
      throw new TypeError(`oidcTenants(): "${name}" is per tenant: list issuers, or answer from resolve`)
    }
    if (!OWN_OPTIONS.includes(name)) shared[name] = value
  }
  return shared as Omit<OidcOptions, 'issuer'>
}

/**
 * Accept RFC 9068 access tokens from many issuers of one kind, one per tenant, each read with discovery
 * and selected by exact `iss`: an allow-list (`issuers`) or a resolver (`resolve`). The other options
 * are those of {@link oidc} and apply to every tenant; a resolver may override them per tenant.
 *
 * An unknown `iss` costs no network request and no memory: a flood of tokens naming random issuers is
 * refused (401 `invalid_token`) from a lookup. At most `maxIssuers` tenants are live at once.
 *
 * @example
 * ```ts
 * import { createGate, oidcTenants } from '@oidc-gate/core'
 *
 * const realms = new Set(['acme', 'globex'])
 * const gate = createGate({
 *   issuers: [
 *     oidcTenants({
 *       audience: 'https://api.example.com',
 *       resolve: (iss) => {
 *         const realm = /^https:\/\/id\.example\.com\/realms\/([a-z0-9-]{1,63})$/.exec(iss)?.[1]
 *         return realm !== undefined && realms.has(realm)
 *       },
 *     }),
 *   ],
 * })
 * ```
 */
export function oidcTenants(options: OidcTenantsOptions): IssuerProfile<AccessTokenClaims> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('oidcTenants() needs an options object')
  }
  const shared = sharedOptions(options)
  let base: IssuerProfile<AccessTokenClaims>
  try {
    base = oidc({ ...shared, issuer: PLACEHOLDER })
  } catch (error) {
    throw renamed(error, 'oidcTenants()')
  }
  const maxIssuers = positive('maxIssuers', options.maxIssuers, 100, true)
  const { issuers, resolve } = options
  if ((issuers === undefined) === (resolve === undefined)) {
    throw new TypeError('oidcTenants(): give either issuers (an allow-list) or resolve (a function)')
  }
  const tenants =
    issuers === undefined
      ? resolverTenants(shared, resolve, options, maxIssuers)
      : allowListTenants(shared, issuers, maxIssuers)
  return Object.freeze({ ...base, targets: Object.freeze([]), tenants })
}

/** The tenants of an allow-list: every profile built (and so checked) now. */
function allowListTenants(
  shared: Omit<OidcOptions, 'issuer'>,
  issuers: unknown,
  maxIssuers: number,
): TenantResolver<AccessTokenClaims> {
  if (!Array.isArray(issuers) || issuers.length === 0) {
    throw new TypeError('oidcTenants(): issuers must be a non-empty array of issuer URLs')
  }
  const profiles = new Map<string, IssuerProfile<AccessTokenClaims>>()
  for (const [index, issuer] of issuers.entries()) {
    if (profiles.has(issuer)) throw new TypeError(`oidcTenants(): issuers[${index}] is listed twice`)
    try {
      profiles.set(issuer, oidc({ ...shared, issuer }))
    } catch (error) {
      throw renamed(error, `oidcTenants(): issuers[${index}]`)
    }
  }
  return Object.freeze({
    resolve: (iss: string) => profiles.get(iss),
    known: Object.freeze([...profiles.keys()].slice(0, maxIssuers)),
    maxIssuers,
    maxAge: Number.POSITIVE_INFINITY,
  })
}

/** The tenants of a resolver: each answer merged over the shared options and checked by `oidc()`. */
function resolverTenants(
  shared: Omit<OidcOptions, 'issuer'>,
  resolve: unknown,
  options: OidcTenantsOptions,
  maxIssuers: number,
): TenantResolver<AccessTokenClaims> {
  if (typeof resolve !== 'function') throw new TypeError('oidcTenants(): resolve must be a function')
  const timeout = positive('resolveTimeout', options.resolveTimeout, 5000, false)
  const profileOf = (iss: string, answer: TenantAnswer): IssuerProfile<AccessTokenClaims> | undefined => {
    if (answer === undefined || answer === null || answer === false) return undefined
    if (answer === true) return oidc({ ...shared, issuer: iss })
    if (typeof answer !== 'object' || Array.isArray(answer)) {
      throw new TypeError('resolve must answer true, tenant options or undefined')
    }
    if (answer.issuer !== undefined && answer.issuer !== iss) {
      throw new TypeError('resolve answered another issuer than the one asked for')
    }
    return oidc({ ...shared, ...answer, issuer: iss })
  }
  return Object.freeze({
    resolve(iss: string) {
      // Not an issuer identifier at all: the token's problem, refused before the resolver sees it.
      if (!isIssuerUrl(iss)) return undefined
      const answer = (resolve as (issuer: string) => TenantAnswer | Promise<TenantAnswer>)(iss)
      if (!isThenable(answer)) return profileOf(iss, answer)
      return withTimeout(Promise.resolve(answer), timeout).then((settled) => profileOf(iss, settled))
    },
    known: Object.freeze([]),
    maxIssuers,
    maxAge: positive('resolveMaxAge', options.resolveMaxAge, 600_000, false),
  })
}

function isIssuerUrl(value: string): boolean {
  try {
    checkUrl('iss', value)
    return true
  } catch {
    return false
  }
}

function isThenable(value: unknown): value is PromiseLike<TenantAnswer> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/** `promise`, or a rejection after `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`resolve did not answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timedOut]).finally(() => clearTimeout(timer))
}
