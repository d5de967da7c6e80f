/**
 * Checks of the registered claims (SECURITY C1–C9, C11–C12) shared by every profile. Types are strict:
 * a claim of the wrong JSON type is refused, never coerced.
 */

import type { JsonValue } from './claims.js'
import { CLAIM_REASONS, type ClaimReason, InvalidTokenError, type TokenReason } from './errors.js'

/** What the registered claims are checked against. */
export interface ClaimExpectations {
  readonly issuer: string
  readonly audiences: readonly string[]
  /** Current time, seconds since the epoch (one reading per request). */
  readonly now: number
  /** Allowed clock skew, seconds. */
  readonly clockTolerance: number
  /** Largest accepted `exp − iat`, seconds. */
  readonly maxTokenLifetime: number
  /** Largest accepted `now − iat`, seconds, if any. */
  readonly maxTokenAge: number | undefined
}

/** The depth of nested `act` claims accepted (RFC 8693 §4.1). */
const MAX_ACTOR_DEPTH = 5

type Claims = Readonly<Record<string, JsonValue>>

/** Checks `iss`, `sub`, `aud`, `exp`, `nbf`, `iat`, `jti`, `act`, `cnf`, `scope`, `client_id`. */
export function checkRegisteredClaims(claims: Claims, expect: ClaimExpectations): void {
  if (claims.iss !== expect.issuer) throw invalid('iss', 'issuer mismatch')
  if (typeof claims.sub !== 'string' || claims.sub.length === 0)
    throw invalid('sub', 'sub missing or invalid')
  checkAudience(claims.aud, expect.audiences)

  const { now, clockTolerance } = expect
  const exp = claims.exp
  if (exp === undefined) throw invalid('exp', 'exp missing')
  if (!isNumericDate(exp)) throw invalid('exp', 'exp is not a NumericDate')
  if (now >= exp + clockTolerance) throw invalid('exp', 'token expired')

  const iat = claims.iat
  if (iat === undefined) throw invalid('iat', 'iat missing')
  if (!isNumericDate(iat)) throw invalid('iat', 'iat is not a NumericDate')
  if (iat > now + clockTolerance) throw invalid('iat', 'token issued in the future')
  if (expect.maxTokenAge !== undefined && now - iat > expect.maxTokenAge + clockTolerance) {
    throw invalid('iat', 'token too old')
  }
  if (exp - iat > expect.maxTokenLifetime) throw invalid('lifetime', 'token lifetime too long')

  const nbf = claims.nbf
  if (nbf !== undefined) {
    if (!isNumericDate(nbf)) throw invalid('nbf', 'nbf is not a NumericDate')
    if (now + clockTolerance < nbf) throw invalid('nbf', 'token not yet valid')
  }

  optionalString(claims, 'jti')
  optionalString(claims, 'client_id')
  optionalString(claims, 'scope')
  if (claims.act !== undefined && !isActor(claims.act, 1)) throw invalid('act', 'act claim malformed')
  // Of the confirmation methods (RFC 7800 `cnf`), only a DPoP key thumbprint (RFC 9449 §6.1) can be
  // verified; any other is refused rather than downgraded to bearer (SECURITY C12). A `jkt`-bound token
  // is held to its key by the gate's sender-constraint step (./dpop/sender-constraint.ts).
  if (claims.cnf !== undefined && !isJktConfirmation(claims.cnf)) {
    throw invalid('cnf', 'unsupported confirmation method')
  }
}

/** `{ "jkt": <base64url SHA-256 thumbprint> }` and nothing else. */
function isJktConfirmation(cnf: JsonValue): boolean {
  if (cnf === null || typeof cnf !== 'object' || Array.isArray(cnf)) return false
  const members = Object.keys(cnf)
  return members.length === 1 && typeof cnf.jkt === 'string' && /^[A-Za-z0-9_-]{43}$/.test(cnf.jkt)
}

/** Requires `name` to be a non-empty string. */
export function requiredString(claims: Claims, name: string): void {
  const value = claims[name]
  if (value === undefined) throw invalid(name, `${name} missing`)
  if (typeof value !== 'string' || value.length === 0) throw invalid(name, `${name} is not a string`)
}

/** Requires `name` to be absent or a string. */
export function optionalString(claims: Claims, name: string): void {
  const value = claims[name]
  if (value !== undefined && typeof value !== 'string') throw invalid(name, `${name} is not a string`)
}

/** Requires `name` to be absent or an array of strings. */
export function optionalStringArray(claims: Claims, name: string): void {
  const value = claims[name]
  if (value !== undefined && !(Array.isArray(value) && value.every((v) => typeof v === 'string'))) {
    throw invalid(name, `${name} is not an array of strings`)
  }
}

/** Requires `name` to be absent or a finite number. */
export function optionalNumber(claims: Claims, name: string): void {
  const value = claims[name]
  if (value !== undefined && !isNumericDate(value)) throw invalid(name, `${name} is not a number`)
}

function checkAudience(aud: JsonValue | undefined, audiences: readonly string[]): void {
  if (aud === undefined) throw invalid('aud', 'aud missing')
  if (typeof aud === 'string') {
    if (!audiences.includes(aud)) throw invalid('aud', 'audience mismatch')
    return
  }
  if (!Array.isArray(aud) || aud.length === 0 || !aud.every((a) => typeof a === 'string')) {
    throw invalid('aud', 'aud is not a string or an array of strings')
  }
  if (!aud.some((a) => audiences.includes(a as string))) throw invalid('aud', 'audience mismatch')
}

function isNumericDate(value: JsonValue): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function isActor(value: JsonValue, depth: number): boolean {
  if (depth > MAX_ACTOR_DEPTH || value === null || typeof value !== 'object' || Array.isArray(value))
    return false
  const { sub, iss, act } = value
  if (sub !== undefined && typeof sub !== 'string') return false
  if (iss !== undefined && typeof iss !== 'string') return false
  return act === undefined || isActor(act, depth + 1)
}

const CLAIM_NAMES: ReadonlySet<string> = new Set(CLAIM_REASONS)

function invalid(reason: string, description: string): InvalidTokenError {
  const known: TokenReason = CLAIM_NAMES.has(reason) ? (reason as ClaimReason) : 'required-claim'
  return new InvalidTokenError(known, description)
}
