import { getRequestListener } from '@hono/node-server'
import { listen } from '@oidc-gate/testing/conformance'
import { Hono, type MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { timeout } from 'hono/timeout'
import { type Before, handMadeAuth, ROUTE_POLICY, robustness } from '../../express/test/robustness-suite.js'
import { oidcGate, requirePolicy } from '../src/index.js'

robustness({
  name: 'hono 4 on @hono/node-server',
  async start({ gate, optional, before }) {
    const first: Record<Before, MiddlewareHandler> = {
      // Hono's own timeout middleware: the 503 goes out while the rest of the chain still runs.
      'answer-first': timeout(100, new HTTPException(503, { message: 'timeout' })),
      'foreign-auth': async (c, next) => {
        c.set('auth', handMadeAuth('https://somewhere.example'))
        await next()
      },
    }
    const app = new Hono()
    if (before !== undefined) app.use(first[before])
    app.use(oidcGate(gate, { optional }))
    app.get('/', (c) => c.text('ok'))
    app.get('/policy', requirePolicy(gate, ROUTE_POLICY), (c) => c.text('ok'))
    return listen(getRequestListener(app.fetch))
  },
})
