/**
 * The routes of the OIDC profile's issuers: one issuer at `<url><issuerPath>`, and with `tenants` one
 * more per `<url>/<tenant>`, each with its metadata at both well-known URLs (OpenID Connect Discovery
 * appended, RFC 8414 inserted before the issuer's path), its JWKS, token and authorization endpoints.
 */

/** An endpoint of one OIDC issuer. */
export type OidcEndpoint =
  | 'openid-configuration'
  | 'oauth-authorization-server'
  | 'jwks'
  | 'token'
  | 'authorize'

/** Which issuers the server answers for. */
export interface OidcLayout {
  /** The main issuer's path, e.g. `''`, `'/'` or `'/realms/acme'`. */
  readonly issuerPath: string
  /** Whether every `/<tenant>` (`[a-z0-9-]+`) is an issuer too. */
  readonly tenants: boolean
}

const OAUTH_WELL_KNOWN = '/.well-known/oauth-authorization-server'
const SUFFIXES: readonly (readonly [string, OidcEndpoint])[] = [
  ['/.well-known/openid-configuration', 'openid-configuration'],
  ['/jwks', 'jwks'],
  ['/token', 'token'],
  ['/authorize', 'authorize'],
]
const TENANT_PATH = /^\/[a-z0-9-]+$/

/**
 * The endpoint a request path is for, and the path of its issuer as it appears in `iss`; `undefined`
 * for any other path.
 *
 * @example
 * ```ts
 * oidcEndpoint('/.well-known/oauth-authorization-server/t1', { issuerPath: '', tenants: true })
 * // { endpoint: 'oauth-authorization-server', issuerPath: '/t1' }
 * ```
 */
export function oidcEndpoint(
  path: string,
  layout: OidcLayout,
): { readonly endpoint: OidcEndpoint; readonly issuerPath: string } | undefined {
  const main = layout.issuerPath.replace(/\/$/, '')
  const issuerPathOf = (prefix: string): string | undefined => {
    if (prefix === main) return layout.issuerPath
    return layout.tenants && TENANT_PATH.test(prefix) ? prefix : undefined
  }
  if (path.startsWith(OAUTH_WELL_KNOWN)) {
    const issuerPath = issuerPathOf(path.slice(OAUTH_WELL_KNOWN.length))
    return issuerPath === undefined ? undefined : { endpoint: 'oauth-authorization-server', issuerPath }
  }
  for (const [suffix, endpoint] of SUFFIXES) {
    if (!path.endsWith(suffix)) continue
    const issuerPath = issuerPathOf(path.slice(0, -suffix.length))
    return issuerPath === undefined ? undefined : { endpoint, issuerPath }
  }
  return undefined
}
