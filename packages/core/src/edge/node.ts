/**
 * Node requests (`http.IncomingMessage`: Express, Koa, Fastify's `request.raw`, @hono/node-server's
 * `c.env.incoming`) → the neutral request with an absolute URL (DESIGN §2.1).
 */

import type { GateError } from '../errors.js'
import { DIRECT, type EdgeOptions, type EdgeSettings, requestOrigin, resolveEdgeOptions } from './origin.js'
import type { GateRequest, HeaderValue } from './request.js'

/** The part of Node's `IncomingMessage` the request edge reads. */
export interface NodeRequestLike {
  readonly method?: string | undefined
  readonly url?: string | undefined
  readonly headers: Readonly<Record<string, HeaderValue>>
  readonly rawHeaders?: readonly string[] | undefined
  readonly socket?:
    | { readonly encrypted?: boolean; readonly localAddress?: string; readonly localPort?: number }
    | null
    | undefined
}

/** Where the edge settings come from: the options themselves, or a gate (its `edge`). */
export type EdgeSource = EdgeOptions | { readonly edge: EdgeSettings }

/**
 * Turns a Node request into the gate's neutral request, with an absolute URL: the origin comes from
 * `publicOrigin` when set, else from the connection (TLS or not) and `Host`, and from `Forwarded` /
 * `X-Forwarded-*` only with `trustProxy`. Pass the gate to use its `publicOrigin` / `trustProxy`.
 *
 * @param url The request target when the framework rewrote `req.url` (Express's `req.originalUrl`, Koa's
 * `ctx.originalUrl`). Default `req.url`.
 * Never throws: a malformed or repeated `Host` becomes the request's `refusal`, which the gate answers
 * with a 400 `invalid_request`. The result's `headers` is read from `req` when asked for (Node builds
 * `req.headers` on first access, and the gate reads `rawHeaders`): a spread copy of it has no `headers`.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createGate, fromNode, toResponse, vercel } from '@oidc-gate/core'
 *
 * const gate = createGate({ issuers: [vercel({ team: 'acme' })] })
 * createServer(async (req, res) => {
 *   try {
 *     const auth = await gate.authenticate(fromNode(req, gate))
 *     res.end(auth.vercel.projectId)
 *   } catch (error) {
 *     const { status, headers, body } = toResponse(error)
 *     res.writeHead(status, headers).end(body)
 *   }
 * })
 * ```
 */
export function fromNode(req: NodeRequestLike, source?: EdgeSource, url?: string): GateRequest {
  const settings = edgeSettings(source)
  const target = targetOf(url ?? req.url ?? '/')
  const scheme = req.socket?.encrypted === true ? 'https' : 'http'
  const method = req.method ?? 'GET'
  try {
    const origin = requestOrigin(req as GateRequest, scheme, () => fallbackHost(req.socket), settings)
    return new NodeRequest(req, method, origin + target, undefined)
  } catch (error) {
    return new NodeRequest(req, method, target, error as GateError)
  }
}

/**
 * The neutral request of a Node request. `headers` is read from the Node request when asked for: Node
 * builds `req.headers` on first access, and the gate reads `rawHeaders` (every field line, in order), so
 * a route that reads no header itself never pays for that object.
 */
class NodeRequest implements GateRequest {
  readonly rawHeaders: readonly string[] | undefined
  readonly #req: NodeRequestLike

  constructor(
    req: NodeRequestLike,
    readonly method: string,
    readonly url: string,
    readonly refusal: GateError | undefined,
  ) {
    this.#req = req
    this.rawHeaders = req.rawHeaders
  }

  get headers(): Readonly<Record<string, HeaderValue>> {
    return this.#req.headers
  }
}

const resolved = new WeakMap<object, EdgeSettings>()

/** The edge settings of `source`: a gate's, or options validated once per object. */
export function edgeSettings(source: EdgeSource | undefined): EdgeSettings {
  if (source === undefined) return DIRECT
  if ('edge' in source) return source.edge
  let settings = resolved.get(source)
  if (settings === undefined) {
    settings = resolveEdgeOptions(source, 'fromNode()/fromFetch()')
    resolved.set(source, settings)
  }
  return settings
}

/** The path and query of a request target; an absolute-form target never chooses the origin. */
function targetOf(url: string): string {
  if (url.charCodeAt(0) === 0x2f /* / */) return url
  const scheme = url.indexOf('://')
  if (scheme !== -1) {
    const slash = url.indexOf('/', scheme + 3)
    const query = url.indexOf('?', scheme + 3)
    if (slash !== -1 && (query === -1 || slash < query)) return url.slice(slash)
    return query === -1 ? '/' : `/${url.slice(query)}`
  }
  return '/'
}

function fallbackHost(socket: NodeRequestLike['socket']): string {
  const address = socket?.localAddress
  if (address === undefined) return 'localhost'
  const host = address.includes(':') ? `[${address}]` : address
  return socket?.localPort === undefined ? host : `${host}:${socket.localPort}`
}
