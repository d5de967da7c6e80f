import { createGate, GateError, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { oidcGate, requirePolicy } from '../src/index.js'

let issuer: TestIssuer
let token: string
beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  token = await issuer.mint({ project: 'web', environment: 'production' })
})
afterAll(() => issuer.close())

const options = () => ({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })
const withToken = (t = token) => ({ authorization: `Bearer ${t}` })

describe('encapsulation', () => {
  it('protects only the context it is registered in', async () => {
    const app = Fastify()
    app.get('/public', async (request) => ({ auth: request.auth }))
    await app.register(async (child) => {
      await child.register(oidcGate(options()))
      child.get('/private', async (request) => ({ project: request.auth?.vercel?.project }))
    })
    // Outside the plugin's context requests have no `auth` decorator at all.
    expect((await app.inject('/public')).json()).toEqual({})
    expect((await app.inject('/private')).statusCode).toBe(401)
    expect((await app.inject({ url: '/private', headers: withToken() })).json()).toEqual({ project: 'web' })
  })

  it('can be registered in sibling and nested contexts', async () => {
    const app = Fastify()
    await app.register(oidcGate(options()))
    await app.register(async (child) => {
      await child.register(oidcGate(options(), { optional: true }))
      child.get('/a', async () => 'a')
    })
    await app.register(async (child) => {
      await child.register(oidcGate(options(), { optional: true }))
      child.get('/b', async () => 'b')
    })
    await app.ready()
    // The outer, required gate still runs first.
    expect((await app.inject('/a')).statusCode).toBe(401)
    expect((await app.inject({ url: '/b', headers: withToken() })).body).toBe('b')
  })
})

describe('route config.policy', () => {
  async function app(optional = false) {
    const app = Fastify()
    await app.register(oidcGate(options(), { optional }))
    app.get('/prod', { config: { policy: { environment: 'production' } } }, async () => 'ok')
    app.get('/preview', { config: { policy: { environment: 'preview' } } }, async () => 'ok')
    return app
  }

  it('admits a token the policy accepts and refuses one it does not with 403', async () => {
    const server = await app()
    expect((await server.inject({ url: '/prod', headers: withToken() })).statusCode).toBe(200)
    const refused = await server.inject({ url: '/preview', headers: withToken() })
    expect(refused.statusCode).toBe(403)
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer error="insufficient_scope"/)
  })

  it('answers 401 without credentials in optional mode', async () => {
    const server = await app(true)
    expect((await server.inject('/prod')).statusCode).toBe(401)
  })

  it('fails when the route is declared for a misspelt claim name, checked against the gate’s issuers', async () => {
    const server = Fastify()
    await server.register(oidcGate(options()))
    const policy = JSON.parse('{ "enviroment": "production" }') // as loaded from a configuration file
    expect(() => server.get('/typo', { config: { policy } }, async () => 'ok')).toThrow(
      /unknown claim "enviroment"; did you mean "environment"/,
    )
  })
})

describe('requirePolicy()', () => {
  it('works as an onRequest or a preHandler route hook', async () => {
    const app = Fastify()
    await app.register(oidcGate(options()))
    app.get('/a', { onRequest: requirePolicy({ environment: 'production' }) }, async () => 'a')
    app.get('/b', { preHandler: [requirePolicy({ environment: 'preview' })] }, async () => 'b')
    expect((await app.inject({ url: '/a', headers: withToken() })).statusCode).toBe(200)
    expect((await app.inject({ url: '/b', headers: withToken() })).statusCode).toBe(403)
  })

  it('throws at boot for a malformed policy', () => {
    expect(() => requirePolicy({ environment: [] })).toThrow(TypeError)
  })

  it('answers 500 naming the mistake without the plugin', async () => {
    const app = Fastify()
    app.get('/', { preHandler: requirePolicy({ environment: 'production' }) }, async () => 'unreachable')
    const res = await app.inject('/')
    expect(res.statusCode).toBe(500)
    expect(res.json().message).toMatch(/oidcGate\(\)/)
  })
})

describe('errors', () => {
  it('answers with Fastify’s default JSON error body and the challenge', async () => {
    const app = Fastify()
    await app.register(oidcGate(createGate({ ...options(), realm: 'api' })))
    app.get('/', async () => 'unreachable')
    const res = await app.inject({ url: '/', headers: withToken(await issuer.mint({}, { expired: true })) })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/)
    expect(res.json()).toMatchObject({ statusCode: 401, code: 'ERR_INVALID_TOKEN', error: 'Unauthorized' })
  })

  it('hands the GateError to setErrorHandler', async () => {
    const app = Fastify()
    app.setErrorHandler((error, _request, reply) => {
      expect(error).toBeInstanceOf(GateError)
      return reply.code(418).send({ reason: (error as GateError).reason })
    })
    await app.register(oidcGate(options()))
    app.get('/', async () => 'unreachable')
    expect((await app.inject({ url: '/', headers: { authorization: 'Bearer' } })).json()).toEqual({
      reason: 'missing-token',
    })
  })

  it('lets the handler replace Cache-Control: no-store', async () => {
    const app = Fastify()
    await app.register(oidcGate(options()))
    app.get('/', async (_request, reply) => reply.header('cache-control', 'private').send('ok'))
    expect((await app.inject({ url: '/', headers: withToken() })).headers['cache-control']).toBe('private')
  })
})
