/**
 * `websocketGate()`: a WebSocket upgrade authenticated by the gate before the 101 (DESIGN §9). The token
 * comes from `Authorization` (non-browser clients) or from `Sec-WebSocket-Protocol` (browsers); either
 * way the request goes through `gate.authenticate()` with every check an HTTP request gets.
 */

import type { Auth } from '../auth.js'
import { type FetchRequestLike, fromFetch } from '../edge/fetch.js'
import { fromNode, type NodeRequestLike } from '../edge/node.js'
import { type GateRequest, type HeaderValue, headerLines, withRequest } from '../edge/request.js'
import { InvalidRequestError } from '../errors.js'
import type { AuthenticateOptions, Gate } from '../gate/types.js'
import { type ClosableConnection, closeAt } from './expiry.js'
import {
  chooseProtocol,
  isProtocolName,
  isReservedProtocol,
  type ProtocolLimits,
  readProtocols,
} from './protocols.js'
import { refuseUpgrade, type UpgradeSocketLike } from './refuse.js'

/** Options of {@link websocketGate}. */
export interface WebSocketGateOptions {
  /**
   * The application's own subprotocols, most preferred first: the 101 echoes the first of them the client
   * offered. Default: none, and the 101 echoes the client's first offered subprotocol that is not the
   * token.
   */
  readonly protocols?: readonly string[] | undefined
  /**
   * Longest accepted `Sec-WebSocket-Protocol` value (all field lines together), characters. Longer is a
   * 400. Default 10240 (10 KiB: an 8 KiB token and the application's subprotocols). Between 256 and
   * 1048576.
   */
  readonly maxProtocolLength?: number | undefined
  /** Most subprotocols a client may offer, the token entry included. More is a 400. Default 16. 2 to 256. */
  readonly maxProtocols?: number | undefined
}

/** A gate for WebSocket upgrades, built by {@link websocketGate}. */
export interface WebSocketGate<C> {
  /** The gate that authenticates. */
  readonly gate: Gate<C>
  /**
   * Authenticates an upgrade request: a Node `IncomingMessage` (`fromNode()` is applied with the gate's
   * edge settings) or a Fetch `Request` (`fromFetch()`). The token is taken from `Authorization`, or from
   * an `oidc-gate.bearer.<token>` subprotocol.
   * @throws GateError: 400 `invalid_request` for a malformed `Sec-WebSocket-Protocol` (too long, too many
   * entries, a malformed or repeated entry, two tokens), a token both there and in a `Bearer` or `DPoP`
   * `Authorization` (another scheme, such as the `Basic` a browser adds for a proxy, is replaced), or a
   * token there with no application subprotocol to echo; otherwise whatever the gate answers (400, 401,
   * 403, 503).
   */
  authenticate(
    request: NodeRequestLike | FetchRequestLike,
    options?: AuthenticateOptions<C>,
  ): Promise<Auth<C>>
  /**
   * For Node's `upgrade` event: authenticates `req` and resolves to its `Auth`; a refusal is written on
   * `socket` as an HTTP answer (status, `WWW-Authenticate`, JSON body) and the connection closed, and
   * the promise resolves to `undefined`, as it does when the client left meanwhile. Never rejects. Socket
   * errors during authentication (a client that resets) are absorbed.
   */
  admit(
    req: NodeRequestLike,
    socket: UpgradeSocketLike & SocketEvents,
    options?: AuthenticateOptions<C>,
  ): Promise<Auth<C> | undefined>
  /**
   * The subprotocol the 101 should echo, among those the client offered (a `Set` as `ws`'s
   * `handleProtocols` passes it, an array, or the raw header value): never a token entry. `false` for
   * none. A bound function: pass it as it is.
   */
  protocol(offered: Iterable<string> | string | null | undefined): string | false
  /**
   * Closes `connection` with 1008 (policy violation), reason `token expired`, when the token of `auth`
   * expires (its `exp`, on the gate's clock); the timer is cleared when the connection closes first. A
   * token without `exp` sets no timer.
   * @returns A function that cancels the timer.
   */
  closeOnExpiry(connection: ClosableConnection, auth: Auth<C>): () => void
}

/** The socket events {@link WebSocketGate.admit} listens to, when the socket has them. */
export interface SocketEvents {
  on?(event: 'error', listener: (error: unknown) => void): unknown
  off?(event: 'error', listener: (error: unknown) => void): unknown
}

/**
 * Builds the WebSocket side of a gate: authentication of upgrade requests before the 101, the refusal
 * as a plain HTTP answer, the subprotocol to echo, and the close at expiry. Misconfiguration throws a
 * `TypeError` naming the option.
 *
 * Browsers cannot set `Authorization` on a WebSocket: they offer the token as one subprotocol,
 * `oidc-gate.bearer.<JWT>`, beside the application's own (`new WebSocket(url, ['oidc-gate.bearer.' +
 * token, 'chat.v1'])`). Browsers fail a handshake whose 101 echoes no subprotocol, so such a client must
 * offer one the application accepts; the 101 echoes it, never the token.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * import { createGate, vercel, websocketGate } from '@oidc-gate/core'
 * import { WebSocketServer } from 'ws'
 *
 * const gate = createGate({ issuers: [vercel({ team: 'acme' })] })
 * const upgrades = websocketGate(gate, { protocols: ['chat.v1'] })
 * const wss = new WebSocketServer({ noServer: true, handleProtocols: upgrades.protocol })
 * const server = createServer()
 * server.on('upgrade', async (req, socket, head) => {
 *   const auth = await upgrades.admit(req, socket)
 *   if (auth === undefined) return // refused with 400/401/403/503, or the client left
 *   wss.handleUpgrade(req, socket, head, (ws) => {
 *     upgrades.closeOnExpiry(ws, auth)
 *     ws.send(`hello ${auth.vercel?.project}`)
 *   })
 * })
 * ```
 */
export function websocketGate<C>(gate: Gate<C>, options: WebSocketGateOptions = {}): WebSocketGate<C> {
  if (gate === null || typeof gate !== 'object' || typeof gate.authenticate !== 'function') {
    throw new TypeError('websocketGate(gate): gate must be a gate from createGate()')
  }
  const { supported, limits } = resolveOptions(options)
  const clock = typeof gate.clock === 'function' ? gate.clock : Date.now

  const protocol = (offered: Iterable<string> | string | null | undefined): string | false => {
    if (offered === null || offered === undefined) return false
    const names = typeof offered === 'string' ? offered.split(',').map((name) => name.trim()) : offered
    return chooseProtocol(names, supported)
  }

  const authenticate = (
    request: NodeRequestLike | FetchRequestLike,
    opts?: AuthenticateOptions<C>,
  ): Promise<Auth<C>> => {
    let neutral: GateRequest
    try {
      neutral = isFetchRequest(request) ? fromFetch(request, gate) : fromNode(request, gate)
      neutral = withProtocolToken(neutral, limits, supported)
    } catch (error) {
      // Only a request that is not a request at all gets here; the gate still answers it.
      neutral = { method: 'GET', url: '/', headers: {}, refusal: asRefusal(error) }
    }
    return gate.authenticate(neutral, opts === undefined ? undefined : { policy: opts.policy })
  }

  const admit = (
    req: NodeRequestLike,
    socket: UpgradeSocketLike & SocketEvents,
    opts?: AuthenticateOptions<C>,
  ): Promise<Auth<C> | undefined> => {
    // Node's HTTP server stops listening to errors on an upgraded socket: without a listener, a client
    // that resets the connection while the gate works would crash the process.
    const absorb = (): void => {}
    socket.on?.('error', absorb)
    return authenticate(req, opts).then(
      (auth) => {
        socket.off?.('error', absorb)
        return socket.destroyed === true ? undefined : auth
      },
      (error: unknown) => {
        refuseUpgrade(socket, error)
        return undefined
      },
    )
  }

  return Object.freeze({
    gate,
    authenticate,
    admit,
    protocol,
    closeOnExpiry(connection: ClosableConnection, auth: Auth<C>): () => void {
      const exp = (auth?.claims as { exp?: unknown } | undefined)?.exp
      if (typeof exp !== 'number' || !Number.isFinite(exp)) return () => {}
      return closeAt(connection, exp * 1000, clock)
    },
  })
}

/**
 * `request` with the token of its `Sec-WebSocket-Protocol` moved to `Authorization`, so the gate checks
 * it like any other; a problem with the subprotocols becomes the request's `refusal`, answered by the
 * gate (with its challenge, its events).
 */
function withProtocolToken(
  request: GateRequest,
  limits: ProtocolLimits,
  supported: ReadonlySet<string> | undefined,
): GateRequest {
  if (request.refusal !== undefined) return request
  let token: string | undefined
  try {
    token = protocolToken(request, limits, supported)
  } catch (error) {
    return withRequest(request, { refusal: asRefusal(error) })
  }
  return token === undefined ? request : withAuthorization(request, `Bearer ${token}`)
}

/** The token of the subprotocols, checked against the rest of the request. @throws InvalidRequestError */
function protocolToken(
  request: GateRequest,
  limits: ProtocolLimits,
  supported: ReadonlySet<string> | undefined,
): string | undefined {
  const offered = readProtocols(request, limits)
  if (offered.token === undefined) return undefined
  // Another scheme (`Basic`, which a browser adds by itself behind a password-protected proxy) is not a
  // second token: it is replaced. A Bearer or DPoP token in both places is (RFC 6750 §3.1).
  if (headerLines(request, 'authorization').some((line) => TOKEN_SCHEME.test(line))) {
    throw new InvalidRequestError('multiple-methods', 'more than one method used to send a token')
  }
  if (chooseProtocol(offered.others, supported) === false) {
    throw new InvalidRequestError(
      'websocket-protocol',
      'a token in Sec-WebSocket-Protocol needs an application subprotocol beside it',
    )
  }
  return offered.token
}

/** The schemes that carry a token the gate reads, compared case-insensitively (RFC 9110 §11.1). */
const TOKEN_SCHEME = /^(?:bearer|dpop)(?:[ \t]|$)/i

/** `request` with `value` as its one `Authorization` field line. */
function withAuthorization(request: GateRequest, value: string): GateRequest {
  const { headers, rawHeaders } = request
  if (typeof (headers as Headers).get === 'function') {
    const copy = new Headers(headers as Headers)
    copy.set('authorization', value)
    return withRequest(request, { headers: copy })
  }
  const {
    authorization: _lower,
    Authorization: _upper,
    ...others
  } = headers as Readonly<Record<string, HeaderValue>>
  let raw: string[] | undefined
  if (rawHeaders !== undefined) {
    raw = []
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i] as string
      if (name.toLowerCase() !== 'authorization') raw.push(name, rawHeaders[i + 1] as string)
    }
    raw.push('Authorization', value)
  }
  return withRequest(request, { headers: { ...others, authorization: value }, rawHeaders: raw })
}

function asRefusal(error: unknown): InvalidRequestError {
  return error instanceof InvalidRequestError
    ? error
    : new InvalidRequestError('websocket-protocol', 'malformed upgrade request', { cause: error })
}

function isFetchRequest(request: NodeRequestLike | FetchRequestLike): request is FetchRequestLike {
  return typeof (request.headers as Headers | undefined)?.get === 'function'
}

interface ResolvedOptions {
  readonly supported: ReadonlySet<string> | undefined
  readonly limits: ProtocolLimits
}

function resolveOptions(options: WebSocketGateOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('websocketGate(gate, options): options must be an object')
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) throw new TypeError(`websocketGate(): unknown option "${key}"`)
  }
  const { protocols } = options
  if (
    protocols !== undefined &&
    (!Array.isArray(protocols) ||
      protocols.length === 0 ||
      !protocols.every((name) => isProtocolName(name) && !isReservedProtocol(name)) ||
      new Set(protocols).size !== protocols.length)
  ) {
    throw new TypeError(
      'websocketGate(): protocols must be a non-empty array of distinct subprotocol names (HTTP tokens, none starting with "oidc-gate.bearer")',
    )
  }
  const maxLength = integerOption(options.maxProtocolLength, 'maxProtocolLength', 10_240, 256, 1_048_576)
  const maxCount = integerOption(options.maxProtocols, 'maxProtocols', 16, 2, 256)
  return {
    supported: protocols === undefined ? undefined : new Set(protocols),
    limits: { maxLength, maxCount },
  }
}

const OPTIONS = ['protocols', 'maxProtocolLength', 'maxProtocols']

function integerOption(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new TypeError(`websocketGate(): ${name} must be an integer between ${min} and ${max}`)
  }
  return value as number
}
