import * as core from '@oidc-gate/core'
import { conformance, echo, listen } from '@oidc-gate/testing/conformance'
import express5 from 'express'
import express4 from 'express4'
import { oidcGate, requirePolicy } from '../src/index.js'

for (const [name, express] of [
  ['express 5', express5],
  ['express 4', express4],
] as const) {
  conformance({
    name,
    core,
    async start({ gate, optional, routePolicy }) {
      const app = express()
      app.use(oidcGate(gate, { optional }))
      app.get('/claims', (req, res) => {
        res.json(echo(req.auth))
      })
      app.get('/policy', requirePolicy(gate, routePolicy), (req, res) => {
        res.json(echo(req.auth))
      })
      return listen(app)
    },
  })
}
