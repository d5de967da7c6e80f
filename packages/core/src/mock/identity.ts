/**
 * The static-identity mock mode: every request is authenticated as one configured identity, with no
 * token at all. The identity is checked at construction as a real token's claims are (a claim of the
 * wrong type, another team, a missing `project_id` throw a `TypeError`), so the `Auth` it produces has
 * the same shape as a verified one.
 */

import type { VerifiedToken } from '../cache.js'
import type { JsonValue } from '../claims.js'
import { isGateError } from '../errors.js'
import type { JoseHeader } from '../jws.js'
import type { IssuerRuntime, VerifyContext } from '../verify.js'
import { checkMockClaims, mockVerified } from './auth.js'

/** The longest lifetime given to the identity when it sets no `exp`, seconds: one hour. */
const LIFETIME = 3600

type Claims = Record<string, JsonValue>

/** A built static identity: its issuer and the verifier that returns it, with fresh `iat` / `exp`. */
export interface StaticIdentity {
  readonly issuer: string
  readonly verify: (token: string, ctx: VerifyContext, nowMs: number) => Promise<VerifiedToken>
}

/**
 * Builds the static identity of `mock: { identity }`; `iss` defaults to the gate's first issuer, `aud`
 * to its profile's first audience, `iat` to the time of each request and `exp` to an hour later
 * (at most the profile's `maxTokenLifetime`).
 * @throws TypeError naming `mock.identity` when the identity is not valid claims of that issuer.
 */
export function staticIdentity(identity: unknown, ctx: VerifyContext, nowMs: number): StaticIdentity {
  if (identity === null || typeof identity !== 'object' || Array.isArray(identity)) {
    throw new TypeError('mock.identity must be an object of claims')
  }
  const given = JSON.parse(JSON.stringify(identity)) as Claims
  const iss = given.iss ?? ctx.issuers.keys().next().value
  const runtime = typeof iss === 'string' ? ctx.issuers.get(iss) : undefined
  if (runtime === undefined) throw new TypeError("mock.identity.iss must be one of the gate's issuers")
  if (given.cnf !== undefined) {
    throw new TypeError('mock.identity must not hold cnf: a key-bound identity needs real DPoP proofs')
  }
  const claimsAt = (ms: number): Claims => {
    const now = Math.floor(ms / 1000)
    const iat = given.iat ?? now
    const lifetime = Math.min(LIFETIME, runtime.profile.maxTokenLifetime)
    return {
      ...given,
      iss: runtime.target.issuer,
      aud: given.aud ?? (runtime.profile.audiences[0] as string),
      iat,
      exp: given.exp ?? (typeof iat === 'number' ? iat + lifetime : now + lifetime),
    }
  }
  try {
    checkMockClaims(claimsAt(nowMs), runtime, ctx, nowMs)
  } catch (error) {
    if (!isGateError(error)) throw error
    throw new TypeError(`mock.identity is not valid for ${runtime.target.issuer}: ${error.message}`)
  }
  const header = headerOf(runtime)
  return {
    issuer: runtime.target.issuer,
    verify: async (_token, gateCtx, now) => mockVerified(runtime, header, claimsAt(now), '', gateCtx),
  }
}

function headerOf(runtime: IssuerRuntime): JoseHeader {
  const alg = runtime.profile.algorithms[0]
  if (alg === undefined) throw new TypeError('mock.identity: the issuer accepts no algorithm')
  return { alg }
}
