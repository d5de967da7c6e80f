export {
  type FetchHandler,
  type ProtectedHandler,
  type ProtectOptions,
  protect,
} from './adapter/fetch-handler.js'
export {
  type AdapterKit,
  type AdapterOptions,
  type Authenticated,
  adapterKit,
  answerFor,
  answerOrThrow,
  authorizeRequest,
  type GateSource,
  type NodeResponseHeaders,
  type NodeServerEnv,
  routeGuard,
  routePolicy,
  splitPluginOptions,
} from './adapter/kit.js'
export type { Algorithm } from './algorithms.js'
export type { Auth, OidcAuth, ProfileAuth, VercelAuth, VercelIdentity } from './auth.js'
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
  AUTHENTICATE_CHANNEL,
  EVENT_CHANNEL,
} from './diagnostics/channels.js'
export type { AuthenticateResult, AuthenticateTrace } from './diagnostics/trace.js'
export {
  createDpopNonces,
  type DpopNonceCheck,
  type DpopNonceOptions,
  type DpopNonces,
} from './dpop/nonce.js'
export { DEFAULT_DPOP_ALGORITHMS, type DpopVerifierOptions } from './dpop/options.js'
export { authenticatedHeaders } from './dpop/response-headers.js'
export { jwkThumbprint } from './dpop/thumbprint.js'
export {
  createDpopVerifier,
  type DpopProof,
  type DpopProofRequest,
  type DpopVerifier,
  MAX_PROOF_LENGTH,
} from './dpop/verify-proof.js'
export { type FetchRequestLike, fromFetch } from './edge/fetch.js'
export { type EdgeSource, fromNode, type NodeRequestLike } from './edge/node.js'
export type { EdgeOptions, EdgeSettings } from './edge/origin.js'
export type { GateRequest, HeaderValue } from './edge/request.js'
export { type GateResponse, type NodeResponseLike, sendNode, toResponse } from './edge/response.js'
export {
  type AuthScheme,
  type ChallengeOptions,
  type ClaimReason,
  CredentialsMissingError,
  type CredentialsReason,
  DpopBindingError,
  type DpopReason,
  GateError,
  type GateErrorCode,
  type GateErrorOptions,
  type GateErrorReason,
  InsufficientScopeError,
  InvalidDpopProofError,
  InvalidRequestError,
  InvalidTokenError,
  isGateError,
  KeysUnavailableError,
  ReplayStoreUnavailableError,
  type RequestReason,
  type TokenReason,
  UseDpopNonceError,
} from './errors.js'
export type { EventListener, GateEvent, JwksFetchTrigger } from './events.js'
export { type Credentials, extractCredentials, readAuthorization } from './extract.js'
export { createGate } from './gate/create-gate.js'
export type {
  AuthenticateOptions,
  AuthenticateRequestOptions,
  ClaimsOf,
  Gate,
  GateOptions,
  PolicyInput,
} from './gate/types.js'
export { type OidcOptions, oidc } from './issuers/oidc.js'
export type { IssuerProfile, IssuerTarget, KeySetOptions, ProfileName } from './issuers/profile.js'
export {
  type OidcTenantsOptions,
  oidcTenants,
  type TenantAnswer,
  type TenantOptions,
  type TenantResolver,
} from './issuers/tenants.js'
export { type VercelOptions, vercel } from './issuers/vercel.js'
export type { JoseHeader } from './jws.js'
export type { InitialKeys, KeySourceOptions } from './keys/index.js'
export type { MockIdentity, MockOptions } from './mock/options.js'
export * from './policy/index.js'
export { type MemoryReplayStoreOptions, memoryReplayStore } from './replay/memory-store.js'
export { type ReplayStore, replayKey } from './replay/store.js'
export {
  PROTECTED_RESOURCE_WELL_KNOWN,
  type ProtectedResourceMetadata,
  protectedResourceMetadataUrl,
} from './resource/metadata.js'
export type { ProtectedResourceOptions } from './resource/options.js'
export type { ProtectedResource } from './resource/serve.js'
export { type ClosableConnection, POLICY_VIOLATION } from './websocket/expiry.js'
export { BEARER_PROTOCOL_PREFIX, bearerProtocol } from './websocket/protocols.js'
export { refuseUpgrade, type UpgradeSocketLike } from './websocket/refuse.js'
export {
  type SocketEvents,
  type WebSocketGate,
  type WebSocketGateOptions,
  websocketGate,
} from './websocket/websocket-gate.js'
