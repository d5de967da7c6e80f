/**
 * The headers of an authenticated response: `Cache-Control: no-store` (RFC 6750 §5.3) and, when the
 * DPoP proof's nonce came from an earlier window, the next nonce (RFC 9449 §8.2).
 */

import type { Auth } from '../auth.js'

/** `Cache-Control: no-store`, the headers of most authenticated responses. */
export const NO_STORE: Readonly<Record<string, string>> = Object.freeze({ 'cache-control': 'no-store' })

/**
 * The headers to add to the response of an authenticated request.
 *
 * @example
 * ```ts
 * for (const [name, value] of Object.entries(authenticatedHeaders(auth))) res.setHeader(name, value)
 * ```
 */
export function authenticatedHeaders(auth: Auth): Readonly<Record<string, string>> {
  const nonce = auth.dpop?.nextNonce
  // Uncacheable already (no-store), as a response carrying a nonce must be (RFC 9449 §8.2). Exposed to
  // browser clients, once the application allows their origin (RFC 9449 §8).
  return nonce === undefined
    ? NO_STORE
    : { ...NO_STORE, 'dpop-nonce': nonce, 'access-control-expose-headers': 'DPoP-Nonce' }
}

/**
 * Sets {@link authenticatedHeaders}(auth) on `target` (Node's `ServerResponse`, or anything with a
 * `setHeader`), without going through an object of headers in the common case.
 *
 * @example
 * ```ts
 * writeAuthenticatedHeaders(auth, res)
 * ```
 */
export function writeAuthenticatedHeaders(
  auth: Auth,
  target: { setHeader(name: string, value: string): unknown },
): void {
  const headers = authenticatedHeaders(auth)
  if (headers === NO_STORE) {
    target.setHeader('cache-control', 'no-store')
    return
  }
  for (const name in headers) target.setHeader(name, headers[name] as string)
}
