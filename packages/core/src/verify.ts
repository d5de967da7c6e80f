/**
 * The verification pipeline of one token (SECURITY §1): size → JWS syntax → issuer selection by exact
 * `iss` → header rules → key → signature → claims.
 *
 * The signature is verified before any claim is checked (SECURITY C13): the only claim read before it is
 * `iss`, by exact match, to select the issuer's keys (an unknown `iss` costs no key fetch). So a token
 * that is not signed by the issuer learns only that the key or the signature failed, never which
 * audience, team or claims the gate expects.
 */

import type { Auth } from './auth.js'
import { stampAuth } from './auth-stamp.js'
import type { VerifiedToken } from './cache.js'
import type { ActorClaim } from './claims.js'
import { InvalidTokenError } from './errors.js'
import type { IssuerProfile, IssuerTarget } from './issuers/profile.js'
import {
  checkHeader,
  deepFreeze,
  type JoseHeader,
  type ParsedJws,
  parseCompactJws,
  rememberVerifiedHeader,
} from './jws.js'
import type { KeySource, VerificationKey } from './keys/index.js'
import { verifySignature } from './signature.js'
import { checkRegisteredClaims } from './validate-claims.js'

/** One accepted issuer with its profile and key source. */
export interface IssuerRuntime {
  readonly profile: IssuerProfile
  readonly target: IssuerTarget
  readonly keys: KeySource
}

/** What a verification needs from the gate. */
export interface VerifyContext {
  /** Accepted issuers by exact `iss`. */
  readonly issuers: ReadonlyMap<string, IssuerRuntime>
  /**
   * Tenant issuers (`oidcTenants()`), asked for an exact `iss` that is not among `issuers`: a runtime,
   * a promise of one (an async resolver), or `undefined` when `iss` is not accepted.
   */
  readonly resolveIssuer?:
    | ((iss: string) => IssuerRuntime | Promise<IssuerRuntime | undefined> | undefined)
    | undefined
  /** Allowed clock skew, seconds. */
  readonly clockTolerance: number
  /** Longest accepted token, in characters. */
  readonly maxTokenLength: number
}

/**
 * Verifies `token`; returns its {@link Auth} with what the verified-token cache needs to reuse it.
 * Synchronous when the key is cached and the signature back end is synchronous (Node), so the common case
 * creates no promise; a promise otherwise.
 * @throws GateError (synchronously, or as the promise's rejection)
 *
 * @example
 * ```ts
 * const { auth, validUntil } = await verifyToken(token, { issuers, clockTolerance: 5, maxTokenLength: 8192 }, Date.now())
 * ```
 */
export function verifyToken(
  token: string,
  ctx: VerifyContext,
  nowMs: number,
): VerifiedToken | Promise<VerifiedToken> {
  if (typeof token !== 'string' || token.length === 0)
    throw new InvalidTokenError('malformed', 'token missing')
  if (token.length > ctx.maxTokenLength) throw new InvalidTokenError('token-size', 'token too large')
  const jws = parseCompactJws(token)

  // Issuer selection is the only use of an unverified claim, by exact match (SECURITY K2).
  const iss = jws.claims.iss
  const runtime = typeof iss === 'string' ? (ctx.issuers.get(iss) ?? ctx.resolveIssuer?.(iss)) : undefined
  // A tenant issuer seen for the first time: its resolver's answer first.
  if (runtime instanceof Promise) return runtime.then((found) => verifyWith(token, jws, found, ctx, nowMs))
  return verifyWith(token, jws, runtime, ctx, nowMs)
}

/** Verifies `jws` as a token of the selected issuer: header rules, key, signature, claims. */
function verifyWith(
  token: string,
  jws: ParsedJws,
  runtime: IssuerRuntime | undefined,
  ctx: VerifyContext,
  nowMs: number,
): VerifiedToken | Promise<VerifiedToken> {
  if (runtime === undefined) throw new InvalidTokenError('iss', 'issuer not accepted')
  const { profile, keys } = runtime

  const header = checkHeader(jws.header, { algorithms: profile.algorithms, typ: profile.acceptsTyp })
  const candidate: Candidate = { token, jws, header, runtime, ctx, nowMs }
  const key = keys.lookup(header.kid, header.alg, profile.algorithms, nowMs)
  if (key === undefined) {
    return keys.resolve(header.kid, header.alg, profile.algorithms).then((k) => verifySigned(candidate, k))
  }
  return verifySigned(candidate, key)
}

/** A token whose issuer and header passed, on its way to the signature and the claims. */
interface Candidate {
  readonly token: string
  readonly jws: ParsedJws
  readonly header: JoseHeader
  readonly runtime: IssuerRuntime
  readonly ctx: VerifyContext
  readonly nowMs: number
}

/** Verifies the signature with `key`, then, and only then, the claims. */
function verifySigned(candidate: Candidate, key: VerificationKey): VerifiedToken | Promise<VerifiedToken> {
  const { jws } = candidate
  const pending = verifySignature(key, jws.signingInput, jws.signature)
  if (pending !== undefined) return pending.then(() => accept(candidate, key))
  return accept(candidate, key)
}

/** Checks the signed claims and builds the frozen `Auth` and its validity window. */
function accept(candidate: Candidate, key: VerificationKey): VerifiedToken {
  const { token, jws, header, runtime, ctx, nowMs } = candidate
  rememberVerifiedHeader(jws)
  const { profile, target } = runtime
  const { claims } = jws
  const tolerance = ctx.clockTolerance
  checkRegisteredClaims(claims, {
    issuer: target.issuer,
    audiences: profile.audiences,
    now: Math.floor(nowMs / 1000),
    clockTolerance: tolerance,
    maxTokenLifetime: profile.maxTokenLifetime,
    maxTokenAge: profile.maxTokenAge,
  })
  profile.checkClaims(claims, target)

  const frozen = deepFreeze(claims)
  // A fixed shape first: a profile's fields are added after and never replace the verified ones.
  const auth: Record<string, unknown> = {
    token,
    header,
    claims: frozen,
    issuer: target.issuer,
    actor: frozen.act as ActorClaim | undefined,
    profile: profile.profile,
  }
  const extra = profile.present?.(frozen)
  if (extra !== undefined) {
    for (const name of Object.keys(extra)) if (!Object.hasOwn(auth, name)) auth[name] = extra[name]
  }
  Object.freeze(stampAuth(auth, ctx))

  // The window in which these checks keep passing: what a cached verification may be reused for.
  const exp = claims.exp as number
  const iat = claims.iat as number
  const nbf = claims.nbf as number | undefined
  let validUntil = exp + tolerance
  if (profile.maxTokenAge !== undefined) {
    validUntil = Math.min(validUntil, Math.floor(iat + profile.maxTokenAge + tolerance) + 1)
  }
  // A hit must not accept what a fresh check refuses: `iat` beyond `now + tolerance` is refused just like
  // `nbf` is (SECURITY C5), so a clock stepping back before `iat` must miss the cache too.
  const validFrom = Math.max(iat, nbf ?? Number.NEGATIVE_INFINITY) - tolerance
  return { auth: auth as unknown as Auth, key, keys: runtime.keys, validFrom, validUntil }
}
