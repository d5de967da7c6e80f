/**
 * Fetch requests (Hono on any runtime, route handlers, `Bun.serve`, `Deno.serve`, Workers) → the neutral
 * request (DESIGN §2.1).
 */

import type { GateError } from '../errors.js'
import { type EdgeSource, edgeSettings } from './node.js'
import { requestOrigin } from './origin.js'
import type { GateRequest } from './request.js'

/** The part of a Fetch `Request` the request edge reads. */
export interface FetchRequestLike {
  readonly method: string
  readonly url: string
  readonly headers: Headers
}

/**
 * Turns a Fetch `Request` into the gate's neutral request. Its URL is already absolute; its origin is
 * replaced by `publicOrigin` when set, or by the `Forwarded` / `X-Forwarded-*` headers with `trustProxy`.
 * Pass the gate to use its `publicOrigin` / `trustProxy`.
 * Never throws: malformed trusted proxy headers become the request's `refusal` (400 from the gate).
 *
 * @example
 * ```ts
 * import { createGate, fromFetch, toResponse, vercel } from '@oidc-gate/core'
 *
 * const gate = createGate({ issuers: [vercel({ team: 'acme' })] })
 * export default {
 *   async fetch(request: Request) {
 *     try {
 *       const auth = await gate.authenticate(fromFetch(request, gate))
 *       return Response.json({ project: auth.vercel.projectId })
 *     } catch (error) {
 *       const { status, headers, body } = toResponse(error)
 *       return new Response(body, { status, headers })
 *     }
 *   },
 * }
 * ```
 */
export function fromFetch(request: FetchRequestLike, source?: EdgeSource): GateRequest {
  const settings = edgeSettings(source)
  const { url, method, headers } = request
  if (settings.publicOrigin === undefined && !settings.trustProxy) return { method, url, headers }
  const start = url.indexOf('://')
  const slash = url.indexOf('/', start + 3)
  const scheme = url.slice(0, start).toLowerCase()
  const authority = slash === -1 ? url.slice(start + 3) : url.slice(start + 3, slash)
  const target = slash === -1 ? '/' : url.slice(slash)
  try {
    const origin = requestOrigin({ method, url, headers }, scheme, authority, settings)
    return { method, url: origin + target, headers }
  } catch (error) {
    return { method, url: target, headers, refusal: error as GateError }
  }
}
