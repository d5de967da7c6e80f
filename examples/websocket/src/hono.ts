/**
 * Hono with `upgradeWebSocket` of @hono/node-server: a middleware before it authenticates the upgrade
 * from Node's request (`c.env.incoming`, every header line of it); a refusal is its Response, before any
 * 101. @hono/node-server writes the status and headers of such a Response on the socket, without its body.
 */

import { type HttpBindings, serve, upgradeWebSocket, type WebSocketServerLike } from '@hono/node-server'
import { type Gate, toResponse, type VercelAuth, type VercelClaims } from '@oidc-gate/core'
import { Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { WebSocketServer } from 'ws'
import { CHAT_PATH, chatGate, greeting, originOf, type RunningChat, reply } from './chat.js'

/** Starts the Hono example on `port` (default: any free one) and `host`. */
export async function listen(gate: Gate<VercelClaims>, port = 0, host = '127.0.0.1'): Promise<RunningChat> {
  const { upgrades, policy } = chatGate(gate)
  // The 101 echoes the application's subprotocol, never the token.
  const wss = new WebSocketServer({ noServer: true, handleProtocols: upgrades.protocol })
  const app = new Hono<{ Bindings: HttpBindings; Variables: { auth: VercelAuth } }>()

  app.get('/health', (c) => c.json({ ok: true }))

  app.get(
    CHAT_PATH,
    async (c, next) => {
      try {
        c.set('auth', (await upgrades.authenticate(c.env.incoming, { policy })) as VercelAuth)
      } catch (error) {
        const { status, headers, body } = toResponse(error)
        return c.body(body, status as ContentfulStatusCode, headers)
      }
      await next()
    },
    upgradeWebSocket((c) => {
      const auth = c.var.auth
      return {
        onOpen(_event, ws) {
          if (ws.raw !== undefined) upgrades.closeOnExpiry(ws.raw, auth)
          ws.send(greeting(auth))
        },
        onMessage(event, ws) {
          ws.send(reply(auth, String(event.data)))
        },
      }
    }),
  )

  // ws types `options.noServer` as optional, @hono/node-server as required: the value is `true`.
  const websocket = { server: wss as unknown as WebSocketServerLike }
  const server = serve({ fetch: app.fetch, websocket, port, hostname: host })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  return {
    url: originOf(server.address()),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate()
        server.close(() => resolve())
      }),
  }
}
