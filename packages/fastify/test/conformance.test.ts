import * as core from '@oidc-gate/core'
import { conformance, echo } from '@oidc-gate/testing/conformance'
import Fastify from 'fastify'
import { oidcGate, requirePolicy } from '../src/index.js'

conformance({
  name: 'fastify 5',
  core,
  async start({ gate, optional, routePolicy }) {
    const app = Fastify()
    await app.register(oidcGate(gate, { optional }))
    app.get('/claims', async (request) => echo(request.auth))
    app.get('/policy', { preHandler: requirePolicy(routePolicy) }, async (request) => echo(request.auth))
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    return { url, close: () => app.close() }
  },
})
