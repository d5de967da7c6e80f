import { createGate, GateError, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { listen } from '@oidc-gate/testing/conformance'
import express5, { type ErrorRequestHandler } from 'express'
import express4 from 'express4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { oidcGate, requirePolicy } from '../src/index.js'

let issuer: TestIssuer
beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
})
afterAll(() => issuer.close())

const options = () => ({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })

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
    const token = await issuer.mint({ project: 'web' })
    const ok = await fetch(server.url, { headers: { authorization: `Bearer ${token}` } })
    expect(await ok.json()).toEqual({ project: 'web' })
    expect((await fetch(server.url)).status).toBe(401)
  })

  it('hands the GateError to a custom error handler', async () => {
    const app = express()
    app.use(oidcGate(options()))
    app.get('/', (_req, res) => {
      res.send('unreachable')
    })
    const handler: ErrorRequestHandler = (err, _req, res, _next) => {
      expect(err).toBeInstanceOf(GateError)
      res.status(err.status).set(err.headers).json({ code: err.code, reason: err.reason })
    }
    app.use(handler)
    await using server = await serve(app)
    const token = await issuer.mint({}, { expired: true })
    const res = await fetch(server.url, { headers: { authorization: `Bearer ${token}` } })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
    expect(await res.json()).toEqual({ code: 'ERR_INVALID_TOKEN', reason: 'exp' })
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
    const res = await fetch(`${server.url}/api/items?access_token=${token}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(res.status).toBe(400)
  })

  it('lets the handler replace Cache-Control: no-store', async () => {
    const app = express()
    app.use(oidcGate(options()))
    app.get('/', (_req, res) => {
      res.set('cache-control', 'private, max-age=60').send('ok')
    })
    await using server = await serve(app)
    const res = await fetch(server.url, { headers: { authorization: `Bearer ${await issuer.mint()}` } })
    expect(res.headers.get('cache-control')).toBe('private, max-age=60')
  })

  it('answers 500 naming the mistake when requirePolicy() runs without oidcGate()', async () => {
    const app = express()
    let message = ''
    app.get('/', requirePolicy({ environment: 'production' }), (_req, res) => {
      res.send('unreachable')
    })
    const handler: ErrorRequestHandler = (err: Error, _req, res, _next) => {
      message = err.message
      res.sendStatus(500)
    }
    app.use(handler)
    await using server = await serve(app)
    expect((await fetch(server.url)).status).toBe(500)
    expect(message).toMatch(/oidcGate\(\)/)
  })
})

describe('at boot', () => {
  it('throws a TypeError for bad gate options', () => {
    expect(() => oidcGate({ issuers: [] })).toThrow(TypeError)
  })

  it('throws a TypeError for a malformed route policy', () => {
    expect(() => requirePolicy({ environment: [] })).toThrow(TypeError)
  })

  it('accepts a policy compiled by the gate, with its claim names checked', () => {
    const gate = createGate(options())
    // @ts-expect-error `enviroment` is not a Vercel claim
    expect(() => requirePolicy(gate.compilePolicy({ enviroment: 'production' }))).toThrow(/environment/)
    expect(() => requirePolicy(gate.compilePolicy({ environment: 'production' }))).not.toThrow()
  })
})
