/**
 * Claim and header defaults of minted tokens, per profile: Vercel-shaped OIDC tokens and RFC 9068
 * access tokens.
 */
import { randomUUID } from 'node:crypto'
import type { CryptoKey } from 'jose'
import type { DpopKeyPair } from './dpop.js'
import { vercelIds } from './vercel-ids.js'

/** Profiles of the test issuer: Vercel's OIDC issuer or a generic OAuth 2 / OIDC authorization server. */
export type TestIssuerProfile = 'vercel' | 'oidc'

/**
 * Claims the test issuer knows about (Vercel OIDC tokens and RFC 9068 access tokens). Every member is
 * optional in {@link MintClaims}; any other claim may be added as well.
 */
export interface MintableClaims {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  nbf: number
  jti: string
  scope: string
  owner: string
  owner_id: string
  project: string
  project_id: string
  environment: string
  user_id: string
  plan: string
  client_id: string
  custom_environment_id: string
  act: Record<string, unknown>
}

/**
 * Claims passed to {@link TestIssuer.mint}: they override the profile's defaults member by member. A
 * member set to `undefined` is left out of the token, like `MintOptions.omit`.
 *
 * @example
 * ```ts
 * const claims: MintClaims = { project: 'api', environment: 'preview', custom: { nested: true } }
 * ```
 */
export type MintClaims = { [Name in keyof MintableClaims]?: MintableClaims[Name] | undefined } & Record<
  string,
  unknown
>

/**
 * Options of {@link TestIssuer.mint}.
 *
 * @example
 * ```ts
 * await issuer.mint({}, { ttl: 60, header: { typ: 'at+jwt' }, omit: ['nbf'] })
 * ```
 */
export interface MintOptions {
  /** Lifetime in seconds (`exp` = `iat` + `ttl`); a positive integer. Default `3600`. */
  ttl?: number
  /** Make the token expired: `exp` 1 h in the past, `iat` and `nbf` 2 h in the past. Default `false`. */
  expired?: boolean
  /** Make the token not yet valid: `nbf` 1 h in the future (`exp` = `nbf` + `ttl`). Default `false`. */
  notYetValid?: boolean
  /**
   * Protected header members added to or overriding the defaults (`alg`, `typ`, `kid`); a member set to
   * `undefined` is removed. The signature always uses the key's algorithm. Default none.
   */
  header?: Record<string, unknown>
  /** Which key signs: the current one or the one before the last `rotate()`. Default `'current'`. */
  key?: 'current' | 'previous'
  /** Claim names to leave out of the token, applied after all defaults and overrides. Default none. */
  omit?: string[]
  /**
   * Bind the token to this DPoP key (RFC 9449 §6.1): adds `cnf: { jkt }` with the key's RFC 7638
   * thumbprint. A key pair or public key from jose's `generateKeyPair()`. Default: not bound.
   */
  dpopKey?: DpopKeyPair | CryptoKey
  /** Bind the token to the DPoP key with this thumbprint: adds `cnf: { jkt }`. Default: not bound. */
  jkt?: string
}

/** What the defaults depend on. */
export interface MintContext {
  readonly profile: TestIssuerProfile
  readonly team: string
  readonly issuer: string
  readonly audience: string
  /** Current time in milliseconds since the epoch. */
  readonly nowMs: number
}

const MINT_OPTION_NAMES = new Set([
  'ttl',
  'expired',
  'notYetValid',
  'header',
  'key',
  'omit',
  'dpopKey',
  'jkt',
])

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Checks mint options, throwing a `TypeError` naming the bad option.
 *
 * @example
 * ```ts
 * validateMintOptions({ ttl: 60 })
 * ```
 */
export function validateMintOptions(options: unknown): asserts options is MintOptions {
  if (!isRecord(options)) throw new TypeError('mint: options must be an object')
  for (const name of Object.keys(options)) {
    if (!MINT_OPTION_NAMES.has(name)) throw new TypeError(`mint: unknown option "${name}"`)
  }
  const { ttl, expired, notYetValid, header, key, omit } = options
  if (ttl !== undefined && !(Number.isSafeInteger(ttl) && (ttl as number) > 0)) {
    throw new TypeError('mint: options.ttl must be a positive integer number of seconds')
  }
  if (expired !== undefined && typeof expired !== 'boolean') {
    throw new TypeError('mint: options.expired must be a boolean')
  }
  if (notYetValid !== undefined && typeof notYetValid !== 'boolean') {
    throw new TypeError('mint: options.notYetValid must be a boolean')
  }
  if (expired === true && notYetValid === true) {
    throw new TypeError('mint: options.expired and options.notYetValid cannot both be true')
  }
  if (header !== undefined && !isRecord(header)) throw new TypeError('mint: options.header must be an object')
  if (key !== undefined && key !== 'current' && key !== 'previous') {
    throw new TypeError("mint: options.key must be 'current' or 'previous'")
  }
  if (omit !== undefined && !(Array.isArray(omit) && omit.every((name) => typeof name === 'string'))) {
    throw new TypeError('mint: options.omit must be an array of claim names')
  }
  if (options.jkt !== undefined && (typeof options.jkt !== 'string' || options.dpopKey !== undefined)) {
    throw new TypeError('mint: options.jkt must be a thumbprint string, and not given with options.dpopKey')
  }
}

function times(nowMs: number, options: MintOptions): { iat: number; nbf: number; exp: number } {
  const now = Math.floor(nowMs / 1000)
  const ttl = options.ttl ?? 3600
  if (options.expired === true) return { iat: now - 7200, nbf: now - 7200, exp: now - 3600 }
  if (options.notYetValid === true) return { iat: now, nbf: now + 3600, exp: now + 3600 + ttl }
  return { iat: now, nbf: now, exp: now + ttl }
}

function withoutUndefined(
  record: Record<string, unknown>,
  omit: readonly string[] = [],
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(record)) {
    if (value !== undefined && !omit.includes(name)) out[name] = value
  }
  return out
}

function vercelPayload(ctx: MintContext, claims: MintClaims, options: MintOptions): Record<string, unknown> {
  const { iat, nbf, exp } = times(ctx.nowMs, options)
  const owner = claims.owner ?? ctx.team
  const project = claims.project ?? 'web'
  const environment = claims.environment ?? 'production'
  const ids = vercelIds(String(owner), String(project))
  const sub = claims.sub ?? `owner:${owner}:project:${project}:environment:${environment}`
  const defaults: Record<string, unknown> = {
    iss: ctx.issuer,
    sub,
    scope: sub,
    aud: ctx.audience,
    owner,
    owner_id: ids.ownerId,
    project,
    project_id: ids.projectId,
    environment,
    ...(environment === 'development' && !('user_id' in claims) ? { user_id: ids.userId } : {}),
    plan: 'pro',
    nbf,
    iat,
    exp,
  }
  return { ...defaults, ...claims }
}

function accessTokenPayload(
  ctx: MintContext,
  claims: MintClaims,
  options: MintOptions,
): Record<string, unknown> {
  const { iat, nbf, exp } = times(ctx.nowMs, options)
  const defaults: Record<string, unknown> = {
    iss: ctx.issuer,
    sub: 'user-1',
    aud: ctx.audience,
    client_id: 'client-1',
    scope: 'read write',
    jti: randomUUID(),
    iat,
    ...(options.notYetValid === true ? { nbf } : {}),
    exp,
  }
  return { ...defaults, ...claims }
}

/**
 * The protected header and claims of a minted token: the profile's defaults, then `claims`, then
 * `options.omit`.
 *
 * Vercel: `{ alg, typ: 'JWT', kid }` and `iss, sub, scope, aud, owner, owner_id, project, project_id,
 * environment, user_id (development only), plan, nbf, iat, exp`; `sub` and `scope` follow the final
 * owner/project/environment unless `sub` is given (then `scope` follows `sub`).
 * OIDC (RFC 9068): `{ alg, typ: 'at+jwt', kid }` and `iss, sub, aud, client_id, scope, jti, iat, nbf
 * (only with notYetValid), exp`.
 *
 * @example
 * ```ts
 * const { header, payload } = buildToken(ctx, { environment: 'preview' }, {}, { kid: 'mrk-…', alg: 'RS256' })
 * ```
 */
export function buildToken(
  ctx: MintContext,
  claims: MintClaims,
  options: MintOptions,
  key: { readonly kid: string; readonly alg: string },
): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const typ = ctx.profile === 'vercel' ? 'JWT' : 'at+jwt'
  const header = withoutUndefined({ alg: key.alg, typ, kid: key.kid, ...options.header })
  const merged =
    ctx.profile === 'vercel' ? vercelPayload(ctx, claims, options) : accessTokenPayload(ctx, claims, options)
  if (options.jkt !== undefined) merged.cnf = { jkt: options.jkt }
  return { header, payload: withoutUndefined(merged, options.omit) }
}
