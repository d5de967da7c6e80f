import { createGate, type VercelAuth, type VercelClaims, vercel } from '@oidc-gate/core'
import Fastify, { type FastifyPluginAsync, type FastifyRequest } from 'fastify'
import { describe, expectTypeOf, it } from 'vitest'
import { oidcGate, type RequestAuth, requirePolicy } from '../src/index.js'

// What an application with only vercel() issuers writes once.
declare module '../src/index.js' {
  interface Register {
    claims: VercelClaims
  }
}

const gate = createGate({ issuers: [vercel({ team: 'acme' })] })

describe('request.auth', () => {
  it('is the registered profile’s Auth, or null', () => {
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<VercelAuth | null>()
    expectTypeOf<RequestAuth>().toEqualTypeOf<VercelAuth>()
  })

  it('types the Vercel claims inside a handler', () => {
    const app = Fastify()
    app.get('/', async (request) => {
      expectTypeOf(request.auth?.claims.project_id).toEqualTypeOf<string | undefined>()
      expectTypeOf(request.auth?.vercel.environment).toEqualTypeOf<string | undefined>()
      return null
    })
  })
})

describe('plugin and route options', () => {
  it('is a plugin to register, built from a gate or the gate options', () => {
    expectTypeOf(oidcGate(gate)).toEqualTypeOf<FastifyPluginAsync>()
    expectTypeOf(
      oidcGate({ issuers: [vercel({ team: 'acme' })] }, { optional: true }),
    ).toEqualTypeOf<FastifyPluginAsync>()
  })

  it('registers the Fastify way, with the gate or its options', async () => {
    const app = Fastify()
    await app.register(oidcGate, { gate, errors: 'framework' })
    await app.register(oidcGate, { issuers: [vercel({ team: 'acme' })], optional: true })
    // @ts-expect-error `optional` is a boolean
    await app.register(oidcGate, { gate, optional: 'yes' })
  })

  it('types requirePolicy(gate, policy) with the gate’s claims, and accepts config.policy', () => {
    // Fastify infers a route's config type from the literal, so a typo in config.policy is caught at
    // boot (when the route is declared), not by the compiler.
    const app = Fastify()
    app.get('/a', { config: { policy: { environment: 'production' } } }, async () => null)
    requirePolicy(gate, { environment: 'production' })
    // @ts-expect-error `enviroment` is not a Vercel claim
    requirePolicy(gate, { enviroment: 'production' })
    // @ts-expect-error `enviroment` is not a Vercel claim
    requirePolicy(gate, { not: { enviroment: 'preview' } })
    // @ts-expect-error the gate comes first
    requirePolicy({ environment: 'production' })
  })

  it('fits the hooks of routes with their own generics', () => {
    const app = Fastify()
    app.get<{ Params: { id: string } }>(
      '/items/:id',
      {
        preHandler: requirePolicy(gate, { project_id: 'prj_1' }),
        onRequest: [requirePolicy(gate, { environment: 'preview' })],
      },
      async (request) => request.params.id,
    )
  })
})
