/**
 * The chat on a plain Node HTTP server (Express, Koa): the framework keeps its HTTP routes, and the
 * server's `upgrade` event goes through `websocketGate().admit()` before `ws` answers the 101.
 */

import type { IncomingMessage, Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { VercelAuth } from '@oidc-gate/core'
import { type WebSocket, WebSocketServer } from 'ws'
import { CHAT_PATH, type Chat, greeting, originOf, type RunningChat, reply } from './chat.js'

/** Serves the chat on `server`'s upgrades and listens on `port` / `host`. */
export async function serveChat(
  server: Server,
  chat: Chat,
  port: number,
  host: string,
): Promise<RunningChat> {
  const { upgrades, policy } = chat
  // The 101 echoes the application's subprotocol, never the token.
  const wss = new WebSocketServer({ noServer: true, handleProtocols: upgrades.protocol })

  server.on('upgrade', async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== CHAT_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      return
    }
    // A refusal (400/401/403/503) is answered on the socket here, before any 101.
    const auth = await upgrades.admit(req, socket, { policy })
    if (auth === undefined) return
    wss.handleUpgrade(req, socket, head, (ws) => talk(ws, auth as VercelAuth, chat))
  })

  await new Promise<void>((resolve) => server.listen(port, host, resolve))
  return {
    url: originOf(server.address()),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate()
        wss.close()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function talk(ws: WebSocket, auth: VercelAuth, chat: Chat): void {
  chat.upgrades.closeOnExpiry(ws, auth)
  ws.send(greeting(auth))
  ws.on('message', (data) => ws.send(reply(auth, String(data))))
}
