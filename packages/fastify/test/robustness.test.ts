import type { RequestAuth } from '@oidc-gate/fastify'
import Fastify, { type onRequestAsyncHookHandler } from 'fastify'
import { type Before, handMadeAuth, ROUTE_POLICY, robustness } from '../../express/test/robustness-suite.js'
import { oidcGate, requirePolicy } from '../src/index.js'

const first: Record<Before, onRequestAsyncHookHandler> = {
  // A hook that sends the reply after 100 ms and lets the request go on through the other hooks.
  'answer-first': async (_request, reply) => {
    const timer = setTimeout(() => reply.code(503).send('timeout'), 100)
    reply.raw.on('close', () => clearTimeout(timer))
  },
  'foreign-auth': async (request) => {
    request.auth = handMadeAuth('https://somewhere.example') as RequestAuth
  },
}

robustness({
  name: 'fastify 5',
  async start({ gate, optional, before }) {
    const app = Fastify()
    if (before !== undefined) app.addHook('onRequest', first[before])
    await app.register(oidcGate(gate, { optional }))
    app.get('/', async () => 'ok')
    app.get('/policy', { preHandler: requirePolicy(gate, ROUTE_POLICY) }, async () => 'ok')
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    return { url, close: () => app.close() }
  },
})
