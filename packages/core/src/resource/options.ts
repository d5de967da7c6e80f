/**
 * The gate's `protectedResource` option (RFC 9728, DESIGN §3 "Protected resource"), checked once at
 * construction: a mistake throws a `TypeError` naming the option.
 */

import { scopeTokenProblem } from '../policy/scopes.js'
import { checkUrl, isLoopbackHost } from '../url.js'

/**
 * Options of the gate's `protectedResource`: this API as an OAuth 2 protected resource (RFC 9728), the
 * shape the MCP authorization specification asks of every protected MCP server.
 *
 * With it, the adapters answer `GET /.well-known/oauth-protected-resource` (and the path-inserted URL
 * of a resource with a path) with the metadata document, every 401 challenge carries
 * `resource_metadata="…"`, and an `oidc()` issuer without `audience` accepts tokens whose `aud` contains
 * `resource` (RFC 8707). Every URL comes from here, never from `Host` or `X-Forwarded-*`.
 *
 * @example
 * ```ts
 * createGate({
 *   issuers: [oidc({ issuer: 'https://auth.example.com', jwksUri: 'https://auth.example.com/jwks' })],
 *   protectedResource: {
 *     resource: 'https://api.example.com/mcp',
 *     authorizationServers: ['https://auth.example.com'],
 *     scopesSupported: ['files:read', 'files:write'],
 *     resourceName: 'Example files',
 *   },
 * })
 * ```
 */
export interface ProtectedResourceOptions {
  /**
   * This resource's identifier: the URL clients call (RFC 9728 §1.2, RFC 8707), `https:` (`http:` only on
   * loopback hosts), without query or fragment. Published exactly as written, and the default audience
   * of `oidc()` issuers, compared exactly: `https://api.example.com` and `https://api.example.com/` are
   * two different audiences. Required.
   */
  readonly resource: string
  /** Issuer identifiers of the authorization servers that issue tokens for this resource. Required, non-empty. */
  readonly authorizationServers: readonly string[]
  /** Scopes this resource understands (RFC 6749 §3.3 scope tokens), published as `scopes_supported`. Default: none. */
  readonly scopesSupported?: readonly string[]
  /** A human-readable name, published as `resource_name`. Default: none. */
  readonly resourceName?: string
  /** A page of documentation for developers (`resource_documentation`). Default: none. */
  readonly resourceDocumentation?: string
  /** A page on how clients may use the data (`resource_policy_uri`). Default: none. */
  readonly resourcePolicyUri?: string
  /** The terms of service (`resource_tos_uri`). Default: none. */
  readonly resourceTosUri?: string
}

/** {@link ProtectedResourceOptions}, validated. */
export interface ProtectedResourceSettings {
  readonly resource: string
  readonly authorizationServers: readonly string[]
  readonly scopesSupported: readonly string[] | undefined
  readonly resourceName: string | undefined
  readonly resourceDocumentation: string | undefined
  readonly resourcePolicyUri: string | undefined
  readonly resourceTosUri: string | undefined
}

const OPTIONS = [
  'resource',
  'authorizationServers',
  'scopesSupported',
  'resourceName',
  'resourceDocumentation',
  'resourcePolicyUri',
  'resourceTosUri',
]

const OPTION = 'protectedResource'

/**
 * Validates the gate's `protectedResource` option.
 *
 * @example
 * ```ts
 * resolveProtectedResourceOptions({ resource: 'https://api.example.com/mcp', authorizationServers: ['https://auth.example.com'] })
 * resolveProtectedResourceOptions({ resource: 'http://api.example.com', authorizationServers: [] })
 * // throws TypeError: protectedResource.resource must use https: …
 * ```
 */
export function resolveProtectedResourceOptions(
  options: ProtectedResourceOptions,
): ProtectedResourceSettings {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${OPTION} must be an options object with resource and authorizationServers`)
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) throw new TypeError(`${OPTION}: unknown option "${key}"`)
  }
  const resource = checkUrl(`${OPTION}.resource`, options.resource)
  const servers = options.authorizationServers
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new TypeError(`${OPTION}.authorizationServers must be a non-empty array of issuer URLs`)
  }
  const authorizationServers = servers.map((server, i) =>
    checkUrl(`${OPTION}.authorizationServers[${i}]`, server),
  )
  if (new Set(authorizationServers).size !== authorizationServers.length) {
    throw new TypeError(`${OPTION}.authorizationServers lists an issuer twice`)
  }
  return Object.freeze({
    resource,
    authorizationServers: Object.freeze(authorizationServers),
    scopesSupported: scopes(options.scopesSupported),
    resourceName: text(`${OPTION}.resourceName`, options.resourceName),
    resourceDocumentation: page(`${OPTION}.resourceDocumentation`, options.resourceDocumentation),
    resourcePolicyUri: page(`${OPTION}.resourcePolicyUri`, options.resourcePolicyUri),
    resourceTosUri: page(`${OPTION}.resourceTosUri`, options.resourceTosUri),
  })
}

function scopes(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined
  const option = `${OPTION}.scopesSupported`
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(`${option} must be a non-empty array of scope tokens`)
  }
  for (const [i, token] of value.entries()) {
    const problem = typeof token === 'string' ? scopeTokenProblem(token) : 'is not a string'
    if (problem !== undefined) throw new TypeError(`${option}[${i}] ${problem}`)
  }
  return Object.freeze([...new Set(value as string[])])
}

function text(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.trim() === '')
    throw new TypeError(`${option} must be a non-empty string`)
  return value
}

/** A web page for people: `https:` (or `http:` on loopback), no credentials; a query or fragment is fine. */
function page(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  let url: URL | undefined
  try {
    url = typeof value === 'string' ? new URL(value) : undefined
  } catch {
    url = undefined
  }
  if (
    url === undefined ||
    !(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new TypeError(
      `${option} must be an https: URL (http: only for loopback hosts), without credentials`,
    )
  }
  return value as string
}
