/** Koa: its HTTP middleware as usual; upgrades to `/ws` authenticated before the 101 (./node-upgrade.ts). */

import { createServer } from 'node:http'
import type { Gate, VercelClaims } from '@oidc-gate/core'
import Koa from 'koa'
import { chatGate, type RunningChat } from './chat.js'
import { serveChat } from './node-upgrade.js'

/** Starts the Koa example on `port` (default: any free one) and `host`. */
export function listen(gate: Gate<VercelClaims>, port = 0, host = '127.0.0.1'): Promise<RunningChat> {
  const app = new Koa()
  app.use((ctx) => {
    if (ctx.path === '/health') ctx.body = { ok: true }
  })
  return serveChat(createServer(app.callback()), chatGate(gate), port, host)
}
