/**
 * Where a request was addressed: the origin of its absolute URL (DESIGN §2.1, SECURITY H10).
 *
 * The origin comes from configuration (`publicOrigin`) when set; otherwise from the connection (TLS or
 * not) and `Host`. `Forwarded` / `X-Forwarded-Proto` / `X-Forwarded-Host` are read only when the app
 * declares a trusted proxy: without it, a client that sends them changes nothing.
 */

import { InvalidRequestError } from '../errors.js'
import { type GateRequest, headerLines } from './request.js'

/** Where the gate's requests come from: options of `createGate`, `fromNode` and `fromFetch`. */
export interface EdgeOptions {
  /**
   * The origin clients address this service with, e.g. `https://api.example.com`: scheme, host and
   * optional port, nothing else. When set, it is the origin of every request URL, whatever `Host` or
   * proxy headers say. Default: none (taken from the connection and `Host`).
   */
  readonly publicOrigin?: string | undefined
  /**
   * `true` when every request reaches the app through a proxy you control that sets `Forwarded` or
   * `X-Forwarded-Proto` / `X-Forwarded-Host` (the first value of each is used). Never set it for an app
   * that clients can reach directly: they could then choose the origin. Default `false`.
   */
  readonly trustProxy?: boolean | undefined
}

/** {@link EdgeOptions}, validated. */
export interface EdgeSettings {
  readonly publicOrigin: string | undefined
  readonly trustProxy: boolean
}

/** Validates request-edge options; a mistake throws a `TypeError` naming the option. */
export function resolveEdgeOptions(options: EdgeOptions | undefined, owner = 'createGate()'): EdgeSettings {
  const publicOrigin = options?.publicOrigin
  const trustProxy = options?.trustProxy ?? false
  if (typeof trustProxy !== 'boolean') throw new TypeError(`${owner}: trustProxy must be a boolean`)
  if (publicOrigin === undefined) return Object.freeze({ publicOrigin: undefined, trustProxy })
  let url: URL | undefined
  try {
    url = typeof publicOrigin === 'string' ? new URL(publicOrigin) : undefined
  } catch {
    url = undefined
  }
  if (
    url === undefined ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.username !== '' ||
    url.password !== '' ||
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    !/^https?:\/\/[^/?#]+\/?$/i.test(publicOrigin as string)
  ) {
    throw new TypeError(
      `${owner}: publicOrigin must be an origin such as "https://api.example.com" (scheme, host, optional port; no path)`,
    )
  }
  return Object.freeze({ publicOrigin: url.origin, trustProxy })
}

/** The default: origin from the connection and `Host`, no proxy trusted. */
export const DIRECT: EdgeSettings = Object.freeze({ publicOrigin: undefined, trustProxy: false })

/**
 * `host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2): a reg-name, an IPv4 address or a bracketed IPv6
 * address, and an optional port. No userinfo, no path.
 */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+)(?::([0-9]{1,5}))?$/

// The last host that passed: a server sees the same one or two `Host` values on nearly every request.
let lastValidHost: string | undefined

/** Checks one `Host` (or forwarded host) value. @throws InvalidRequestError */
export function checkHost(value: string): string {
  if (value === lastValidHost) return value
  const match = HOST.exec(value)
  if (match === null || (match[1] !== undefined && Number(match[1]) > 65535)) throw malformedHost()
  lastValidHost = value
  return value
}

/**
 * The origin of `request`, whose own URL was built from the connection: `scheme` (`http`/`https`) and
 * `host` (the `Host` header, or a fallback the caller chose when there is none: a string, or a function
 * asked only then).
 * @throws InvalidRequestError for a malformed or repeated `Host`, or malformed trusted proxy headers.
 */
export function requestOrigin(
  request: GateRequest,
  scheme: string,
  fallbackHost: string | (() => string),
  settings: EdgeSettings,
): string {
  if (settings.publicOrigin !== undefined) {
    // The Host header is still checked: a malformed request is answered 400 however it is routed.
    hostOf(request, fallbackHost)
    return settings.publicOrigin
  }
  const host = hostOf(request, fallbackHost)
  if (settings.trustProxy) {
    const forwarded = forwardedOrigin(request)
    if (forwarded !== undefined) {
      return `${forwarded.proto ?? scheme}://${forwarded.host === undefined ? host : checkHost(forwarded.host)}`
    }
  }
  return `${scheme}://${host}`
}

function hostOf(request: GateRequest, fallbackHost: string | (() => string)): string {
  const lines = headerLines(request, 'host')
  if (lines.length > 1) throw malformedHost()
  const host = lines[0]
  if (host !== undefined && host !== '') return checkHost(host)
  return typeof fallbackHost === 'string' ? fallbackHost : fallbackHost()
}

interface Forwarded {
  readonly proto: string | undefined
  readonly host: string | undefined
}

/** `Forwarded` (RFC 7239) first, else `X-Forwarded-Proto` / `X-Forwarded-Host`; first value of each. */
function forwardedOrigin(request: GateRequest): Forwarded | undefined {
  const forwarded = headerLines(request, 'forwarded')[0]
  if (forwarded !== undefined) {
    const first = forwarded.split(',')[0] as string
    let proto: string | undefined
    let host: string | undefined
    for (const pair of first.split(';')) {
      const eq = pair.indexOf('=')
      if (eq === -1) continue
      const name = pair.slice(0, eq).trim().toLowerCase()
      let value = pair.slice(eq + 1).trim()
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1)
      if (name === 'proto') proto = checkProto(value)
      else if (name === 'host') host = value
    }
    if (proto !== undefined || host !== undefined) return { proto, host }
  }
  const proto = firstValue(headerLines(request, 'x-forwarded-proto')[0])
  const host = firstValue(headerLines(request, 'x-forwarded-host')[0])
  if (proto === undefined && host === undefined) return undefined
  return { proto: proto === undefined ? undefined : checkProto(proto), host }
}

function firstValue(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const comma = value.indexOf(',')
  const first = (comma === -1 ? value : value.slice(0, comma)).trim()
  return first === '' ? undefined : first
}

function checkProto(value: string): string {
  const proto = value.toLowerCase()
  if (proto !== 'http' && proto !== 'https') {
    throw new InvalidRequestError('malformed-host', 'malformed forwarded protocol')
  }
  return proto
}

function malformedHost(): InvalidRequestError {
  return new InvalidRequestError('malformed-host', 'malformed Host header')
}
