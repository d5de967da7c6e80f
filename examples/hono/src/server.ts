/** A Hono API protected by oidc-gate: `/health` is public, `/api/*` needs a Vercel OIDC token. */

import { serve } from '@hono/node-server'
import { createGate, type VercelClaims } from '@oidc-gate/core'
import { exampleConfig, onShutdown, routes } from '@oidc-gate/example-support'
import { oidcGate, requirePolicy, type Variables } from '@oidc-gate/hono'
import { Hono } from 'hono'

const config = await exampleConfig(3003)
const gate = createGate(config.gate)
const app = new Hono<{ Variables: Variables<VercelClaims> }>()

app.get(routes.health.path, (c) => c.json({ ok: true }))

app.use('/api/*', oidcGate(gate))

app.get(routes.whoami.path, (c) => {
  const { owner, project, projectId, environment, userId } = c.var.auth!.vercel
  return c.json({ owner, project, projectId, environment, userId })
})

app.post(routes.deploy.path, requirePolicy(gate, routes.deploy.policy), (c) =>
  c.json({ deployed: true, project: c.var.auth!.vercel.project }),
)

const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) =>
  config.listening(info),
)

onShutdown(async () => {
  await new Promise((resolve) => server.close(resolve))
  gate.close()
  await config.close()
})
