import { createGate, GateError, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { listen } from '@oidc-gate/testing/conformance'
import express5, { type ErrorRequestHandler } from 'express'
import express4 from 'express4'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { oidcGate, requirePolicy } from '../src/index.js'
import { bootChecks } from './boot-suite.js'
import { watchProcess } from './robustness-suite.js'

let issuer: TestIssuer
beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
})
afterAll(() => issuer.close())

const options = () => ({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

describe.each([
  ['express 5', express5],
  ['express 4', express4],
] as const)('%s', (_name, express) => {
  async function serve(app: ReturnType<typeof express>) {
    const server = await listen(app)
    return Object.assign(server, { [Symbol.asyncDispose]: () => server.close() })
  }

  it('builds the gate from GateOptions', async () => {
    const app = express()
    app.use(oidcGate(options()))
    app.get('/', (req, res) => {
      res.json({ project: req.auth?.vercel?.project })
    })
    await using server = await serve(app)
    const ok = await fetch(server.url, bearer(await issuer.mint({ project: 'web' })))
    expect(await ok.json()).toEqual({ project: 'web' })
    expect((await fetch(server.url)).status).toBe(401)
  })

  it('applies the policy of oidcGate().requirePolicy(), bound to its gate', async () => {
    const app = express()
    const auth = oidcGate(options())
    app.use(auth)
    app.get('/prod', auth.requirePolicy({ environment: 'production' }), (_req, res) => {
      res.send('prod')
    })
    app.get('/preview', auth.requirePolicy({ environment: 'preview' }), (_req, res) => {
      res.send('preview')
    })
    await using server = await serve(app)
    const token = await issuer.mint({ environment: 'production' })
    expect(await (await fetch(`${server.url}/prod`, bearer(token))).text()).toBe('prod')
    const refused = await fetch(`${server.url}/preview`, bearer(token))
    expect(refused.status).toBe(403)
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope"/)
    expect(await refused.json()).toMatchObject({ error: 'insufficient_scope' })
  })

  it('reads the original URL inside a mounted router', async () => {
    const app = express()
    const api = express.Router()
    api.use(oidcGate(options()))
    api.get('/items', (_req, res) => {
      res.send('ok')
    })
    app.use('/api', api)
    await using server = await serve(app)
    const token = await issuer.mint()
    const res = await fetch(`${server.url}/api/items?access_token=${token}`, bearer(token))
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: 'invalid_request' })
  })

  it('lets the handler replace Cache-Control: no-store', async () => {
    const app = express()
    app.use(oidcGate(options()))
    app.get('/', (_req, res) => {
      res.set('cache-control', 'private, max-age=60').send('ok')
    })
    await using server = await serve(app)
    const res = await fetch(server.url, bearer(await issuer.mint()))
    expect(res.headers.get('cache-control')).toBe('private, max-age=60')
  })

  it('answers 500 naming the mistake when requirePolicy() runs without oidcGate(), which Express logs', async () => {
    vi.stubEnv('NODE_ENV', undefined)
    try {
      using watch = watchProcess()
      const app = express()
      app.get('/', requirePolicy(createGate(options()), { environment: 'production' }), (_req, res) => {
        res.send('unreachable')
      })
      await using server = await serve(app)
      expect((await fetch(server.url)).status).toBe(500)
      // Express's final handler logs the bug (the same watch sees nothing for refusals).
      await vi.waitFor(() => expect(String(watch.output()[0]?.[0])).toMatch(/needs oidcGate\(\)/))
    } finally {
      vi.unstubAllEnvs()
    }
  })

  describe("with errors: 'framework'", () => {
    it('hands the GateError, with its status and headers, to the error middleware', async () => {
      const app = express()
      app.use(oidcGate(options(), { errors: 'framework' }))
      app.get('/', (_req, res) => {
        res.send('unreachable')
      })
      const seen: unknown[] = []
      const handler: ErrorRequestHandler = (err, _req, res, _next) => {
        seen.push(err)
        res.status(err.status).set(err.headers).json({ code: err.code, reason: err.reason })
      }
      app.use(handler)
      await using server = await serve(app)
      const res = await fetch(server.url, bearer(await issuer.mint({}, { expired: true })))
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
      expect(await res.json()).toEqual({ code: 'ERR_INVALID_TOKEN', reason: 'exp' })
      expect(seen).toHaveLength(1)
      expect(seen[0]).toBeInstanceOf(GateError)
      expect(seen[0]).toMatchObject({ status: 401, headers: { 'www-authenticate': expect.any(String) } })
    })

    it('hands requirePolicy() refusals to it too', async () => {
      const app = express()
      const auth = oidcGate(options(), { errors: 'framework' })
      app.use(auth)
      app.get('/', auth.requirePolicy({ environment: 'preview' }), (_req, res) => {
        res.send('unreachable')
      })
      const handler: ErrorRequestHandler = (err, _req, res, _next) => {
        res.status(418).json({ status: err.status, reason: err.reason })
      }
      app.use(handler)
      await using server = await serve(app)
      const res = await fetch(server.url, bearer(await issuer.mint({ environment: 'production' })))
      expect(await res.json()).toEqual({ status: 403, reason: 'policy' })
    })

    it("is answered by Express's default handler with the status and the challenge", async () => {
      const app = express()
      app.use(oidcGate(options(), { errors: 'framework' }))
      app.get('/', (_req, res) => {
        res.send('unreachable')
      })
      await using server = await serve(app)
      const res = await fetch(server.url, bearer(await issuer.mint({}, { expired: true })))
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
      const missing = await fetch(server.url)
      expect(missing.status).toBe(401)
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer(?![^,]* error=)/)
    })
  })
})

bootChecks({ name: 'express', oidcGate, requirePolicy, bound: true })
