import Router from '@koa/router'
import { createGate, GateError, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { listen } from '@oidc-gate/testing/conformance'
import Koa3 from 'koa'
import Koa2 from 'koa2'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { bootChecks } from '../../express/test/boot-suite.js'
import { watchProcess } from '../../express/test/robustness-suite.js'
import { oidcGate, requirePolicy } from '../src/index.js'

let issuer: TestIssuer
let token: string
beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  token = await issuer.mint({ project: 'web', environment: 'production' })
})
afterAll(() => issuer.close())

const options = () => ({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })
const withToken = (t = token) => ({ headers: { authorization: `Bearer ${t}` } })

describe.each([
  ['koa 3', Koa3],
  ['koa 2', Koa2],
] as const)('%s', (_name, Koa) => {
  async function serve(app: Koa3) {
    const server = await listen(app.callback())
    return Object.assign(server, { [Symbol.asyncDispose]: () => server.close() })
  }

  /** Makes the JWKS fail: a gate that never fetched the keys answers 503. */
  async function outage<T>(run: () => Promise<T>): Promise<T> {
    issuer.setFault({ kind: 'status', status: 500 })
    try {
      return await run()
    } finally {
      issuer.setFault(null)
    }
  }

  it('does not emit error on the app for refusals', async () => {
    const app = new Koa()
    const errors: unknown[] = []
    app.on('error', (error) => errors.push(error))
    const gate = createGate(options())
    const router = new Router()
    router.get('/', (ctx) => {
      ctx.body = 'ok'
    })
    router.get('/preview', requirePolicy(gate, { environment: 'preview' }), (ctx) => {
      ctx.body = 'unreachable'
    })
    app.use(oidcGate(gate))
    app.use(router.routes())
    await using server = await serve(app)
    const statuses = [
      (await fetch(server.url)).status,
      (await fetch(server.url, { headers: { authorization: 'Bearer' } })).status,
      (await fetch(server.url, withToken(await issuer.mint({}, { expired: true })))).status,
      (await fetch(`${server.url}/preview`, withToken())).status,
    ]
    expect(statuses).toEqual([401, 400, 401, 403])
    expect(errors).toEqual([])
  })

  it('answers a 503 itself with Retry-After and the JSON body, without the error event', async () => {
    const app = new Koa()
    const errors: unknown[] = []
    app.on('error', (error) => errors.push(error))
    app.use(oidcGate(options()))
    await using server = await serve(app)
    const res = await outage(() => fetch(server.url, withToken()))
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toMatch(/^[1-9]/)
    expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' })
    expect(errors).toEqual([])
  })

  it('answers 4xx with the challenge and the JSON body instead of Koa’s text', async () => {
    const app = new Koa()
    app.use(oidcGate({ ...options(), realm: 'api' }))
    await using server = await serve(app)
    const res = await fetch(server.url, withToken(await issuer.mint({}, { expired: true })))
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token"/)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await res.text()
    expect(body).not.toContain(token)
    expect(JSON.parse(body)).toEqual({ error: 'invalid_token', error_description: expect.any(String) })
  })

  it('lets an outer middleware see and reshape a refusal', async () => {
    const app = new Koa()
    app.use(async (ctx, next) => {
      await next()
      if (ctx.status === 401) ctx.body = { error: 'login required' }
    })
    app.use(oidcGate(options()))
    await using server = await serve(app)
    const res = await fetch(server.url)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer(?![^,]* error=)/)
    expect(await res.json()).toEqual({ error: 'login required' })
  })

  it('lets the handler replace Cache-Control: no-store', async () => {
    const app = new Koa()
    app.use(oidcGate(options()))
    app.use((ctx) => {
      ctx.set('cache-control', 'private')
      ctx.body = { project: ctx.state.auth?.vercel?.project }
    })
    await using server = await serve(app)
    const res = await fetch(server.url, withToken())
    expect(res.headers.get('cache-control')).toBe('private')
    expect(await res.json()).toEqual({ project: 'web' })
  })

  it('applies oidcGate().requirePolicy(), bound to its gate', async () => {
    const app = new Koa()
    const auth = oidcGate(options())
    const router = new Router()
    router.get('/prod', auth.requirePolicy({ environment: 'production' }), (ctx) => {
      ctx.body = 'prod'
    })
    router.get('/preview', auth.requirePolicy({ environment: 'preview' }), (ctx) => {
      ctx.body = 'preview'
    })
    app.use(auth)
    app.use(router.routes())
    await using server = await serve(app)
    expect(await (await fetch(`${server.url}/prod`, withToken())).text()).toBe('prod')
    expect((await fetch(`${server.url}/preview`, withToken())).status).toBe(403)
  })

  it('answers 500 and emits error naming the mistake when requirePolicy() runs without oidcGate()', async () => {
    const app = new Koa()
    const errors: Error[] = []
    app.on('error', (error) => errors.push(error))
    app.use(requirePolicy(createGate(options()), { environment: 'production' }))
    await using server = await serve(app)
    expect((await fetch(server.url, withToken())).status).toBe(500)
    expect(errors[0]?.message).toMatch(/oidcGate\(\)/)
  })

  it('has that mistake logged by Koa’s default error listener', async () => {
    vi.stubEnv('NODE_ENV', undefined)
    try {
      using watch = watchProcess()
      const app = new Koa()
      app.use(requirePolicy(createGate(options()), { environment: 'production' }))
      await using server = await serve(app)
      expect((await fetch(server.url, withToken())).status).toBe(500)
      expect(String(watch.output()[0]?.[0])).toMatch(/requirePolicy\(\) needs oidcGate\(\)/)
    } finally {
      vi.unstubAllEnvs()
    }
  })

  describe("with errors: 'framework'", () => {
    it('throws the GateError, with its status and headers, to a try/catch upstream', async () => {
      const app = new Koa()
      const caught: unknown[] = []
      app.use(async (ctx, next) => {
        try {
          await next()
        } catch (error) {
          caught.push(error)
          ctx.status = 418
          ctx.body = { reason: (error as GateError).reason }
        }
      })
      app.use(oidcGate(options(), { errors: 'framework' }))
      await using server = await serve(app)
      const res = await fetch(server.url, { headers: { authorization: 'Bearer' } })
      expect(res.status).toBe(418)
      expect(await res.json()).toEqual({ reason: 'missing-token' })
      expect(caught[0]).toBeInstanceOf(GateError)
      expect(caught[0]).toMatchObject({ status: 400, headers: { 'www-authenticate': expect.any(String) } })
    })

    it('throws requirePolicy() refusals the same way', async () => {
      const app = new Koa()
      const caught: unknown[] = []
      app.use(async (ctx, next) => {
        await next().catch((error: unknown) => {
          caught.push(error)
          ctx.status = 418
        })
      })
      const auth = oidcGate(options(), { errors: 'framework' })
      app.use(auth)
      app.use(auth.requirePolicy({ environment: 'preview' }))
      await using server = await serve(app)
      expect((await fetch(server.url, withToken())).status).toBe(418)
      expect(caught).toMatchObject([{ status: 403, reason: 'policy' }])
    })

    it('emits error on the app, and ctx.onerror answers with the status and the challenge', async () => {
      const errors: unknown[] = []
      const start = () => {
        const app = new Koa()
        app.on('error', (error) => errors.push(error))
        app.use(oidcGate({ ...options(), realm: 'api' }, { errors: 'framework' }))
        return serve(app)
      }
      await using server = await start()
      const expired = await fetch(server.url, withToken(await issuer.mint({}, { expired: true })))
      expect(expired.status).toBe(401)
      expect(expired.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token"/)
      await using cold = await start()
      const res = await outage(() => fetch(cold.url, withToken()))
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toMatch(/^[1-9]/)
      expect(errors).toHaveLength(2)
      expect(errors[0]).toBeInstanceOf(GateError)
      expect(errors).toMatchObject([
        { status: 401, code: 'ERR_INVALID_TOKEN' },
        { status: 503, code: 'ERR_KEYS_UNAVAILABLE' },
      ])
    })
  })
})

bootChecks({ name: 'koa', oidcGate, requirePolicy, bound: true })
