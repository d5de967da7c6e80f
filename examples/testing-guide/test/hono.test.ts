import { createGate, vercel } from '@oidc-gate/core'
import { oidcGate } from '@oidc-gate/hono'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { Hono } from 'hono'
import { afterAll, beforeAll, expect, it } from 'vitest'

let issuer: TestIssuer
let app: Hono

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  const gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })
  app = new Hono()
  app.get('/whoami', oidcGate(gate), (c) => c.json({ team: c.var.auth?.vercel.owner }))
})

afterAll(async () => {
  await issuer.close()
})

it('answers a token of team acme, in process with app.request()', async () => {
  const token = await issuer.mint()
  const res = await app.request('/whoami', { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual({ team: 'acme' })
})

it('refuses a token of another team', async () => {
  const token = await issuer.mint({ owner: 'other' })
  const res = await app.request('/whoami', { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(401)
})
