/**
 * The `htu` comparison of RFC 9449 §4.3 item 9: the proof's URI and the request's target URI, both without
 * query and fragment, after syntax-based (RFC 3986 §6.2.2: case of scheme and host, percent-encoding, dot
 * segments) and scheme-based (§6.2.3: default port, empty path) normalisation.
 */

/** `scheme://authority path [?query] [#fragment]` of an absolute http(s) URI. */
const ABSOLUTE_URI = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?[^#]*)?(?:#.*)?$/
/** The characters a URI may contain (RFC 3986 §2). */
const URI_CHARACTERS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/
/** `host [ ":" port ]`: an IP literal or a registered name (no percent-encoding), then digits. */
const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=]+)(?::(\d*))?$/
const PERCENT_TRIPLET = /%([0-9A-Fa-f]{2})/g
const UNRESERVED = /^[A-Za-z0-9\-._~]$/

const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' }

/**
 * Normalises an absolute `http:`/`https:` URI for the `htu` comparison and drops its query and fragment.
 * Returns `undefined` for anything else: another scheme, userinfo, characters outside RFC 3986, a bad
 * percent-encoding or port.
 *
 * @example
 * ```ts
 * normalizeHtu('HTTPS://API.Example.com:443/a/./b/../%7euser?x=1') // 'https://api.example.com/a/~user'
 * ```
 */
export function normalizeHtu(uri: string): string | undefined {
  if (!URI_CHARACTERS.test(uri)) return undefined
  const match = ABSOLUTE_URI.exec(uri)
  if (match === null) return undefined
  const scheme = (match[1] as string).toLowerCase()
  const defaultPort = DEFAULT_PORTS[scheme]
  if (defaultPort === undefined) return undefined
  // Userinfo (`user@host`) is deprecated in http(s) URIs (RFC 9110 §4.2.4) and never part of a match.
  const authority = AUTHORITY.exec(match[2] as string)
  if (authority === null) return undefined
  const host = (authority[1] as string).toLowerCase()
  const port = normalizePort(authority[2], defaultPort)
  if (port === undefined) return undefined
  const path = normalizePath(match[3] as string)
  if (path === undefined) return undefined
  return `${scheme}://${host}${port}${path}`
}

/** `""` for no port, an empty port or the scheme's default; `:<port>` otherwise. */
function normalizePort(port: string | undefined, defaultPort: string): string | undefined {
  if (port === undefined || port === '') return ''
  const number = Number(port)
  if (number > 65535) return undefined
  const canonical = String(number)
  return canonical === defaultPort ? '' : `:${canonical}`
}

/**
 * Percent-encoding with uppercase hex digits and unreserved characters decoded (RFC 3986 §6.2.2.1–2),
 * then dot segments removed (§6.2.2.3, algorithm of §5.2.4); an empty path is `/` (§6.2.3).
 */
function normalizePath(path: string): string | undefined {
  if (path === '') return '/'
  // Every `%` must start a triplet.
  if (path.replace(PERCENT_TRIPLET, '').includes('%')) return undefined
  const decoded = path.replace(PERCENT_TRIPLET, (triplet, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16))
    return UNRESERVED.test(char) ? char : triplet.toUpperCase()
  })
  return removeDotSegments(decoded)
}

/** RFC 3986 §5.2.4 for an absolute path (one that starts with `/`). */
function removeDotSegments(path: string): string {
  const segments = path.split('/')
  const out: string[] = []
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i] as string
    const last = i === segments.length - 1
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop()
      if (last) out.push('')
    } else {
      out.push(segment)
    }
  }
  return `/${out.join('/')}`
}
