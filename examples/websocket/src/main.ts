/**
 * Runs one of the WebSocket examples: `tsx src/main.ts express|fastify|hono|koa` (default express), with
 * the configuration of the other examples (OIDC_GATE_* variables, or an embedded local issuer).
 */

import { createGate } from '@oidc-gate/core'
import { exampleConfig, onShutdown } from '@oidc-gate/example-support'
import { CHAT_PATH, CHAT_PROTOCOL } from './chat.js'
import * as express from './express.js'
import * as fastify from './fastify.js'
import * as hono from './hono.js'
import * as koa from './koa.js'

const servers = { express, fastify, hono, koa }
const name = process.argv[2] ?? 'express'
if (!Object.hasOwn(servers, name)) {
  console.error(`usage: tsx src/main.ts ${Object.keys(servers).join('|')}`)
  process.exit(2)
}

const config = await exampleConfig(3005)
const gate = createGate(config.gate)
const running = await servers[name as keyof typeof servers].listen(gate, config.port, config.host)
await config.listening(running.url)
console.log(
  `websocket: ${running.url.replace(/^http/, 'ws')}${CHAT_PATH}, subprotocols ["oidc-gate.bearer.<token>", "${CHAT_PROTOCOL}"]`,
)

onShutdown(async () => {
  await running.close()
  gate.close()
  await config.close()
})
