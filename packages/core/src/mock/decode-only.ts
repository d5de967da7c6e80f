/**
 * The decode-only mock mode: a token is parsed and its header and claims are checked exactly as for a
 * verified token (issuer by exact `iss`, algorithm allow-list, `typ`, audience, lifetimes, the profile's
 * claims), but its signature is not verified and no key is fetched. For local development against real
 * tokens when the issuer's keys are out of reach; never in production (./options.ts).
 */

import type { VerifiedToken } from '../cache.js'
import { InvalidTokenError } from '../errors.js'
import { checkHeader, parseCompactJws } from '../jws.js'
import type { VerifyContext } from '../verify.js'
import { checkMockClaims, mockVerified } from './auth.js'

/**
 * Decodes and checks `token` like `verifyToken`, without its signature.
 * @throws GateError
 */
export async function decodeOnly(token: string, ctx: VerifyContext, nowMs: number): Promise<VerifiedToken> {
  if (typeof token !== 'string' || token.length === 0 || token.length > ctx.maxTokenLength) {
    throw new InvalidTokenError('malformed', 'token missing or too large')
  }
  const jws = parseCompactJws(token)
  const iss = jws.claims.iss
  const runtime = typeof iss === 'string' ? ctx.issuers.get(iss) : undefined
  if (runtime === undefined) throw new InvalidTokenError('iss', 'issuer not accepted')
  const { profile } = runtime
  const header = checkHeader(jws.header, { algorithms: profile.algorithms, typ: profile.acceptsTyp })
  checkMockClaims(jws.claims, runtime, ctx, nowMs)
  return mockVerified(runtime, header, jws.claims, token, ctx)
}
