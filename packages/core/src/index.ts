export type { Algorithm } from './algorithms.js'
export type { Auth, OidcAuth, VercelAuth, VercelIdentity } from './auth.js'
export type { TokenCacheOptions } from './cache.js'
export {
  type AccessTokenClaims,
  type ActorClaim,
  type JsonValue,
  type RegisteredClaims,
  VERCEL_CLAIM_NAMES,
  type VercelClaims,
} from './claims.js'
export {
  CredentialsMissingError,
  GateError,
  type GateErrorCode,
  type GateErrorOptions,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  isGateError,
  KeysUnavailableError,
} from './errors.js'
export type { EventListener, GateEvent, JwksFetchTrigger } from './events.js'
export {
  type Credentials,
  extractCredentials,
  type GateRequest,
  type HeaderValue,
  readAuthorization,
} from './extract.js'
export {
  type AuthenticateOptions,
  type AuthenticateRequestOptions,
  type ClaimsOf,
  createGate,
  type Gate,
  type GateOptions,
  type PolicyInput,
} from './gate.js'
export { type OidcOptions, oidc } from './issuers/oidc.js'
export type { IssuerProfile, IssuerTarget, KeySetOptions } from './issuers/profile.js'
export { type VercelOptions, vercel } from './issuers/vercel.js'
export type { JoseHeader } from './jws.js'
export type { InitialKeys, KeySourceOptions } from './keys.js'
export * from './policy/index.js'
