import { getRequestListener } from '@hono/node-server'
import * as core from '@oidc-gate/core'
import { conformance, echo, listen } from '@oidc-gate/testing/conformance'
import { Hono } from 'hono'
import { oidcGate, requirePolicy } from '../src/index.js'

conformance({
  name: 'hono 4 on @hono/node-server',
  core,
  // @hono/node-server refuses a malformed Host (400) while building the Fetch Request, before Hono runs.
  hostCheckedByServer: true,
  async start({ gate, optional, routePolicy }) {
    const app = new Hono()
    app.use(oidcGate(gate, { optional }))
    app.get('/claims', (c) => c.json(echo(c.var.auth)))
    app.get('/policy', requirePolicy(gate, routePolicy), (c) => c.json(echo(c.var.auth)))
    return listen(getRequestListener(app.fetch))
  },
})
