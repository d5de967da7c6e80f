import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { vercel } from '@oidc-gate/core'
import { oidcGate } from '@oidc-gate/koa'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import Koa from 'koa'
import { afterAll, beforeAll, expect, it } from 'vitest'

let issuer: TestIssuer
let server: Server
let url: string

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  const app = new Koa()
  app.use(oidcGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] }))
  app.use((ctx) => {
    ctx.body = { environment: ctx.state.auth?.vercel?.environment }
  })
  server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.close()
  await issuer.close()
})

it('answers a development token with its environment', async () => {
  const token = await issuer.mint({ environment: 'development' })
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual({ environment: 'development' })
})

it('answers a request without a token with 401 and a bare challenge', async () => {
  const res = await fetch(url)
  expect(res.status).toBe(401)
  expect(res.headers.get('www-authenticate')).toBe('Bearer, DPoP algs="ES256 EdDSA Ed25519 RS256 PS256"')
})
