/**
 * One instance of a DPoP-protected API, as a process: the gate trusts the issuer named by the
 * environment, records proof `jti`s in Redis, and answers as `PUBLIC_ORIGIN` (the origin clients use
 * behind the load balancer, so every instance checks `htu` against the same URL).
 *
 * Environment: `FRAMEWORK` (express, fastify, hono, koa; default express), `ISSUER`, `AUDIENCE`,
 * `JWKS_URI`, `REDIS_URL` (default redis://127.0.0.1:6379), `PUBLIC_ORIGIN`, `PORT` (default 0: free).
 * Prints one JSON line, `{ "url": "http://127.0.0.1:<port>" }`, once listening; stops on SIGTERM.
 */

import { createGate, oidc } from '@oidc-gate/core'
import { redisReplayStore } from '@oidc-gate/redis'
import { createClient } from 'redis'
import { FRAMEWORKS, type Framework, startApp } from './apps.js'

const env = process.env
const framework = (env.FRAMEWORK ?? 'express') as Framework
if (!FRAMEWORKS.includes(framework)) throw new Error(`FRAMEWORK must be one of ${FRAMEWORKS.join(', ')}`)

// Fail fast while Redis is unreachable (503 with Retry-After), reconnect in the background.
const client = createClient({
  url: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  disableOfflineQueue: true,
  socket: { connectTimeout: 1000, reconnectStrategy: (retries) => Math.min(100 * (retries + 1), 1000) },
})
client.on('error', () => {})
await client.connect()

const gate = createGate({
  issuers: [
    oidc({
      issuer: env.ISSUER as string,
      audience: env.AUDIENCE as string,
      jwksUri: env.JWKS_URI as string,
    }),
  ],
  ...(env.PUBLIC_ORIGIN === undefined ? {} : { publicOrigin: env.PUBLIC_ORIGIN }),
  dpop: { mode: 'required', replayStore: redisReplayStore({ client }) },
})
const app = await startApp(framework, gate, Number(env.PORT ?? 0))
process.stdout.write(`${JSON.stringify({ url: app.url })}\n`)

process.once('SIGTERM', async () => {
  await app.close()
  gate.close()
  await client.quit()
  process.exit(0)
})
