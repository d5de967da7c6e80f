/**
 * Metadata documents served by the test issuer: OpenID Connect discovery (OIDC Discovery 1.0 §3) and
 * OAuth 2 authorization server metadata (RFC 8414 §2).
 */

/** Claims a Vercel OIDC token may carry, as listed in the Vercel discovery document. */
const VERCEL_CLAIMS = [
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'scope',
  'owner',
  'owner_id',
  'project',
  'project_id',
  'environment',
  'user_id',
  'plan',
  'act',
]

/**
 * The discovery document of a Vercel issuer (team or global layout): `issuer` exactly as given and
 * `jwks_uri` = `issuer + '/.well-known/jwks'`.
 *
 * @example
 * ```ts
 * vercelDiscovery('http://127.0.0.1:43123/acme') // { issuer: '…/acme', jwks_uri: '…/acme/.well-known/jwks', … }
 * ```
 */
export function vercelDiscovery(issuer: string): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks`,
    subject_types_supported: ['public'],
    response_types_supported: ['id_token'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid'],
    claims_supported: VERCEL_CLAIMS,
  }
}

/**
 * The metadata of the generic (`oidc`) profile, served both as OpenID Connect discovery and RFC 8414
 * authorization server metadata: `issuer` exactly as given, and under `base` (the issuer without a
 * terminating `/`, by default the issuer) the JWKS, the token endpoint (`POST /token`, client credentials with
 * `client_secret_basic` or `client_secret_post`) and `scopes_supported` (`openid` and every scope a
 * client may have). `authorization_endpoint` is listed because clients such as the MCP SDK require it;
 * it refuses every request (`unsupported_response_type`): this issuer only grants client credentials.
 *
 * @example
 * ```ts
 * oidcMetadata('http://127.0.0.1:43123', 'ES256', ['read'])
 * // { issuer, jwks_uri: 'http://127.0.0.1:43123/jwks', token_endpoint: 'http://127.0.0.1:43123/token', … }
 * ```
 */
export function oidcMetadata(
  issuer: string,
  algorithm: string,
  scopes: readonly string[] = ['read', 'write'],
  base: string = issuer,
): Record<string, unknown> {
  return {
    issuer,
    jwks_uri: `${base}/jwks`,
    authorization_endpoint: `${base}/authorize`,
    token_endpoint: `${base}/token`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [algorithm],
    scopes_supported: [...new Set(['openid', ...scopes])],
  }
}
