import Router from '@koa/router'
import { listen } from '@oidc-gate/testing/conformance'
import Koa3, { type Middleware } from 'koa'
import Koa2 from 'koa2'
import { type Before, handMadeAuth, ROUTE_POLICY, robustness } from '../../express/test/robustness-suite.js'
import { oidcGate, requirePolicy } from '../src/index.js'

const first: Record<Before, Middleware> = {
  // Answers on Node's response after 100 ms (Koa answers only once the chain is done) and tells Koa
  // not to answer again; the chain goes on.
  'answer-first': async (ctx, next) => {
    const timer = setTimeout(() => {
      ctx.respond = false
      ctx.res.writeHead(503).end('timeout')
    }, 100)
    try {
      await next()
    } finally {
      clearTimeout(timer)
    }
  },
  'foreign-auth': async (ctx, next) => {
    ctx.state.auth = handMadeAuth('https://somewhere.example')
    await next()
  },
}

for (const [name, Koa] of [
  ['koa 3', Koa3],
  ['koa 2', Koa2],
] as const) {
  robustness({
    name,
    async start({ gate, optional, before }) {
      const app = new Koa()
      const router = new Router()
      router.get('/', (ctx) => {
        ctx.body = 'ok'
      })
      router.get('/policy', requirePolicy(gate, ROUTE_POLICY), (ctx) => {
        ctx.body = 'ok'
      })
      if (before !== undefined) app.use(first[before])
      app.use(oidcGate(gate, { optional }))
      app.use(router.routes())
      return listen(app.callback())
    },
  })
}
