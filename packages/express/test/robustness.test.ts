import { listen } from '@oidc-gate/testing/conformance'
import express5, { type RequestHandler } from 'express'
import basicAuth from 'express-basic-auth'
import express4 from 'express4'
import { oidcGate, requirePolicy } from '../src/index.js'
import { BASIC_USERS, type Before, ROUTE_POLICY, robustness } from './robustness-suite.js'

// The connect-timeout pattern: answer 503 after 100 ms, and let the request go on down the chain.
const answerFirst: RequestHandler = (_req, res, next) => {
  const timer = setTimeout(() => res.status(503).send('timeout'), 100)
  res.on('close', () => clearTimeout(timer))
  next()
}

const before: Record<Before, RequestHandler> = {
  'answer-first': answerFirst,
  // A real package that sets `req.auth` to `{ user, password }`.
  'foreign-auth': basicAuth({ users: BASIC_USERS }),
}

for (const [name, express] of [
  ['express 5', express5],
  ['express 4', express4],
] as const) {
  robustness({
    name,
    async start({ gate, optional, before: first }) {
      const app = express()
      if (first !== undefined) app.use(before[first])
      app.use(oidcGate(gate, { optional }))
      app.get('/', (_req, res) => {
        res.send('ok')
      })
      app.get('/policy', requirePolicy(gate, ROUTE_POLICY), (_req, res) => {
        res.send('ok')
      })
      return listen(app)
    },
  })
}
