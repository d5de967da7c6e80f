/** An Express API protected by oidc-gate: `/health` is public, `/api/*` needs a Vercel OIDC token. */

import { createGate, type VercelClaims } from '@oidc-gate/core'
import { exampleConfig, onShutdown, routes } from '@oidc-gate/example-support'
import { oidcGate, requirePolicy } from '@oidc-gate/express'
import express from 'express'

// Type req.auth from the claims of the gate's issuer.
declare module '@oidc-gate/express' {
  interface Register {
    claims: VercelClaims
  }
}

const config = await exampleConfig(3001)
const gate = createGate(config.gate)
const app = express()

app.get(routes.health.path, (_req, res) => {
  res.json({ ok: true })
})

app.use('/api', oidcGate(gate))

app.get(routes.whoami.path, (req, res) => {
  const { owner, project, projectId, environment, userId } = req.auth!.vercel
  res.json({ owner, project, projectId, environment, userId })
})

app.post(routes.deploy.path, requirePolicy(gate, routes.deploy.policy), (req, res) => {
  res.json({ deployed: true, project: req.auth!.vercel.project })
})

// Refusals are answered by oidcGate() itself: status, WWW-Authenticate and a JSON body, nothing logged.

const server = app.listen(config.port, config.host, (error) => {
  if (error) throw error
  config.listening(server.address())
})

onShutdown(async () => {
  await new Promise((resolve) => server.close(resolve))
  gate.close()
  await config.close()
})
