/**
 * What both mock modes share: the claim checks of a real token (every one but the signature) and the
 * `Auth` they produce, marked `mock: true`.
 */

import type { Auth } from '../auth.js'
import { stampAuth } from '../auth-stamp.js'
import type { VerifiedToken } from '../cache.js'
import type { ActorClaim, JsonValue } from '../claims.js'
import type { JoseHeader } from '../jws.js'
import type { VerificationKey } from '../keys/index.js'
import { checkRegisteredClaims } from '../validate-claims.js'
import type { IssuerRuntime, VerifyContext } from '../verify.js'

type Claims = Readonly<Record<string, JsonValue>>

/**
 * Checks `claims` as a verified token's claims are checked: the registered claims against the issuer,
 * then the profile's own checks.
 * @throws InvalidTokenError
 */
export function checkMockClaims(
  claims: Claims,
  runtime: IssuerRuntime,
  ctx: VerifyContext,
  nowMs: number,
): void {
  const { profile, target } = runtime
  checkRegisteredClaims(claims, {
    issuer: target.issuer,
    audiences: profile.audiences,
    now: Math.floor(nowMs / 1000),
    clockTolerance: ctx.clockTolerance,
    maxTokenLifetime: profile.maxTokenLifetime,
    maxTokenAge: profile.maxTokenAge,
  })
  profile.checkClaims(claims, target)
}

// Stands where a verification key would: it verifies nothing, so a mock result can never pass for a
// verified one. The gate caches nothing in a mock mode anyway.
const NO_KEY: VerificationKey = Object.freeze({
  kid: undefined,
  alg: 'RS256',
  verify: () => false,
  fingerprint: 'mock',
})

/**
 * The `Auth` of a mock mode, shaped by the issuer's profile like a verified one, with `mock: true`, and
 * stamped as produced by the gate of `ctx`.
 */
export function mockVerified(
  runtime: IssuerRuntime,
  header: JoseHeader,
  claims: Claims,
  token: string,
  ctx: VerifyContext,
): VerifiedToken {
  const { profile, target } = runtime
  const frozen = frozenJson(claims)
  const auth = stampAuth(
    {
      ...profile.present?.(frozen),
      token,
      header: frozenJson(header),
      claims: frozen,
      issuer: target.issuer,
      actor: frozen.act as ActorClaim | undefined,
      profile: profile.profile,
      mock: true,
    },
    ctx,
  )
  Object.freeze(auth)
  return { auth: auth as unknown as Auth, key: NO_KEY, keys: runtime.keys, validFrom: 0, validUntil: 0 }
}

/** A deep-frozen JSON copy of `value` (the reviver runs innermost first). */
export function frozenJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (_name, member: unknown) =>
    member !== null && typeof member === 'object' ? Object.freeze(member) : member,
  ) as T
}
