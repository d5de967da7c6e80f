/**
 * Fastify with `@fastify/websocket`: the upgrade runs through Fastify's routing, so a `preValidation`
 * hook authenticates it; a refusal is sent as an ordinary reply, before any 101.
 */

import websocket from '@fastify/websocket'
import { type Gate, toResponse, type VercelAuth, type VercelClaims } from '@oidc-gate/core'
import Fastify from 'fastify'
import { CHAT_PATH, chatGate, greeting, originOf, type RunningChat, reply } from './chat.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller of a WebSocket route, set by its `preValidation` hook. */
    auth: VercelAuth | null
  }
}

/** Starts the Fastify example on `port` (default: any free one) and `host`. */
export async function listen(gate: Gate<VercelClaims>, port = 0, host = '127.0.0.1'): Promise<RunningChat> {
  const { upgrades, policy } = chatGate(gate)
  const app = Fastify()
  // The 101 echoes the application's subprotocol, never the token.
  await app.register(websocket, { options: { handleProtocols: upgrades.protocol } })
  app.decorateRequest('auth', null)

  app.get('/health', async () => ({ ok: true }))

  app.get(
    CHAT_PATH,
    {
      websocket: true,
      preValidation: async (request, res) => {
        try {
          request.auth = (await upgrades.authenticate(request.raw, { policy })) as VercelAuth
        } catch (error) {
          const { status, headers, body } = toResponse(error)
          return res.code(status).headers(headers).send(body)
        }
      },
    },
    (socket, request) => {
      const auth = request.auth as VercelAuth
      upgrades.closeOnExpiry(socket, auth)
      socket.send(greeting(auth))
      socket.on('message', (data) => socket.send(reply(auth, String(data))))
    },
  )

  await app.listen({ port, host })
  return { url: originOf(app.server.address()), close: () => app.close() }
}
