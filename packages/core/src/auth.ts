/**
 * The result of a successful authentication.
 */

import type { AccessTokenClaims, ActorClaim, VercelClaims } from './claims.js'
import type { DpopProof } from './dpop/verify-proof.js'
import type { JoseHeader } from './jws.js'

/** A camelCase view of a Vercel token's claims. */
export interface VercelIdentity {
  /** Team slug (renameable). */
  readonly owner: string
  /** Team ID (stable). */
  readonly ownerId: string
  /** Project name (renameable). */
  readonly project: string
  /** Project ID (stable). */
  readonly projectId: string
  /** `production`, `preview`, `development` or a custom environment. */
  readonly environment: string
  /** The user of a development token. */
  readonly userId: string | undefined
  /** The team's plan, when present. */
  readonly plan: string | undefined
  /** The custom environment's ID, when present. */
  readonly customEnvironmentId: string | undefined
  /** Whether the token came from Vercel's token exchange (it has an `act` claim). */
  readonly exchanged: boolean
}

interface AuthBase<C> {
  /** The token exactly as received. */
  readonly token: string
  /** The verified protected header. */
  readonly header: JoseHeader
  /** The verified claims, frozen. */
  readonly claims: C
  /** The `iss` the token was verified for. */
  readonly issuer: string
  /** The current actor (RFC 8693 `act`), when the token was issued through a token exchange. */
  readonly actor: ActorClaim | undefined
  /**
   * `true` when a mock mode of `createGate({ mock })` produced this `Auth`: no signature was verified
   * (decode-only), or no token was sent at all (a static identity, whose `token` is empty). Mock modes
   * refuse to start when `NODE_ENV=production`. `undefined` for verified tokens.
   */
  readonly mock?: true | undefined
  /**
   * The verified DPoP proof, when the token came with `Authorization: DPoP` (RFC 9449): the key
   * thumbprint, `jti`, and `nextNonce` to send as `DPoP-Nonce`. `undefined` for bearer tokens.
   */
  readonly dpop?: DpopProof | undefined
}

/** A verified Vercel OIDC token. */
export interface VercelAuth extends AuthBase<VercelClaims> {
  readonly profile: 'vercel'
  /** The claims in camelCase. */
  readonly vercel: VercelIdentity
}

/** A verified RFC 9068 access token. */
export interface OidcAuth<C extends AccessTokenClaims = AccessTokenClaims> extends AuthBase<C> {
  readonly profile: 'oidc'
  readonly vercel?: undefined
}

/**
 * A verified token of a profile of your own (any `IssuerProfile` other than `vercel()` and `oidc()`):
 * the fields every `Auth` has, plus what its `present` hook returns.
 */
export interface ProfileAuth<C> extends AuthBase<C> {
  /** The profile's name. */
  readonly profile: string
  readonly vercel?: undefined
  /** Fields added by the profile's `present` hook. */
  readonly [field: string]: unknown
}

/**
 * A verified token and its claims, typed by the issuer profile: narrow on `profile` when a gate accepts
 * several kinds of issuer.
 */
export type Auth<C = VercelClaims | AccessTokenClaims> = 0 extends 1 & C
  ? // Claims typed `any` (a gate of any profile): the shapes of the built-in profiles.
    VercelAuth | OidcAuth<C & AccessTokenClaims>
  : C extends VercelClaims
    ? VercelAuth
    : C extends AccessTokenClaims
      ? OidcAuth<C>
      : ProfileAuth<C>

/** Builds the camelCase view of verified Vercel claims. */
export function vercelIdentity(claims: VercelClaims): VercelIdentity {
  return Object.freeze({
    owner: claims.owner,
    ownerId: claims.owner_id,
    project: claims.project,
    projectId: claims.project_id,
    environment: claims.environment,
    userId: claims.user_id,
    plan: claims.plan,
    customEnvironmentId: claims.custom_environment_id,
    exchanged: claims.act !== undefined,
  })
}
