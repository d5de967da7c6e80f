/**
 * Refusals → HTTP answers, the same in every framework (DESIGN §2.1, §5): status, `WWW-Authenticate`
 * (and `Retry-After` / `DPoP-Nonce`), and a small JSON body with RFC 6750 names. No stack, no HTML.
 */

import { GateError, InvalidTokenError } from '../errors.js'

/** An HTTP answer to write as is. */
export interface GateResponse {
  /** The status code. */
  readonly status: number
  /** Response headers, lowercase names. */
  readonly headers: Readonly<Record<string, string>>
  /** The JSON body: `{ "error": "…", "error_description": "…" }`. */
  readonly body: string
}

/** `error` of the body when the challenge carries no error code (RFC 6750 §3.1 asks for none there). */
const BODY_ERROR: Readonly<Record<number, string>> = {
  401: 'unauthorized',
  503: 'temporarily_unavailable',
}

/**
 * The HTTP answer to a refusal: the `GateError`'s status and headers, `Content-Type: application/json`,
 * `Cache-Control: no-store`, and `{ "error", "error_description" }` (the RFC 6750 code, or `unauthorized`
 * for a bare 401 and `temporarily_unavailable` for a 503). Anything that is not a `GateError` is answered
 * as a 401 `invalid_token` without detail, so a bug never leaks a stack.
 *
 * @example
 * ```ts
 * try {
 *   auth = await gate.authenticate(fromNode(req, gate))
 * } catch (error) {
 *   const { status, headers, body } = toResponse(error)
 *   res.writeHead(status, headers).end(body)
 * }
 * ```
 */
export function toResponse(error: unknown): GateResponse {
  const refusal =
    error instanceof GateError
      ? error
      : new InvalidTokenError('verification-failed', 'token could not be verified', { cause: error })
  const code = refusal.error ?? BODY_ERROR[refusal.status] ?? 'invalid_request'
  return {
    status: refusal.status,
    headers: { ...refusal.headers, 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify({ error: code, error_description: refusal.message }),
  }
}

/** The part of Node's `ServerResponse` {@link sendNode} writes to. */
export interface NodeResponseLike {
  readonly headersSent: boolean
  statusCode: number
  setHeader(name: string, value: string): unknown
  end(body: string): unknown
}

/**
 * Writes a {@link GateResponse} to a Node response, unless an answer was already sent (a timeout
 * middleware answered first, or the client left): then nothing is written and nothing throws.
 *
 * @example
 * ```ts
 * sendNode(res, toResponse(error))
 * ```
 */
export function sendNode(res: NodeResponseLike, response: GateResponse): void {
  if (res.headersSent) return
  res.statusCode = response.status
  for (const name in response.headers) res.setHeader(name, response.headers[name] as string)
  res.end(response.body)
}
