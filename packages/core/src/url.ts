/**
 * Validation of configured issuer and JWKS URLs (SECURITY K5, K9): `https:` only, or `http:` for loopback
 * hosts (a local issuer in development and tests), never userinfo, a query or a fragment.
 */

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

/** Whether `host` (as in `URL.hostname`) is a loopback name or address. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
}

/**
 * Parses and checks a configured URL. Throws a `TypeError` naming `option` when it is not an absolute
 * `https:` URL (or `http:` on a loopback host) without credentials, query or fragment.
 * Returns the URL as written, without a trailing slash.
 */
export function checkUrl(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`${option} must be a URL string`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new TypeError(`${option} is not a valid URL`)
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new TypeError(
      `${option} must use https: (http: is accepted only for loopback hosts such as 127.0.0.1)`,
    )
  }
  if (url.username !== '' || url.password !== '')
    throw new TypeError(`${option} must not contain credentials`)
  if (url.search !== '' || value.includes('?')) throw new TypeError(`${option} must not contain a query`)
  if (url.hash !== '' || value.includes('#')) throw new TypeError(`${option} must not contain a fragment`)
  return value
}
