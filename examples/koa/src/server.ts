/** A Koa API protected by oidc-gate: `/health` is public, `/api/*` needs a Vercel OIDC token. */

import Router from '@koa/router'
import { createGate, type VercelClaims } from '@oidc-gate/core'
import { exampleConfig, onShutdown, routes } from '@oidc-gate/example-support'
import { oidcGate, requirePolicy, type State } from '@oidc-gate/koa'
import Koa from 'koa'

const config = await exampleConfig(3004)
const gate = createGate(config.gate)
const app = new Koa()

const router = new Router<State<VercelClaims>>()
router.get(routes.health.path, (ctx) => {
  ctx.body = { ok: true }
})

router.use('/api', oidcGate(gate))

router.get(routes.whoami.path, (ctx) => {
  const { owner, project, projectId, environment, userId } = ctx.state.auth!.vercel
  ctx.body = { owner, project, projectId, environment, userId }
})

router.post(routes.deploy.path, requirePolicy(gate, routes.deploy.policy), (ctx) => {
  ctx.body = { deployed: true, project: ctx.state.auth!.vercel.project }
})

app.use(router.routes()).use(router.allowedMethods())

const server = app.listen(config.port, config.host, () => config.listening(server.address()))

onShutdown(async () => {
  await new Promise((resolve) => server.close(resolve))
  gate.close()
  await config.close()
})
