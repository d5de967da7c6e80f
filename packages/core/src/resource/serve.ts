/**
 * Serving the protected-resource metadata (RFC 9728 §3): which requests ask for it, and the answer,
 * written once at construction. No authentication: clients read it to learn how to get a token.
 */

import type { GateResponse } from '../edge/response.js'
import {
  buildProtectedResourceMetadata,
  metadataPath,
  PROTECTED_RESOURCE_WELL_KNOWN,
  type ProtectedResourceMetadata,
  type ResourceDpop,
} from './metadata.js'
import type { ProtectedResourceSettings } from './options.js'

/**
 * A gate's protected resource (its `protectedResource` option): the identifier, the metadata document
 * and its URL, and the answer to a request for the metadata.
 *
 * @example
 * ```ts
 * gate.protectedResource?.metadataUrl // 'https://api.example.com/.well-known/oauth-protected-resource/mcp'
 * const answer = gate.protectedResource?.respond(req.method, req.url)
 * if (answer !== undefined) return new Response(answer.body, answer)
 * ```
 */
export interface ProtectedResource {
  /** The resource identifier, exactly as configured. */
  readonly resource: string
  /** Where the metadata is published (RFC 9728 §3.1), the `resource_metadata` of every challenge. */
  readonly metadataUrl: string
  /** The metadata document, frozen. */
  readonly metadata: ProtectedResourceMetadata
  /**
   * The request paths answered with the metadata: `/.well-known/oauth-protected-resource`, and for a
   * resource with a path the path-inserted one (`/.well-known/oauth-protected-resource/mcp`).
   */
  readonly paths: readonly string[]
  /**
   * The answer to a request for the metadata, or `undefined` for any other request. `GET`: 200 with the
   * JSON document, `Cache-Control: public, max-age=3600` and `Access-Control-Allow-Origin: *` (browser
   * clients read it cross-origin); `HEAD`: the same without a body; `OPTIONS`: the CORS preflight answer.
   * Other methods are not answered here.
   *
   * @param target The request target (`/path?query`) or an absolute URL; only its path is compared.
   */
  respond(method: string, target: string): GateResponse | undefined
}

/** How long clients and caches may keep the document, seconds. */
const MAX_AGE = 3600

/**
 * Builds the protected resource of a gate from its validated option and its DPoP settings.
 *
 * @example
 * ```ts
 * const resource = createProtectedResource(resolveProtectedResourceOptions(options), challenge)
 * resource.respond('GET', '/.well-known/oauth-protected-resource/mcp')?.status // 200
 * ```
 */
export function createProtectedResource(
  settings: ProtectedResourceSettings,
  dpop?: ResourceDpop,
): ProtectedResource {
  const metadata = buildProtectedResourceMetadata(settings, dpop)
  const url = new URL(settings.resource)
  const paths = [...new Set([PROTECTED_RESOURCE_WELL_KNOWN, metadataPath(url.pathname)])]
  const body = JSON.stringify(metadata)
  const cors = { 'access-control-allow-origin': '*' }
  const get: GateResponse = Object.freeze({
    status: 200,
    headers: Object.freeze({
      'content-type': 'application/json',
      'cache-control': `public, max-age=${MAX_AGE}`,
      ...cors,
    }),
    body,
  })
  const head: GateResponse = Object.freeze({ ...get, body: '' })
  // The MCP SDK sends `MCP-Protocol-Version` with its discovery requests: a browser asks first.
  const preflight: GateResponse = Object.freeze({
    status: 200,
    headers: Object.freeze({
      ...cors,
      'access-control-allow-methods': 'GET, HEAD, OPTIONS',
      'access-control-allow-headers': '*',
      'access-control-max-age': String(MAX_AGE),
    }),
    body: '',
  })
  return Object.freeze({
    resource: settings.resource,
    metadataUrl: `${url.origin}${metadataPath(url.pathname)}`,
    metadata,
    paths: Object.freeze(paths),
    respond(method: string, target: string): GateResponse | undefined {
      // The common case, any other request, costs one substring search.
      if (!target.includes(PROTECTED_RESOURCE_WELL_KNOWN)) return undefined
      if (!paths.includes(pathOf(target))) return undefined
      switch (method.toUpperCase()) {
        case 'GET':
          return get
        case 'HEAD':
          return head
        case 'OPTIONS':
          return preflight
        default:
          return undefined
      }
    },
  })
}

/** The path of a request target (`/a/b?q`) or of an absolute URL, as sent (no decoding). */
function pathOf(target: string): string {
  let start = 0
  if (target.charCodeAt(0) !== 0x2f /* / */) {
    const scheme = target.indexOf('://')
    if (scheme === -1) return ''
    start = target.indexOf('/', scheme + 3)
    if (start === -1) return '/'
  }
  const end = target.slice(start).search(/[?#]/)
  return end === -1 ? target.slice(start) : target.slice(start, start + end)
}
