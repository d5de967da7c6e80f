/**
 * What the four WebSocket examples share: the route, the application's subprotocol, the policy of the
 * route and the conversation. Each framework only wires them (./express.ts, ./fastify.ts, ./hono.ts,
 * ./koa.ts).
 */

import {
  type CompiledPolicy,
  type Gate,
  type VercelAuth,
  type VercelClaims,
  type WebSocketGate,
  websocketGate,
} from '@oidc-gate/core'

/** The WebSocket route. */
export const CHAT_PATH = '/ws'

/** The application's own subprotocol, the one the 101 echoes. */
export const CHAT_PROTOCOL = 'chat.v1'

/** Production and preview tokens may chat; development tokens are refused with 403. */
export const CHAT_POLICY = { environment: ['production', 'preview'] }

/** The WebSocket side of the gate and the route's policy, built once at boot. */
export interface Chat {
  readonly upgrades: WebSocketGate<VercelClaims>
  readonly policy: CompiledPolicy
}

/** Builds the {@link Chat} of a gate. */
export function chatGate(gate: Gate<VercelClaims>): Chat {
  return {
    upgrades: websocketGate(gate, { protocols: [CHAT_PROTOCOL] }),
    policy: gate.compilePolicy(CHAT_POLICY, 'chat'),
  }
}

/** The first message of a connection: who the server thinks the caller is. */
export function greeting(auth: VercelAuth): string {
  return JSON.stringify({ hello: auth.vercel.project, environment: auth.vercel.environment })
}

/** The answer to each message: the caller's project and the message. */
export function reply(auth: VercelAuth, message: string): string {
  return JSON.stringify({ projectId: auth.vercel.projectId, echo: message })
}

/** A running example server. */
export interface RunningChat {
  /** Its origin, e.g. `http://127.0.0.1:41234`; the chat is at `ws://…/ws`. */
  readonly url: string
  /** Closes every WebSocket connection and the server. */
  close(): Promise<void>
}

/** The origin of a server listening on `address`. */
export function originOf(address: string | { address: string; port: number; family: string } | null): string {
  if (address === null || typeof address === 'string') throw new Error('the server is not listening on TCP')
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}
