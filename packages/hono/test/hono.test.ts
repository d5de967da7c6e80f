import { GateError, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

  it('answers through the default onError: status, challenge and a small JSON body', async () => {
    const app = new Hono()
    app.use(oidcGate(options()))
    app.get('/', (c) => c.text('unreachable'))
    const expired = await app.request('/', withToken(await issuer.mint({}, { expired: true })))
    expect(expired.status).toBe(401)
    expect(expired.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token"/)
    expect(await expired.json()).toEqual({ error: 'invalid_token', error_description: expect.any(String) })

    const missing = await app.request('/')
    expect(missing.status).toBe(401)
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="api"')
    expect(await missing.text()).toBe('')
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

  it('applies requirePolicy() in a sub-app mounted with app.route()', async () => {
    const api = new Hono()
    api.get('/prod', requirePolicy({ environment: 'production' }), (c) => c.text('prod'))
    api.get('/preview', requirePolicy({ environment: 'preview' }), (c) => c.text('preview'))
    const app = new Hono()
    app.use(oidcGate(options()))
    app.route('/api', api)
    expect((await app.request('/api/prod', withToken())).status).toBe(200)
    const refused = await app.request('/api/preview', withToken())
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/)
  })
})

describe('HTTPException', () => {
  it('carries the GateError as cause and the RFC 6750 response', async () => {
    const app = new Hono()
    let caught: unknown
    app.onError((error, c) => {
      caught = error
      return error instanceof HTTPException ? error.getResponse() : c.text('unexpected', 500)
    })
    app.use(oidcGate(options()))
    app.get('/', (c) => c.text('unreachable'))
    const res = await app.request('/', { headers: { authorization: 'Bearer' } })
    expect(res.status).toBe(400)
    expect(caught).toBeInstanceOf(HTTPException)
    const exception = caught as HTTPException
    expect(exception.status).toBe(400)
    expect(exception.cause).toBeInstanceOf(GateError)
    expect((exception.cause as GateError).reason).toBe('missing-token')
  })

  it('is not used for a misplaced requirePolicy(): that is a 500 naming the mistake', async () => {
    const app = new Hono()
    let message = ''
    app.onError((error, c) => {
      message = error.message
      return c.text('error', 500)
    })
    app.get('/', requirePolicy({ environment: 'production' }), (c) => c.text('unreachable'))
    expect((await app.request('/', withToken())).status).toBe(500)
    expect(message).toMatch(/oidcGate\(\)/)
  })
})

describe('at boot', () => {
  it('throws a TypeError for bad gate options or a malformed route policy', () => {
    expect(() => oidcGate({ issuers: [] })).toThrow(TypeError)
    expect(() => requirePolicy({ environment: [] })).toThrow(TypeError)
  })
})
