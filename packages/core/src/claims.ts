/**
 * Claim types of the issuer profiles. Every claim listed here is checked for its JSON type after the
 * signature is verified, so code that reads `auth.claims` can trust these types.
 */

/** A JSON value, as found in a verified claims set. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * The `act` (actor) claim of RFC 8693 §4.1. The outermost `act` names the current actor; nested `act`
 * members are prior actors, informational only. Vercel's token exchange puts the original `aud` and
 * `iat` here.
 */
export interface ActorClaim {
  readonly sub?: string
  readonly iss?: string
  readonly aud?: string | readonly string[]
  readonly iat?: number
  readonly act?: ActorClaim
  readonly [claim: string]: unknown
}

/** Registered claims every verified token carries (RFC 7519 §4.1). */
export interface RegisteredClaims {
  /** Issuer, exactly equal to the configured issuer. */
  readonly iss: string
  /** Subject. */
  readonly sub: string
  /** Audience: a string or a non-empty array of strings containing a configured audience. */
  readonly aud: string | readonly string[]
  /** Expiry, seconds since the epoch. */
  readonly exp: number
  /** Issued at, seconds since the epoch. */
  readonly iat: number
  /** Not before, seconds since the epoch. */
  readonly nbf?: number
  /** Token identifier. */
  readonly jti?: string
}

/**
 * Claims of a Vercel OIDC token (https://vercel.com/docs/oidc/reference).
 *
 * `owner_id` and `project_id` are stable; `owner`, `project` and `sub` change when a team or project is
 * renamed, so policies should prefer the IDs.
 */
export interface VercelClaims extends RegisteredClaims {
  /** Team slug, e.g. `acme`. Renameable. */
  readonly owner: string
  /** Team ID, e.g. `team_…`. Stable. */
  readonly owner_id: string
  /** Project name. Renameable. */
  readonly project: string
  /** Project ID, e.g. `prj_…`. Stable. */
  readonly project_id: string
  /** `production`, `preview`, `development`, or a custom environment name. */
  readonly environment: string
  /** The Vercel user; present on development tokens. */
  readonly user_id?: string
  /** Equal to `sub` on current tokens. */
  readonly scope?: string
  /** The team's plan (`hobby`, `pro`, `enterprise`). */
  readonly plan?: string
  /** Present on tokens minted by the Vercel CLI. */
  readonly client_id?: string
  /** Present when the deployment targets a custom environment. */
  readonly custom_environment_id?: string
  /** Present on tokens from Vercel's token exchange: the original `aud` and `iat`. */
  readonly act?: ActorClaim
  /** Present on exchanged tokens when requested. */
  readonly jti?: string
}

/** The claim names of a Vercel OIDC token, for validation of policies against typos. */
export const VERCEL_CLAIM_NAMES: readonly (keyof VercelClaims & string)[] = [
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'owner',
  'owner_id',
  'project',
  'project_id',
  'environment',
  'user_id',
  'scope',
  'plan',
  'client_id',
  'custom_environment_id',
  'act',
]

/**
 * Claims of an OAuth 2 access token in the JWT profile of RFC 9068 §2.2. Any other claim of the token is
 * present as well, typed as JSON.
 */
export interface AccessTokenClaims extends RegisteredClaims {
  readonly client_id: string
  readonly jti: string
  /** Space-delimited scopes (RFC 9068 §2.2.3). */
  readonly scope?: string
  readonly auth_time?: number
  readonly acr?: string
  readonly amr?: readonly string[]
  readonly act?: ActorClaim
  readonly [claim: string]: unknown
}
