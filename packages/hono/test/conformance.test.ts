import { getRequestListener } from '@hono/node-server'
import * as core from '@oidc-gate/core'
import { conformance, echo, listen } from '@oidc-gate/testing/conformance'
import { Hono } from 'hono'
import { oidcGate, requirePolicy } from '../src/index.js'

conformance({
  name: 'hono 4 on @hono/node-server',
  core,
  async start({ gate, optional, routePolicy }) {
    const app = new Hono()
    app.use(oidcGate(gate, { optional }))
    app.get('/claims', (c) => c.json(echo(c.var.auth)))
    app.get('/policy', requirePolicy(routePolicy), (c) => c.json(echo(c.var.auth)))
    return listen(getRequestListener(app.fetch))
  },
})
