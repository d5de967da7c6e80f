import Router from '@koa/router'
import * as core from '@oidc-gate/core'
import { conformance, echo, listen } from '@oidc-gate/testing/conformance'
import Koa3 from 'koa'
import Koa2 from 'koa2'
import { oidcGate, requirePolicy } from '../src/index.js'

for (const [name, Koa] of [
  ['koa 3', Koa3],
  ['koa 2', Koa2],
] as const) {
  conformance({
    name,
    core,
    async start({ gate, optional, routePolicy }) {
      const app = new Koa()
      const router = new Router()
      router.get('/claims', (ctx) => {
        ctx.body = echo(ctx.state.auth)
      })
      router.get('/policy', requirePolicy(gate, routePolicy), (ctx) => {
        ctx.body = echo(ctx.state.auth)
      })
      app.use(oidcGate(gate, { optional }))
      app.use(router.routes())
      return listen(app.callback())
    },
  })
}
