/**
 * The RFC 9728 protected-resource metadata document and where it is published (§3, §3.1), built once
 * from configuration.
 */

import type { ProtectedResourceSettings } from './options.js'

/**
 * The well-known path of protected-resource metadata (RFC 9728 §3).
 *
 * @example
 * ```ts
 * app.get(`${PROTECTED_RESOURCE_WELL_KNOWN}/mcp`, (req, res) => res.json(gate.protectedResource?.metadata))
 * ```
 */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource'

/**
 * The protected-resource metadata document (RFC 9728 §2), as served and as clients read it.
 *
 * @example
 * ```ts
 * const metadata: ProtectedResourceMetadata = {
 *   resource: 'https://api.example.com/mcp',
 *   authorization_servers: ['https://auth.example.com'],
 *   bearer_methods_supported: ['header'],
 * }
 * ```
 */
export interface ProtectedResourceMetadata {
  /** The resource identifier, exactly as configured. */
  readonly resource: string
  /** Issuer identifiers of the authorization servers. */
  readonly authorization_servers: readonly string[]
  /** Scopes the resource understands. */
  readonly scopes_supported?: readonly string[]
  /** How tokens may be sent: only the `Authorization` header (SECURITY H1). */
  readonly bearer_methods_supported: readonly ['header']
  readonly resource_name?: string
  readonly resource_documentation?: string
  readonly resource_policy_uri?: string
  readonly resource_tos_uri?: string
  /** The DPoP proof algorithms accepted (RFC 9449 §5.1), when the gate accepts DPoP. */
  readonly dpop_signing_alg_values_supported?: readonly string[]
  /** Whether every token must be DPoP-bound (RFC 9449 §5.1, `dpop: { mode: 'required' }`). */
  readonly dpop_bound_access_tokens_required?: boolean
}

/** What the gate's DPoP settings add to the document; the same fields as its challenges (`algs`). */
export interface ResourceDpop {
  /** The proof algorithms, when DPoP is accepted. */
  readonly dpopAlgorithms?: readonly string[] | undefined
  /** Only DPoP-bound tokens are accepted. */
  readonly dpopOnly?: boolean | undefined
}

/**
 * The URL of the metadata of `resource` (RFC 9728 §3.1): the well-known path inserted between the
 * origin and the resource's path, a path of `/` alone counting as none.
 *
 * @example
 * ```ts
 * protectedResourceMetadataUrl('https://api.example.com/mcp')
 * // 'https://api.example.com/.well-known/oauth-protected-resource/mcp'
 * protectedResourceMetadataUrl('https://api.example.com')
 * // 'https://api.example.com/.well-known/oauth-protected-resource'
 * ```
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource)
  return `${url.origin}${metadataPath(url.pathname)}`
}

/** The path where the metadata of a resource with path `pathname` is published. */
export function metadataPath(pathname: string): string {
  return pathname === '/' ? PROTECTED_RESOURCE_WELL_KNOWN : `${PROTECTED_RESOURCE_WELL_KNOWN}${pathname}`
}

/**
 * The metadata document of a validated `protectedResource` option; fields left unset are omitted.
 * `bearer_methods_supported` is `["header"]`: the gate reads tokens from `Authorization` only.
 *
 * @example
 * ```ts
 * buildProtectedResourceMetadata(settings, { dpopAlgorithms: ['ES256'] })
 * // { resource, authorization_servers, bearer_methods_supported: ['header'], dpop_signing_alg_values_supported: ['ES256'], … }
 * ```
 */
export function buildProtectedResourceMetadata(
  settings: ProtectedResourceSettings,
  dpop: ResourceDpop = {},
): ProtectedResourceMetadata {
  const optional = {
    scopes_supported: settings.scopesSupported,
    bearer_methods_supported: ['header'],
    resource_name: settings.resourceName,
    resource_documentation: settings.resourceDocumentation,
    resource_policy_uri: settings.resourcePolicyUri,
    resource_tos_uri: settings.resourceTosUri,
    // A gate that accepts DPoP says so here as in its challenges.
    dpop_signing_alg_values_supported: dpop.dpopAlgorithms,
    dpop_bound_access_tokens_required: dpop.dpopAlgorithms === undefined ? undefined : dpop.dpopOnly === true,
  }
  const document: Record<string, unknown> = {
    resource: settings.resource,
    authorization_servers: settings.authorizationServers,
  }
  for (const [name, value] of Object.entries(optional)) if (value !== undefined) document[name] = value
  return deepFreeze(document) as unknown as ProtectedResourceMetadata
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item)
    Object.freeze(value)
  }
  return value
}
