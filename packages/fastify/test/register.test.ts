import { createGate, GateError, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { oidcGate } from '../src/index.js'

let issuer: TestIssuer
let token: string
beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  token = await issuer.mint({ project: 'web', environment: 'production' })
})
afterAll(() => issuer.close())

const issuers = () => [vercel({ team: 'acme', baseUrl: issuer.url })]

function routes(app: FastifyInstance) {
  app.get('/', async (request) => ({ project: request.auth?.vercel?.project ?? null }))
  app.get('/prod', { config: { policy: { environment: 'production' } } }, async () => 'prod')
  return app
}

describe('app.register(oidcGate, options)', () => {
  it('builds the gate from the gate options, with optional', async () => {
    const app = Fastify()
    await app.register(oidcGate, { issuers: issuers(), optional: true })
    routes(app)
    expect((await app.inject('/')).json()).toEqual({ project: null })
    const verified = await app.inject({ url: '/', headers: { authorization: `Bearer ${token}` } })
    expect(verified.json()).toEqual({ project: 'web' })
    expect(verified.headers['cache-control']).toBe('no-store')
    expect((await app.inject('/prod')).statusCode).toBe(401)
    expect((await app.inject({ url: '/', headers: { authorization: 'Bearer x' } })).statusCode).toBe(401)
  })

  it('uses the gate passed as { gate }', async () => {
    const app = Fastify()
    await app.register(oidcGate, { gate: createGate({ issuers: issuers(), realm: 'api' }) })
    routes(app)
    const refused = await app.inject('/')
    expect(refused.statusCode).toBe(401)
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer realm="api"/)
    expect((await app.inject({ url: '/prod', headers: { authorization: `Bearer ${token}` } })).body).toBe(
      'prod',
    )
  })

  it("passes errors: 'framework' on to the plugin", async () => {
    const app = Fastify()
    const seen: unknown[] = []
    app.setErrorHandler((error, _request, reply) => {
      seen.push(error)
      return reply.code(418).send('handler')
    })
    await app.register(oidcGate, { gate: createGate({ issuers: issuers() }), errors: 'framework' })
    routes(app)
    expect((await app.inject('/')).statusCode).toBe(418)
    expect(seen[0]).toBeInstanceOf(GateError)
  })

  it('applies to the context it is registered in, like oidcGate(options)', async () => {
    const app = Fastify()
    app.get('/public', async () => 'public')
    await app.register(async (child) => {
      await child.register(oidcGate, { issuers: issuers() })
      child.get('/private', async () => 'private')
    })
    expect((await app.inject('/public')).statusCode).toBe(200)
    expect((await app.inject('/private')).statusCode).toBe(401)
  })
})

describe('at boot', () => {
  async function boot(options: Record<string, unknown>) {
    const app = Fastify()
    try {
      await app.register(oidcGate, options as never)
      await app.ready()
    } finally {
      await app.close()
    }
  }

  it('fails naming a bad gate option', async () => {
    await expect(boot({ issuers: [] })).rejects.toThrow(/issuers/)
    await expect(boot({ issuers: issuers(), clockTolerance: -1 })).rejects.toThrow(/clockTolerance/)
  })

  it('fails naming a bad adapter option', async () => {
    await expect(boot({ issuers: issuers(), errors: 'next' })).rejects.toThrow(/errors must be/)
    await expect(boot({ issuers: issuers(), optional: 'yes' })).rejects.toThrow(/optional must be a boolean/)
  })

  it('fails naming a misspelt option next to the gate options', async () => {
    await expect(boot({ issuers: issuers(), optinal: true })).rejects.toThrow(/optinal/)
  })

  it('refuses { gate } together with gate options, naming them', async () => {
    const gate = createGate({ issuers: issuers() })
    await expect(boot({ gate, issuers: issuers() })).rejects.toThrow(/either \{ gate \} or the gate options/)
    await expect(boot({ gate, optinal: true })).rejects.toThrow(/optinal/)
  })

  it('throws a TypeError for each of these', async () => {
    await expect(boot({ issuers: issuers(), errors: 'next' })).rejects.toBeInstanceOf(TypeError)
    await expect(boot({ gate: createGate({ issuers: issuers() }), issuers: [] })).rejects.toBeInstanceOf(
      TypeError,
    )
  })
})
