/**
 * Small helpers to answer with JSON.
 */
import type { ServerResponse } from 'node:http'

/**
 * Sends `body` as `application/json` with an exact `Content-Length`.
 *
 * @example
 * ```ts
 * sendJson(res, 404, { error: 'not_found' })
 * ```
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  })
  res.end(text)
}
