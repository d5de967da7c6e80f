import { vercel } from '@oidc-gate/core'
import { oidcGate } from '@oidc-gate/fastify'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import Fastify from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'

let issuer: TestIssuer
const app = Fastify()

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  await app.register(oidcGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] }))
  app.get('/deploy', { config: { policy: { environment: 'production' } } }, async (request) => ({
    project: request.auth?.vercel?.project,
  }))
})

afterAll(async () => {
  await app.close()
  await issuer.close()
})

it('lets a production token deploy', async () => {
  const token = await issuer.mint({ environment: 'production' })
  const res = await app.inject({ url: '/deploy', headers: { authorization: `Bearer ${token}` } })
  expect(res.statusCode).toBe(200)
  expect(res.json()).toEqual({ project: 'web' })
})

it('refuses a development token with 403 insufficient_scope', async () => {
  const token = await issuer.mint({ environment: 'development' })
  const res = await app.inject({ url: '/deploy', headers: { authorization: `Bearer ${token}` } })
  expect(res.statusCode).toBe(403)
  expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"')
})
