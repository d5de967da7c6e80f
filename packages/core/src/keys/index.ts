/** Keys: the JWKS fetch, JWK checks, imported key sets and the cached key source of each JWKS URL. */

export {
  describeFailure,
  type FetchedJson,
  type FetchJsonRequest,
  type FetchLimits,
  fetchJson,
} from './fetch-json.js'
export { checkJwk, type UsableJwk } from './jwk.js'
export { findKey, importKeySet, type KeySet, type VerificationKey } from './key-set.js'
export type { KeySource } from './key-source.js'
export {
  cacheLifetime,
  type KeySourceOptions,
  type ResolvedKeySourceOptions,
  resolveKeySourceOptions,
} from './options.js'
export { type InitialKeys, RemoteKeySource } from './source.js'
