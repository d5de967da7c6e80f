import { createGate, GateError, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

const options = () => ({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })], realm: 'api' })
const withToken = (t = token) => ({ headers: { authorization: `Bearer ${t}` } })

describe('in process with app.request()', () => {
  it('stores the verified token in c.var.auth and c.get("auth")', async () => {
    const app = new Hono()
    app.use(oidcGate(options()))
    app.get('/', (c) => c.json({ project: c.var.auth?.vercel?.project, same: c.get('auth') === c.var.auth }))
    const res = await app.request('/', withToken())
    expect(await res.json()).toEqual({ project: 'web', same: true })
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('answers a refusal itself: status, challenge, no-store and the JSON body', async () => {
    const app = new Hono()
    app.use(oidcGate(options()))
    app.get('/', (c) => c.text('unreachable'))
    const expired = await app.request('/', withToken(await issuer.mint({}, { expired: true })))
    expect(expired.status).toBe(401)
    expect(expired.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token"/)
    expect(expired.headers.get('cache-control')).toBe('no-store')
    expect(await expired.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) })

    const missing = await app.request('/')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm="api"(?![^,]* error=)/)
    expect(await missing.json()).toEqual({ error: 'unauthorized', error_description: expect.any(String) })
  })

  it('answers 400 for two Authorization lines, which Fetch Headers join with ", "', async () => {
    const app = new Hono()
    app.use(oidcGate(options()))
    app.get('/', (c) => c.text('unreachable'))
    const headers = new Headers()
    headers.append('authorization', `Bearer ${token}`)
    headers.append('authorization', `Bearer ${token}`)
    const res = await app.request('/', { headers })
    expect(res.status).toBe(400)
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_request"/)
  })

  it('lets the handler replace Cache-Control: no-store', async () => {
    const app = new Hono()
    app.use(oidcGate(options()))
    app.get('/', (c) => c.text('ok', 200, { 'cache-control': 'private' }))
    expect((await app.request('/', withToken())).headers.get('cache-control')).toBe('private')
  })

  it('applies requirePolicy(gate, policy) in a sub-app mounted with app.route()', async () => {
    const gate = createGate(options())
    const api = new Hono()
    api.get('/prod', requirePolicy(gate, { environment: 'production' }), (c) => c.text('prod'))
    api.get('/preview', requirePolicy(gate, { environment: 'preview' }), (c) => c.text('preview'))
    const app = new Hono()
    app.use(oidcGate(gate))
    app.route('/api', api)
    expect((await app.request('/api/prod', withToken())).status).toBe(200)
    const refused = await app.request('/api/preview', withToken())
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/)
  })

  it('applies oidcGate().requirePolicy(), bound to its gate', async () => {
    const auth = oidcGate(options())
    const app = new Hono()
    app.get('/prod', auth, auth.requirePolicy({ environment: 'production' }), (c) => c.text('prod'))
    app.get('/preview', auth, auth.requirePolicy({ environment: 'preview' }), (c) => c.text('preview'))
    expect(await (await app.request('/prod', withToken())).text()).toBe('prod')
    expect((await app.request('/preview', withToken())).status).toBe(403)
  })
})

describe("with errors: 'framework'", () => {
  it('throws an HTTPException for app.onError: the GateError as cause, the core’s response', async () => {
    const app = new Hono()
    let caught: unknown
    app.onError((error, c) => {
      caught = error
      return error instanceof HTTPException ? error.getResponse() : c.text('unexpected', 500)
    })
    app.use(oidcGate(options(), { errors: 'framework' }))
    app.get('/', (c) => c.text('unreachable'))
    const res = await app.request('/', { headers: { authorization: 'Bearer' } })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: expect.any(String) })
    expect(caught).toBeInstanceOf(HTTPException)
    const exception = caught as HTTPException
    expect(exception.status).toBe(400)
    expect(exception.cause).toBeInstanceOf(GateError)
    expect(exception.cause).toMatchObject({
      status: 400,
      reason: 'missing-token',
      headers: { 'www-authenticate': expect.stringMatching(/^Bearer realm="api", error="invalid_request"/) },
    })
  })

  it('throws requirePolicy() refusals the same way', async () => {
    const app = new Hono()
    const causes: unknown[] = []
    app.onError((error, c) => {
      causes.push(error.cause)
      return c.text('handled', 418)
    })
    const auth = oidcGate(options(), { errors: 'framework' })
    app.get('/', auth, auth.requirePolicy({ environment: 'preview' }), (c) => c.text('unreachable'))
    expect((await app.request('/', withToken())).status).toBe(418)
    expect(causes).toMatchObject([{ status: 403, reason: 'policy' }])
  })

  it('is answered by Hono’s default error handler with the status and the challenge', async () => {
    const app = new Hono()
    app.use(oidcGate(options(), { errors: 'framework' }))
    app.get('/', (c) => c.text('unreachable'))
    const res = await app.request('/', withToken(await issuer.mint({}, { expired: true })))
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token"/)
    expect(await res.json()).toMatchObject({ error: 'invalid_token' })
  })
})

describe('a misplaced requirePolicy()', () => {
  it('is not an HTTPException but a 500 naming the mistake, which Hono’s default handler logs', async () => {
    using watch = watchProcess()
    const app = new Hono()
    app.get('/', requirePolicy(createGate(options()), { environment: 'production' }), (c) => c.text('x'))
    expect((await app.request('/', withToken())).status).toBe(500)
    expect(String(watch.output()[0]?.[0])).toMatch(/requirePolicy\(\) needs oidcGate\(\)/)
  })

  it('reaches app.onError as a plain Error', async () => {
    const app = new Hono()
    let caught: unknown
    app.onError((error, c) => {
      caught = error
      return c.text('error', 500)
    })
    app.get('/', requirePolicy(createGate(options()), { environment: 'production' }), (c) => c.text('x'))
    expect((await app.request('/', withToken())).status).toBe(500)
    expect(caught).not.toBeInstanceOf(HTTPException)
    expect((caught as Error).message).toMatch(/oidcGate\(\)/)
  })
})

bootChecks({ name: 'hono', oidcGate, requirePolicy, bound: true })
