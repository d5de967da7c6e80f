/** An Express API protected by oidc-gate: `/health` is public, `/api/*` needs a Vercel OIDC token. */

import { createGate, GateError, type VercelClaims } from '@oidc-gate/core'
import { exampleConfig, onShutdown, routes } from '@oidc-gate/example-support'
import { oidcGate, requirePolicy } from '@oidc-gate/express'
import express, { type ErrorRequestHandler } from 'express'

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

app.post(routes.deploy.path, requirePolicy(routes.deploy.policy), (req, res) => {
  res.json({ deployed: true, project: req.auth!.vercel.project })
})

// Refusals reach Express as GateErrors with their status and WWW-Authenticate. Its default handler would
// answer them right, but with an HTML page and a stack trace logged for each one: answer them as JSON.
const onError: ErrorRequestHandler = (error, _req, res, next) => {
  if (!(error instanceof GateError)) return next(error)
  res.status(error.status).set(error.headers).json({ error: error.error, error_description: error.message })
}
app.use(onError)

const server = app.listen(config.port, config.host, (error) => {
  if (error) throw error
  config.listening(server.address())
})

onShutdown(async () => {
  await new Promise((resolve) => server.close(resolve))
  gate.close()
  await config.close()
})
