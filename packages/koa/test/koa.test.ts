import Router from '@koa/router'
import { vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { listen } from '@oidc-gate/testing/conformance'
import Koa3 from 'koa'
import Koa2 from 'koa2'
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
const withToken = (t = token) => ({ headers: { authorization: `Bearer ${t}` } })

describe.each([
  ['koa 3', Koa3],
  ['koa 2', Koa2],
] as const)('%s', (_name, Koa) => {
  async function serve(app: Koa3) {
    const server = await listen(app.callback())
    return Object.assign(server, { [Symbol.asyncDispose]: () => server.close() })
  }

  it('does not emit error on the app for 4xx refusals', async () => {
    const app = new Koa()
    const errors: unknown[] = []
    app.on('error', (error) => errors.push(error))
    const router = new Router()
    router.get('/', (ctx) => {
      ctx.body = 'ok'
    })
    router.get('/preview', requirePolicy({ environment: 'preview' }), (ctx) => {
      ctx.body = 'unreachable'
    })
    app.use(oidcGate(options()))
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

  it('answers 4xx as Koa’s default handler would: status, challenge, description as text', async () => {
    const app = new Koa()
    app.use(oidcGate({ ...options(), realm: 'api' }))
    await using server = await serve(app)
    const res = await fetch(server.url, withToken(await issuer.mint({}, { expired: true })))
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token"/)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await res.text()).not.toContain(token)
  })

  it('emits error on the app for a 503, which Koa answers with Retry-After', async () => {
    const app = new Koa()
    const errors: { status?: number }[] = []
    app.on('error', (error) => errors.push(error))
    app.use(oidcGate(options()))
    await using server = await serve(app)
    issuer.setFault({ kind: 'status', status: 500 })
    try {
      const res = await fetch(server.url, withToken())
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toMatch(/^[1-9]/)
    } finally {
      issuer.setFault(null)
    }
    expect(errors).toMatchObject([{ status: 503, code: 'ERR_KEYS_UNAVAILABLE' }])
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
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
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

  it('answers 500 and emits error naming the mistake when requirePolicy() runs without oidcGate()', async () => {
    const app = new Koa()
    const errors: Error[] = []
    app.on('error', (error) => errors.push(error))
    app.use(requirePolicy({ environment: 'production' }))
    await using server = await serve(app)
    expect((await fetch(server.url, withToken())).status).toBe(500)
    expect(errors[0]?.message).toMatch(/oidcGate\(\)/)
  })
})

describe('at boot', () => {
  it('throws a TypeError for bad gate options or a malformed route policy', () => {
    expect(() => oidcGate({ issuers: [] })).toThrow(TypeError)
    expect(() => requirePolicy({ environment: [] })).toThrow(TypeError)
  })
})
