/**
 * DESIGN §3, SECURITY K3, K4, §6.1: discovery against a third-party certified OpenID Provider,
 * `oidc-provider`, started on 127.0.0.1. It issues RFC 9068 JWT access tokens with the client
 * credentials grant and a resource indicator (RFC 8707); `oidc({ issuer, audience })`, with no
 * `jwksUri`, verifies them through the provider's own discovery document, over a real HTTP server.
 */

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import Provider from 'oidc-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AccessTokenClaims,
  createGate,
  fromNode,
  type Gate,
  type GateEvent,
  oidc,
  sendNode,
  toResponse,
} from '../src/index.js'
import { type LoopbackServer, segmentJson, startServer } from './helpers.js'

const API = 'https://orders.api.example.test'
const CLIENT = { id: 'orders-worker', secret: 'orders-worker-secret-0123456789abcdef' }

let provider: Server
let issuer: string
let providerRequests: string[]

/** The provider's storage: a Map per model, enough for one test run. */
class MapAdapter {
  private static readonly stores = new Map<string, Map<string, Record<string, unknown>>>()
  private readonly store: Map<string, Record<string, unknown>>

  constructor(name: string) {
    this.store = MapAdapter.stores.get(name) ?? new Map()
    MapAdapter.stores.set(name, this.store)
  }
  async upsert(id: string, payload: Record<string, unknown>): Promise<void> {
    this.store.set(id, payload)
  }
  async find(id: string): Promise<Record<string, unknown> | undefined> {
    return this.store.get(id)
  }
  async findByUid(uid: string): Promise<Record<string, unknown> | undefined> {
    return [...this.store.values()].find((p) => p.uid === uid)
  }
  async findByUserCode(code: string): Promise<Record<string, unknown> | undefined> {
    return [...this.store.values()].find((p) => p.userCode === code)
  }
  async consume(id: string): Promise<void> {
    const found = this.store.get(id)
    if (found !== undefined) found.consumed = Math.floor(Date.now() / 1000)
  }
  async destroy(id: string): Promise<void> {
    this.store.delete(id)
  }
  async revokeByGrantId(grantId: string): Promise<void> {
    for (const [id, p] of this.store) if (p.grantId === grantId) this.store.delete(id)
  }
}

/** Starts `oidc-provider` on 127.0.0.1 (a free port), signing access tokens with `alg`. */
async function startProvider(alg: 'ES256' | 'RS256' | 'EdDSA'): Promise<void> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: `${alg.toLowerCase()}-1`, alg, use: 'sig' }
  const op = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        // The provider holds one key: every signature it makes uses its algorithm.
        id_token_signed_response_alg: alg,
      },
    ],
    adapter: MapAdapter,
    cookies: { keys: ['oidc-gate-test-cookie-key'] },
    ttl: { ClientCredentials: 600 },
    jwks: { keys: [jwk] },
    scopes: ['orders:read', 'orders:write'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: 'orders:read orders:write',
          audience: resource,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg } },
        }),
      },
    },
  })
  providerRequests = []
  const handle = op.callback()
  server.on('request', (req, res) => {
    providerRequests.push(req.url ?? '')
    handle(req, res)
  })
  provider = server
}

/** An access token from the provider's token endpoint (client credentials, RFC 8707 resource). */
async function accessToken(resource = API, scope = 'orders:read'): Promise<string> {
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource, scope }),
  })
  const body = (await response.json()) as { access_token?: string; error?: string }
  if (body.access_token === undefined) throw new Error(`token endpoint: ${JSON.stringify(body)}`)
  return body.access_token
}

/** An API on 127.0.0.1 behind `gate`: 200 with the subject, or the gate's refusal. */
function api(gate: Gate<AccessTokenClaims>): Promise<LoopbackServer> {
  return startServer((req, res) => {
    gate.authenticate(fromNode(req, gate), { policy: { scope: { includes: 'orders:read' } } }).then(
      (auth) => res.writeHead(200, { 'content-type': 'text/plain' }).end(auth.claims.sub),
      (error: unknown) => sendNode(res, toResponse(error)),
    )
  })
}

for (const alg of ['ES256', 'RS256', 'EdDSA'] as const) {
  describe(`oidc-provider signing ${alg} access tokens`, () => {
    beforeAll(() => startProvider(alg))
    afterAll(
      () =>
        new Promise<void>((resolve) => {
          provider.close(() => resolve())
          provider.closeAllConnections()
        }),
    )

    it('issues RFC 9068 access tokens: typ at+jwt, the resource as aud, client_id and jti', async () => {
      const token = await accessToken()
      expect(segmentJson(token, 0)).toMatchObject({ alg, typ: 'at+jwt' })
      expect(segmentJson(token, 1)).toMatchObject({ iss: issuer, aud: API, client_id: CLIENT.id })
    })

    it('is verified by oidc({ issuer, audience }) with no jwksUri, from its discovery document', async () => {
      const events: GateEvent[] = []
      const gate = createGate({ issuers: [oidc({ issuer, audience: API })], onEvent: (e) => events.push(e) })
      try {
        providerRequests.length = 0
        const auth = await gate.verify(await accessToken())
        expect(auth).toMatchObject({
          issuer,
          profile: 'oidc',
          claims: { sub: CLIENT.id, scope: 'orders:read' },
        })
        const discovery = events.find((e) => e.type === 'discovery.fetch')
        expect(discovery).toMatchObject({ ok: true, url: `${issuer}/.well-known/openid-configuration` })
        expect(providerRequests).toEqual(['/token', '/.well-known/openid-configuration', '/jwks'])
      } finally {
        gate.close()
      }
    })

    it('admits the token over HTTP, and refuses one issued for another resource with 401', async () => {
      const gate = createGate({ issuers: [oidc({ issuer, audience: API })] })
      await gate.warmup()
      const server = await api(gate)
      try {
        const ok = await fetch(server.url, { headers: { authorization: `Bearer ${await accessToken()}` } })
        expect({ status: ok.status, body: await ok.text() }).toEqual({ status: 200, body: CLIENT.id })
        const other = await accessToken('https://billing.api.example.test')
        const refused = await fetch(server.url, { headers: { authorization: `Bearer ${other}` } })
        expect(refused.status).toBe(401)
        expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
      } finally {
        await server.close()
        gate.close()
      }
    })

    it("refuses the provider's tokens when the configured issuer differs by a terminating slash (K4)", async () => {
      const events: GateEvent[] = []
      const gate = createGate({
        issuers: [oidc({ issuer: `${issuer}/`, audience: API })],
        onEvent: (e) => events.push(e),
      })
      try {
        // The provider's own iss names another issuer: refused without a request.
        await expect(gate.verify(await accessToken())).rejects.toMatchObject({ status: 401, reason: 'iss' })
        // Its metadata names the issuer without the slash: not used, so warmup fails with 503.
        await expect(gate.warmup()).rejects.toMatchObject({ status: 503 })
        const refused = events.filter((e) => e.type === 'discovery.fetch' && !e.ok)
        expect(refused[0]).toMatchObject({ error: expect.stringMatching(/is not the configured issuer/) })
      } finally {
        gate.close()
      }
    })
  })
}
