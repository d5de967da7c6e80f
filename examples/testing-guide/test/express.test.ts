import type { AddressInfo } from 'node:net'
import { vercel } from '@oidc-gate/core'
import { oidcGate } from '@oidc-gate/express'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import express from 'express'
import { afterAll, beforeAll, expect, it } from 'vitest'

let issuer: TestIssuer
let server: ReturnType<express.Express['listen']>
let url: string

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  const app = express()
  app.use(oidcGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] }))
  app.get('/whoami', (req, res) => {
    res.json({ project: req.auth?.vercel?.project })
  })
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.close()
  await issuer.close()
})

it('answers a preview token of project web', async () => {
  const token = await issuer.mint({ project: 'web', environment: 'preview' })
  const res = await fetch(`${url}/whoami`, { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual({ project: 'web' })
})

it('refuses an expired token with 401 invalid_token', async () => {
  const token = await issuer.mint({}, { expired: true })
  const res = await fetch(`${url}/whoami`, { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(401)
  expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
})
