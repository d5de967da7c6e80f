/**
 * Where an issuer's metadata is (SECURITY K3): OpenID Connect Discovery appends its well-known path to
 * the issuer; RFC 8414 inserts its own between the host and the issuer's path. Both are built from the
 * configured issuer by string operations, never from anything a token says.
 */

/** The two metadata documents, in the order they are tried. */
export type MetadataKind = 'openid-configuration' | 'oauth-authorization-server'

/** One place where an issuer's metadata may be. */
export interface MetadataLocation {
  readonly kind: MetadataKind
  readonly url: string
}

const ORIGIN_AND_PATH = /^([a-z][a-z0-9+.-]*:\/\/[^/]+)(\/.*)?$/i

/**
 * The metadata URLs of `issuer` (a checked issuer URL without query or fragment): OpenID Connect
 * Discovery first (`<issuer without a terminating />/.well-known/openid-configuration`, OIDC Discovery
 * §4.1), then RFC 8414 §3.1 (`<origin>/.well-known/oauth-authorization-server<path without a terminating
 * />`).
 *
 * @example
 * ```ts
 * metadataUrls('https://host/tenant1')
 * // [{ kind: 'openid-configuration', url: 'https://host/tenant1/.well-known/openid-configuration' },
 * //  { kind: 'oauth-authorization-server', url: 'https://host/.well-known/oauth-authorization-server/tenant1' }]
 * ```
 */
export function metadataUrls(issuer: string): readonly MetadataLocation[] {
  const match = ORIGIN_AND_PATH.exec(issuer)
  if (match === null) throw new TypeError(`${issuer} is not an absolute URL`)
  const origin = match[1] as string
  const path = (match[2] ?? '').replace(/\/$/, '')
  return [
    { kind: 'openid-configuration', url: `${origin}${path}/.well-known/openid-configuration` },
    { kind: 'oauth-authorization-server', url: `${origin}/.well-known/oauth-authorization-server${path}` },
  ]
}
