/** Express: its HTTP routes as usual; upgrades to `/ws` authenticated before the 101 (./node-upgrade.ts). */

import { createServer } from 'node:http'
import type { Gate, VercelClaims } from '@oidc-gate/core'
import express from 'express'
import { chatGate, type RunningChat } from './chat.js'
import { serveChat } from './node-upgrade.js'

/** Starts the Express example on `port` (default: any free one) and `host`. */
export function listen(gate: Gate<VercelClaims>, port = 0, host = '127.0.0.1'): Promise<RunningChat> {
  const app = express()
  app.get('/health', (_req, res) => {
    res.json({ ok: true })
  })
  return serveChat(createServer(app), chatGate(gate), port, host)
}
