import { createGate, GateError, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { handMadeAuth } from '../../express/test/robustness-suite.js'
import { oidcGate, type RequestAuth, requirePolicy } from '../src/index.js'

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
    expect(refused.json()).toMatchObject({ error: 'insufficient_scope' })
  })

  it('answers 401 without credentials in optional mode', async () => {
    const server = await app(true)
    expect((await server.inject('/prod')).statusCode).toBe(401)
  })

  it('answers 401, never 200, when another hook set request.auth and no token came', async () => {
    const server = Fastify()
    server.addHook('onRequest', async (request) => {
      request.auth = handMadeAuth(issuer.issuer) as RequestAuth
    })
    await server.register(oidcGate(options(), { optional: true }))
    server.get('/', { config: { policy: { not: { environment: 'preview' } } } }, async () => 'ok')
    const res = await server.inject('/')
    expect(res.statusCode).toBe(401)
    expect(res.json()).toMatchObject({ error: 'unauthorized' })
  })

  it('fails when the route is declared for a misspelt claim name, checked against the gate’s issuers', async () => {
    const server = Fastify()
    await server.register(oidcGate(options()))
    const policy = JSON.parse('{ "enviroment": "production" }') // as loaded from a configuration file
    expect(() => server.get('/typo', { config: { policy } }, async () => 'ok')).toThrow(
      /unknown claim "enviroment"; did you mean "environment"/,
    )
    const negated = { not: { enviroment: 'preview' } }
    expect(() => server.get('/not', { config: { policy: negated } }, async () => 'ok')).toThrow(TypeError)
  })

  it('fails at app.ready() for a misspelt claim name inside not, in a route of a child context', async () => {
    const server = Fastify()
    await server.register(oidcGate, { ...options() })
    server.register(async (child) => {
      child.get('/typo', { config: { policy: { not: { enviroment: 'preview' } } } }, async () => 'ok')
    })
    await expect(server.ready()).rejects.toThrow(/"enviroment"/)
  })
})

describe('requirePolicy()', () => {
  it('works as an onRequest or a preHandler route hook', async () => {
    const app = Fastify()
    const gate = createGate(options())
    await app.register(oidcGate(gate))
    app.get('/a', { onRequest: requirePolicy(gate, { environment: 'production' }) }, async () => 'a')
    app.get('/b', { preHandler: [requirePolicy(gate, { environment: 'preview' })] }, async () => 'b')
    expect((await app.inject({ url: '/a', headers: withToken() })).statusCode).toBe(200)
    expect((await app.inject({ url: '/b', headers: withToken() })).statusCode).toBe(403)
  })

  it('throws a TypeError at boot for a malformed policy or a misspelt claim, even inside not', () => {
    const gate = createGate(options())
    expect(() => requirePolicy(gate, { environment: [] })).toThrow(TypeError)
    // @ts-expect-error `enviroment` is not a Vercel claim
    expect(() => requirePolicy(gate, { not: { enviroment: 'preview' } })).toThrow(TypeError)
    // @ts-expect-error `enviroment` is not a Vercel claim
    expect(() => requirePolicy(gate, { not: { enviroment: 'preview' } })).toThrow(/"enviroment"/)
    // @ts-expect-error a policy where the gate goes (the former signature)
    expect(() => requirePolicy({ environment: 'production' })).toThrow(/first argument must be the gate/)
  })

  it('answers 500 naming the mistake without the plugin', async () => {
    const app = Fastify()
    const gate = createGate(options())
    app.get(
      '/',
      { preHandler: requirePolicy(gate, { environment: 'production' }) },
      async () => 'unreachable',
    )
    const res = await app.inject('/')
    expect(res.statusCode).toBe(500)
    expect(res.json().message).toMatch(/oidcGate\(\)/)
  })
})

describe('refusals', () => {
  it('are answered with the core’s JSON body, not Fastify’s error body', async () => {
    const app = Fastify()
    await app.register(oidcGate(createGate({ ...options(), realm: 'api' })))
    app.get('/', async () => 'unreachable')
    const res = await app.inject({ url: '/', headers: withToken(await issuer.mint({}, { expired: true })) })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) })
  })

  it('do not reach setErrorHandler by default', async () => {
    const app = Fastify()
    const seen: unknown[] = []
    app.setErrorHandler((error, _request, reply) => {
      seen.push(error)
      return reply.code(500).send('handler')
    })
    await app.register(oidcGate(options()))
    app.get('/', async () => 'unreachable')
    expect((await app.inject('/')).statusCode).toBe(401)
    expect(seen).toEqual([])
  })

  it('let the handler replace Cache-Control: no-store', async () => {
    const app = Fastify()
    await app.register(oidcGate(options()))
    app.get('/', async (_request, reply) => reply.header('cache-control', 'private').send('ok'))
    expect((await app.inject({ url: '/', headers: withToken() })).headers['cache-control']).toBe('private')
  })
})

describe("with errors: 'framework'", () => {
  it('hands the GateError, with its status and headers, to setErrorHandler', async () => {
    const app = Fastify()
    const seen: unknown[] = []
    app.setErrorHandler((error, _request, reply) => {
      seen.push(error)
      return reply.code(418).send({ reason: (error as GateError).reason })
    })
    await app.register(oidcGate(options(), { errors: 'framework' }))
    app.get('/', async () => 'unreachable')
    expect((await app.inject({ url: '/', headers: { authorization: 'Bearer' } })).json()).toEqual({
      reason: 'missing-token',
    })
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBeInstanceOf(GateError)
    expect(seen[0]).toMatchObject({ status: 400, headers: { 'www-authenticate': expect.any(String) } })
  })

  it('hands route policy refusals to it too, from config.policy and from requirePolicy()', async () => {
    const app = Fastify()
    const gate = createGate(options())
    app.setErrorHandler((error, _request, reply) =>
      reply.code(418).send({ status: (error as GateError).status, reason: (error as GateError).reason }),
    )
    await app.register(oidcGate(gate, { errors: 'framework' }))
    app.get('/config', { config: { policy: { environment: 'preview' } } }, async () => 'unreachable')
    app.get(
      '/hook',
      { preHandler: requirePolicy(gate, { environment: 'preview' }) },
      async () => 'unreachable',
    )
    for (const url of ['/config', '/hook']) {
      const res = await app.inject({ url, headers: withToken() })
      expect(res.json()).toEqual({ status: 403, reason: 'policy' })
    }
  })

  it('is answered by Fastify’s default error handler with the status and the challenge', async () => {
    const app = Fastify()
    await app.register(oidcGate(createGate({ ...options(), realm: 'api' }), { errors: 'framework' }))
    app.get('/', async () => 'unreachable')
    const res = await app.inject({ url: '/', headers: withToken(await issuer.mint({}, { expired: true })) })
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/)
    expect(res.json()).toMatchObject({ statusCode: 401, code: 'ERR_INVALID_TOKEN', error: 'Unauthorized' })
  })
})
