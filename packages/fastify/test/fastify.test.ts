import { createGate, GateError, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bootChecks } from '../../express/test/boot-suite.js'
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

/** An error handler that records what reaches it and answers 418 `{ status, reason }`. */
function recordErrors(app: FastifyInstance): unknown[] {
  const seen: unknown[] = []
  app.setErrorHandler((error, _request, reply) => {
    seen.push(error)
    const { status, reason } = error as GateError
    return reply.code(418).send({ status, reason })
  })
  return seen
}

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

  it('applies the policy of a route declared before the plugin, and answers a misspelt one with 500 naming it', async () => {
    // Routes declared before app.register() are not seen when the plugin starts: their policy is
    // compiled on their first request, so a mistake there is the app's 500, never a 401 for the token.
    const server = Fastify()
    server.get('/early', { config: { policy: { environment: 'preview' } } }, async () => 'ok')
    server.get('/early-typo', { config: { policy: { not: { enviroment: 'preview' } } } }, async () => 'ok')
    await server.register(oidcGate(options()))
    for (let k = 0; k < 2; k++) {
      expect((await server.inject({ url: '/early', headers: withToken() })).statusCode).toBe(403)
      const typo = await server.inject({ url: '/early-typo', headers: withToken() })
      expect(typo.statusCode).toBe(500)
      expect(typo.headers['www-authenticate']).toBeUndefined()
      expect(typo.json()).toMatchObject({ message: expect.stringMatching(/"enviroment".*"environment"/s) })
    }
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
    const seen = recordErrors(app)
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
    const seen = recordErrors(app)
    await app.register(oidcGate(options(), { errors: 'framework' }))
    app.get('/', async () => 'unreachable')
    const res = await app.inject({ url: '/', headers: { authorization: 'Bearer' } })
    expect(res.statusCode).toBe(418)
    expect(res.json()).toEqual({ status: 400, reason: 'missing-token' })
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBeInstanceOf(GateError)
    expect(seen[0]).toMatchObject({ status: 400, headers: { 'www-authenticate': expect.any(String) } })
  })

  it('hands route policy refusals to it too, from config.policy and from requirePolicy()', async () => {
    const app = Fastify()
    const gate = createGate(options())
    recordErrors(app)
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

function routes(app: FastifyInstance) {
  app.get('/', async (request) => ({ project: request.auth?.vercel?.project ?? null }))
  app.get('/prod', { config: { policy: { environment: 'production' } } }, async () => 'prod')
  return app
}

describe('app.register(oidcGate, options)', () => {
  it('builds the gate from the gate options, with optional', async () => {
    const app = Fastify()
    await app.register(oidcGate, { ...options(), optional: true })
    routes(app)
    expect((await app.inject('/')).json()).toEqual({ project: null })
    const verified = await app.inject({ url: '/', headers: withToken() })
    expect(verified.json()).toEqual({ project: 'web' })
    expect(verified.headers['cache-control']).toBe('no-store')
    expect((await app.inject('/prod')).statusCode).toBe(401)
    expect((await app.inject({ url: '/', headers: { authorization: 'Bearer x' } })).statusCode).toBe(401)
  })

  it('uses the gate passed as { gate }', async () => {
    const app = Fastify()
    await app.register(oidcGate, { gate: createGate({ ...options(), realm: 'api' }) })
    routes(app)
    const refused = await app.inject('/')
    expect(refused.statusCode).toBe(401)
    expect(refused.headers['www-authenticate']).toMatch(/^Bearer realm="api"/)
    expect((await app.inject({ url: '/prod', headers: withToken() })).body).toBe('prod')
  })

  it("passes errors: 'framework' on to the plugin", async () => {
    const app = Fastify()
    const seen = recordErrors(app)
    await app.register(oidcGate, { gate: createGate(options()), errors: 'framework' })
    routes(app)
    expect((await app.inject('/')).statusCode).toBe(418)
    expect(seen[0]).toBeInstanceOf(GateError)
  })

  it('applies to the context it is registered in, like oidcGate(options)', async () => {
    const app = Fastify()
    app.get('/public', async () => 'public')
    await app.register(async (child) => {
      await child.register(oidcGate, options())
      child.get('/private', async () => 'private')
    })
    expect((await app.inject('/public')).statusCode).toBe(200)
    expect((await app.inject('/private')).statusCode).toBe(401)
  })
})

describe('app.register(oidcGate, options) at boot', () => {
  async function boot(pluginOptions: Record<string, unknown>) {
    const app = Fastify()
    try {
      await app.register(oidcGate, pluginOptions as never)
      await app.ready()
    } finally {
      await app.close()
    }
  }

  it('fails naming a bad gate option', async () => {
    await expect(boot({ issuers: [] })).rejects.toThrow(/issuers/)
    await expect(boot({ ...options(), clockTolerance: -1 })).rejects.toThrow(/clockTolerance/)
  })

  it('fails naming a bad adapter option', async () => {
    await expect(boot({ ...options(), errors: 'next' })).rejects.toThrow(/errors must be/)
    await expect(boot({ ...options(), optional: 'yes' })).rejects.toThrow(/optional must be a boolean/)
  })

  it('fails naming a misspelt option next to the gate options', async () => {
    await expect(boot({ ...options(), optinal: true })).rejects.toThrow(/optinal/)
  })

  it('refuses { gate } together with gate options, naming them', async () => {
    const gate = createGate(options())
    await expect(boot({ gate, issuers: options().issuers })).rejects.toThrow(
      /either \{ gate \} or the gate options/,
    )
    await expect(boot({ gate, optinal: true })).rejects.toThrow(/optinal/)
  })

  it('throws a TypeError for each of these', async () => {
    await expect(boot({ ...options(), errors: 'next' })).rejects.toBeInstanceOf(TypeError)
    await expect(boot({ gate: createGate(options()), issuers: [] })).rejects.toBeInstanceOf(TypeError)
  })
})

bootChecks({ name: 'fastify', oidcGate, requirePolicy, bound: false })
