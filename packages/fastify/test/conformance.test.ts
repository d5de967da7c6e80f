import * as core from '@oidc-gate/core'
import { conformance, echo } from '@oidc-gate/testing/conformance'
import Fastify, { type FastifyContextConfig } from 'fastify'
import { oidcGate, requirePolicy } from '../src/index.js'

const kinds = ['route config.policy', 'requirePolicy() preHandler'] as const

for (const kind of kinds) {
  conformance({
    name: `fastify 5 (${kind})`,
    core,
    async start({ gate, optional, routePolicy }) {
      const app = Fastify()
      try {
        // The Fastify idiom, app.register(plugin, options), for one of the two runs.
        if (kind === kinds[0]) await app.register(oidcGate, { gate, optional })
        else await app.register(oidcGate(gate, { optional }))
        app.get('/claims', async (request) => echo(request.auth))
        if (kind === kinds[0]) {
          // The suite's policies are plain JSON; the route config is typed by the registered claims.
          const config = { policy: routePolicy as NonNullable<FastifyContextConfig['policy']> }
          app.get('/policy', { config }, async (request) => echo(request.auth))
        } else {
          app.get('/policy', { preHandler: requirePolicy(gate, routePolicy) }, async (request) =>
            echo(request.auth),
          )
        }
        const url = await app.listen({ port: 0, host: '127.0.0.1' })
        return { url, close: () => app.close() }
      } catch (error) {
        await app.close()
        throw error
      }
    },
  })
}
