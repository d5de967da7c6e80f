/**
 * Loopback helpers of the WebSocket tests: a Node HTTP server whose `upgrade` event goes through
 * `websocketGate().admit()`, and a client that sends an upgrade request with exactly the field lines it
 * is given and reports the answer (a refusal, or the 101 and its headers).
 */

import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { createTestIssuer, type TestIssuer, vercelIds } from '@oidc-gate/testing'
import {
  type Auth,
  createGate,
  type EventListener,
  type Gate,
  type VercelClaims,
  vercel,
  type WebSocketGate,
} from '../src/index.js'

/** A local issuer of team `acme`, a warmed gate that trusts it (realm `api`) and one of its tokens. */
export interface AcmeFixture {
  readonly issuer: TestIssuer
  readonly gate: Gate<VercelClaims>
  /** A valid production token of project `web`. */
  readonly token: string
  close(): Promise<void>
}

/** Starts an {@link AcmeFixture}; `onEvent` receives the gate's events. */
export async function acmeFixture(onEvent?: EventListener): Promise<AcmeFixture> {
  const issuer = await createTestIssuer({ team: 'acme' })
  const gate = createGate({
    issuers: [vercel({ team: 'acme', teamId: vercelIds('acme').ownerId, baseUrl: issuer.url })],
    realm: 'api',
    ...(onEvent === undefined ? {} : { onEvent }),
  })
  await gate.warmup()
  const token = await issuer.mint()
  return {
    issuer,
    gate,
    token,
    async close() {
      gate.close()
      await issuer.close()
    },
  }
}

/** What a client saw in answer to an upgrade request. */
export interface UpgradeAnswer {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** The body of a refusal; empty for a 101. */
  readonly body: string
}

/** A loopback server whose upgrades `admit()` authenticates. */
export interface UpgradeServer {
  readonly url: string
  /** What `admit()` resolved to, per upgrade request, in order. */
  readonly admitted: (Auth<unknown> | undefined)[]
  readonly server: Server
  close(): Promise<void>
}

/**
 * Starts a server on 127.0.0.1: every upgrade is authenticated with `upgrades.admit()`; an admitted one
 * is answered with a 101 echoing `upgrades.protocol()` of the offered subprotocols, then closed.
 */
export async function startUpgradeServer<C>(upgrades: WebSocketGate<C>): Promise<UpgradeServer> {
  const admitted: (Auth<unknown> | undefined)[] = []
  const server = createServer((_req, res) => {
    res.statusCode = 426
    res.end()
  })
  server.on('upgrade', async (req, socket: Socket) => {
    const auth = await upgrades.admit(req, socket)
    admitted.push(auth as Auth<unknown> | undefined)
    if (auth === undefined) return
    const chosen = upgrades.protocol(req.headers['sec-websocket-protocol'])
    const protocol = chosen === false ? '' : `Sec-WebSocket-Protocol: ${chosen}\r\n`
    socket.end(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${protocol}\r\n`,
    )
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    admitted,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** The field lines of a WebSocket upgrade request, before the caller's own. */
export const UPGRADE_LINES = [
  'Host',
  'api.example.test',
  'Connection',
  'Upgrade',
  'Upgrade',
  'websocket',
  'Sec-WebSocket-Version',
  '13',
  'Sec-WebSocket-Key',
  'dGhlIHNhbXBsZSBub25jZQ==',
]

/**
 * Sends `GET path` as an upgrade request with {@link UPGRADE_LINES} and `lines` (`[name, value, …]`, sent
 * as given, repeated names included) and resolves to the answer.
 */
export function sendUpgrade(url: string, lines: readonly string[], path = '/ws'): Promise<UpgradeAnswer> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, headers: [...UPGRADE_LINES, ...lines] })
    req.on('response', (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('upgrade', (res, socket) => {
      socket.destroy()
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' })
    })
    req.on('error', reject)
    req.end()
  })
}
