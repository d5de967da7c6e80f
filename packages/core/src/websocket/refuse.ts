/**
 * A refused WebSocket upgrade answered the only way left before a 101: an HTTP/1.1 response written on
 * the raw socket, then the connection closed (DESIGN §9). Duck-typed, so the core's main entry imports no
 * Node built-in.
 */

import { toResponse } from '../edge/response.js'

/** The part of the socket of Node's `upgrade` event (`net.Socket`, `stream.Duplex`) a refusal uses. */
export interface UpgradeSocketLike {
  /** Writes the last data and half-closes. */
  end(data: string): unknown
  /** Closes the connection at once. */
  destroy(): unknown
  /** Whether the connection is already gone (the client left). */
  readonly destroyed?: boolean | undefined
  /** Whether the socket still accepts writes. */
  readonly writable?: boolean | undefined
  once?(event: 'finish', listener: () => void): unknown
}

const REASON_PHRASES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

const encoder = new TextEncoder()

/**
 * Answers a refused upgrade on its socket: the status line, the refusal's headers (`WWW-Authenticate`,
 * `Retry-After`, `DPoP-Nonce`), `Content-Type: application/json`, `Cache-Control: no-store`,
 * `Connection: close` and the JSON body of {@link toResponse}, then closes the connection once the answer
 * is flushed. The client sees an ordinary HTTP answer instead of a 101. A socket the client already
 * closed is left alone; nothing throws.
 *
 * @param error The refusal, normally a `GateError`; anything else is answered as a bare 401
 * `invalid_token`, so a bug never leaks a stack.
 *
 * @example
 * ```ts
 * server.on('upgrade', async (req, socket, head) => {
 *   socket.on('error', () => {})
 *   try {
 *     const auth = await gate.authenticate(fromNode(req, gate))
 *     wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req, auth))
 *   } catch (error) {
 *     refuseUpgrade(socket, error)
 *   }
 * })
 * ```
 */
export function refuseUpgrade(socket: UpgradeSocketLike, error: unknown): void {
  if (socket.destroyed === true) return
  if (socket.writable === false) {
    socket.destroy()
    return
  }
  const { status, headers, body } = toResponse(error)
  let head = `HTTP/1.1 ${status} ${REASON_PHRASES[status] ?? ''}\r\nConnection: close\r\n`
  for (const name in headers) {
    const value = headers[name] as string
    // Header values come from the gate and are already printable ASCII; a stray line break would split
    // the response, so such a value is dropped rather than written.
    if (!/[\r\n]/.test(value)) head += `${name}: ${value}\r\n`
  }
  head += `Content-Length: ${encoder.encode(body).length}\r\n\r\n`
  if (socket.once === undefined) {
    socket.end(head + body)
    return
  }
  socket.once('finish', () => socket.destroy())
  socket.end(head + body)
}
