/**
 * The `Sec-WebSocket-Protocol` convention that carries a token from clients that cannot set headers
 * (browsers), and the choice of the subprotocol a 101 echoes (DESIGN §9).
 *
 * A client offers one entry `oidc-gate.bearer.<JWT>` beside the application's own subprotocols. A JWS
 * compact serialization is base64url segments joined by `.`, every character of which is an HTTP `tchar`,
 * so the token is a valid subprotocol name as it is (RFC 6455 §4.1, RFC 9110 §5.6.2) and needs no further
 * encoding. The prefix makes the entry self-describing: its place in the list means nothing.
 */

import { type GateRequest, headerLines } from '../edge/request.js'
import { InvalidRequestError } from '../errors.js'

/**
 * The prefix of the subprotocol that carries a bearer token: `oidc-gate.bearer.<token>`.
 *
 * @example
 * ```ts
 * new WebSocket('wss://api.example.com/ws', [`${BEARER_PROTOCOL_PREFIX}${token}`, 'chat.v1'])
 * ```
 */
export const BEARER_PROTOCOL_PREFIX = 'oidc-gate.bearer.'

/** Every name starting with this (in any case) belongs to the convention, never to the application. */
const RESERVED = 'oidc-gate.bearer'

/** `1*tchar` (RFC 9110 §5.6.2): the grammar of one subprotocol name (RFC 6455 §4.1). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/**
 * The subprotocol entry that carries `token`, for clients that put the token in `Sec-WebSocket-Protocol`.
 * @throws TypeError when `token` is not made of subprotocol characters (a JWT always is).
 *
 * @example
 * ```ts
 * import WebSocket from 'ws'
 * const socket = new WebSocket('ws://127.0.0.1:3000/ws', [bearerProtocol(token), 'chat.v1'])
 * ```
 */
export function bearerProtocol(token: string): string {
  if (typeof token !== 'string' || !TOKEN.test(token)) {
    throw new TypeError('bearerProtocol(token): the token must be a JWT (base64url segments joined by ".")')
  }
  return BEARER_PROTOCOL_PREFIX + token
}

/** Whether `name` belongs to the convention (a token entry or a look-alike), never to the application. */
export function isReservedProtocol(name: string): boolean {
  return name.length >= RESERVED.length && name.slice(0, RESERVED.length).toLowerCase() === RESERVED
}

/** Whether `name` is a valid subprotocol name (an HTTP token). */
export function isProtocolName(name: unknown): name is string {
  return typeof name === 'string' && TOKEN.test(name)
}

/** Limits on the `Sec-WebSocket-Protocol` of one request. */
export interface ProtocolLimits {
  /** Longest accepted field value, all field lines together, characters. */
  readonly maxLength: number
  /** Most accepted entries. */
  readonly maxCount: number
}

/** The offered subprotocols of a request, the token entry apart. */
export interface OfferedProtocols {
  /** The token of the `oidc-gate.bearer.<token>` entry, when there is one. */
  readonly token: string | undefined
  /** The other entries, in the client's order. */
  readonly others: readonly string[]
}

const NONE: OfferedProtocols = Object.freeze({ token: undefined, others: Object.freeze([]) })

/**
 * Reads `Sec-WebSocket-Protocol` (every field line of it): a comma-separated list of unique subprotocol
 * names (RFC 6455 §4.1, §11.3.4), at most one of them carrying a token.
 * @throws InvalidRequestError (400) for a value over the limits, an empty or malformed entry, a repeated
 * entry, a reserved name that is not a token entry, or two token entries.
 */
export function readProtocols(request: GateRequest, limits: ProtocolLimits): OfferedProtocols {
  const lines = headerLines(request, 'sec-websocket-protocol')
  if (lines.length === 0) return NONE
  let length = lines.length - 1
  for (const line of lines) length += line.length
  if (length > limits.maxLength) throw protocolError('Sec-WebSocket-Protocol too long')
  const entries = lines.join(',').split(',')
  if (entries.length > limits.maxCount) throw protocolError('too many subprotocols offered')
  let token: string | undefined
  const others: string[] = []
  const seen = new Set<string>()
  for (const entry of entries) {
    const name = entry.replace(OWS, '')
    if (!TOKEN.test(name)) throw protocolError('malformed Sec-WebSocket-Protocol')
    if (seen.has(name)) throw protocolError('a subprotocol is offered twice')
    seen.add(name)
    if (!isReservedProtocol(name)) {
      others.push(name)
      continue
    }
    if (!name.startsWith(BEARER_PROTOCOL_PREFIX) || name.length === BEARER_PROTOCOL_PREFIX.length) {
      throw protocolError('malformed Sec-WebSocket-Protocol')
    }
    if (token !== undefined) throw protocolError('more than one token in Sec-WebSocket-Protocol')
    token = name.slice(BEARER_PROTOCOL_PREFIX.length)
  }
  return { token, others }
}

/** Optional whitespace around a list element (RFC 9110 §5.6.1). */
const OWS = /^[ \t]+|[ \t]+$/g

/**
 * The subprotocol to accept among `offered` (the client's, in its order): the first of `supported` that
 * the client offered, or, with no `supported` list, the client's first. Token entries and every reserved
 * name are skipped, so the 101 never echoes a token. `false` when none fits.
 */
export function chooseProtocol(
  offered: Iterable<string>,
  supported: ReadonlySet<string> | undefined,
): string | false {
  if (supported === undefined) {
    for (const name of offered) if (!isReservedProtocol(name)) return name
    return false
  }
  const names = new Set(offered)
  for (const name of supported) if (names.has(name)) return name
  return false
}

function protocolError(description: string): InvalidRequestError {
  return new InvalidRequestError('websocket-protocol', description)
}
