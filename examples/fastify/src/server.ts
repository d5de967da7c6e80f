/** A Fastify API protected by oidc-gate: `/health` is public, `/api/*` needs a Vercel OIDC token. */

import { createGate, type VercelClaims } from '@oidc-gate/core'
import { exampleConfig, onShutdown, routes } from '@oidc-gate/example-support'
import { oidcGate } from '@oidc-gate/fastify'
import Fastify from 'fastify'

// Type request.auth and route `config.policy` from the claims of the gate's issuer.
declare module '@oidc-gate/fastify' {
  interface Register {
    claims: VercelClaims
  }
}

const config = await exampleConfig(3002)
const gate = createGate(config.gate)
const app = Fastify()

app.get(routes.health.path, async () => ({ ok: true }))

// The gate protects the routes of this encapsulated plugin only.
await app.register(async (api) => {
  await api.register(oidcGate(gate))

  api.get(routes.whoami.path, async (request) => {
    const { owner, project, projectId, environment, userId } = request.auth!.vercel
    return { owner, project, projectId, environment, userId }
  })

  api.post(routes.deploy.path, { config: { policy: routes.deploy.policy } }, async (request) => ({
    deployed: true,
    project: request.auth!.vercel.project,
  }))
})

await config.listening(await app.listen({ port: config.port, host: config.host }))

onShutdown(async () => {
  await app.close()
  gate.close()
  await config.close()
})
