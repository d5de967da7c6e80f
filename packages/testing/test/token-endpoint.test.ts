import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ACCESS_TOKEN_TTL, createTestIssuer, DEFAULT_TEST_CLIENT, type TestIssuer } from '../src/index.js'

const CLIENT = { id: 'mcp-client', secret: 's3cret+/=:', scopes: ['files:read', 'files:list'] }
const OTHER = { id: 'other', secret: 'other-secret' }

let issuer: TestIssuer
beforeAll(async () => {
  issuer = await createTestIssuer({ profile: 'oidc', clients: [CLIENT, OTHER] })
})
afterAll(() => issuer.close())

function basic(id: string, secret: string): string {
  const form = (text: string) => encodeURIComponent(text).replace(/%20/g, '+')
  return `Basic ${Buffer.from(`${form(id)}:${form(secret)}`).toString('base64')}`
}

function tokenRequest(
  params: Record<string, string | string[]>,
  headers: Record<string, string> = { authorization: basic(CLIENT.id, CLIENT.secret) },
): Promise<Response> {
  const body = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) for (const v of [value].flat()) body.append(name, v)
  return fetch(issuer.tokenEndpoint as string, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  })
}

async function expectError(response: Response, status: number, error: string): Promise<void> {
  expect(response.status).toBe(status)
  expect(response.headers.get('cache-control')).toBe('no-store')
  expect(await response.json()).toEqual({ error, error_description: expect.any(String) })
}

async function verified(token: string) {
  return jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
    issuer: issuer.issuer,
    typ: 'at+jwt',
  })
}

describe('the authorization server metadata (RFC 8414)', () => {
  it('lists the token endpoint, the grant, the client authentication methods and the scopes, in both documents', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const metadata = await (await fetch(`${issuer.url}${path}`)).json()
      expect(metadata, path).toMatchObject({
        issuer: issuer.issuer,
        token_endpoint: `${issuer.url}/token`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        scopes_supported: ['openid', 'files:read', 'files:list'],
      })
    }
  })

  it('refuses every authorization request: only client credentials are granted', async () => {
    const response = await fetch(`${issuer.url}/authorize?response_type=code&client_id=mcp-client`)
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: 'unsupported_response_type' })
  })
})

describe('POST /token with client credentials', () => {
  it('issues an RFC 9068 at+jwt for the resource, with the requested scopes', async () => {
    const response = await tokenRequest({
      grant_type: 'client_credentials',
      resource: 'https://files.example.test/mcp',
      scope: 'files:read',
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = (await response.json()) as Record<string, unknown>
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_TTL,
      scope: 'files:read',
    })
    const token = body.access_token as string
    expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', kid: issuer.kid })
    const { payload } = await verified(token)
    expect(payload).toEqual({
      iss: issuer.issuer,
      sub: CLIENT.id,
      client_id: CLIENT.id,
      aud: 'https://files.example.test/mcp',
      scope: 'files:read',
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iat: expect.any(Number),
      exp: (payload.iat as number) + ACCESS_TOKEN_TTL,
    })
  })

  it('grants all the client may have without scope, the issuer audience without resource, and fresh jti', async () => {
    const first = (await (await tokenRequest({ grant_type: 'client_credentials' })).json()) as Record<
      string,
      string
    >
    const second = (await (await tokenRequest({ grant_type: 'client_credentials' })).json()) as Record<
      string,
      string
    >
    expect(first.scope).toBe('files:read files:list')
    const a = (await verified(first.access_token as string)).payload
    const b = (await verified(second.access_token as string)).payload
    expect(a.aud).toBe(issuer.audience)
    expect(a.jti).not.toBe(b.jti)
  })

  it('makes an aud array of several resource parameters (RFC 8707 §2)', async () => {
    const response = await tokenRequest({
      grant_type: 'client_credentials',
      resource: ['https://a.example/mcp', 'https://b.example/api'],
    })
    const { payload } = await verified(((await response.json()) as { access_token: string }).access_token)
    expect(payload.aud).toEqual(['https://a.example/mcp', 'https://b.example/api'])
  })

  it('accepts client_secret_post, and omits scope for a client without scopes', async () => {
    const response = await tokenRequest(
      { grant_type: 'client_credentials', client_id: OTHER.id, client_secret: OTHER.secret },
      {},
    )
    expect(response.status).toBe(200)
    const body = (await response.json()) as Record<string, string>
    expect(body).not.toHaveProperty('scope')
    expect((await verified(body.access_token as string)).payload).not.toHaveProperty('scope')
  })

  it('answers 400 invalid_scope for a scope the client may not have', async () => {
    const response = await tokenRequest({ grant_type: 'client_credentials', scope: 'files:read files:write' })
    await expectError(response, 400, 'invalid_scope')
  })

  it('answers 401 invalid_client with a Basic challenge for a wrong secret or an unknown client', async () => {
    for (const authorization of [basic(CLIENT.id, 'wrong'), basic('nobody', CLIENT.secret), 'Basic !!!']) {
      const response = await tokenRequest({ grant_type: 'client_credentials' }, { authorization })
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="token"')
      await expectError(response, 401, 'invalid_client')
    }
    const unauthenticated = await tokenRequest({ grant_type: 'client_credentials' }, {})
    expect(unauthenticated.headers.get('www-authenticate')).toBeNull()
    await expectError(unauthenticated, 401, 'invalid_client')
  })

  const malformed: [
    string,
    Record<string, string | string[]>,
    Record<string, string> | undefined,
    number,
    string,
  ][] = [
    [
      'another grant type',
      { grant_type: 'authorization_code', code: 'x' },
      undefined,
      400,
      'unsupported_grant_type',
    ],
    ['no grant type', {}, undefined, 400, 'invalid_request'],
    [
      'a repeated parameter',
      { grant_type: ['client_credentials', 'client_credentials'] },
      undefined,
      400,
      'invalid_request',
    ],
    [
      'two client authentication methods',
      { grant_type: 'client_credentials', client_id: CLIENT.id, client_secret: CLIENT.secret },
      undefined,
      400,
      'invalid_request',
    ],
    [
      'a relative resource',
      { grant_type: 'client_credentials', resource: '/mcp' },
      undefined,
      400,
      'invalid_target',
    ],
    [
      'a resource with a fragment',
      { grant_type: 'client_credentials', resource: 'https://a.example/mcp#x' },
      undefined,
      400,
      'invalid_target',
    ],
  ]
  it.each(malformed)('answers %s with %i %s', async (_name, params, headers, status, error) => {
    await expectError(await tokenRequest(params, headers), status, error)
  })

  it('answers 400 for a JSON body, 413 for a body over 64 KiB and 405 for GET', async () => {
    const json = await fetch(issuer.tokenEndpoint as string, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(CLIENT.id, CLIENT.secret) },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    })
    await expectError(json, 400, 'invalid_request')
    const large = await tokenRequest({ grant_type: 'client_credentials', padding: 'x'.repeat(70_000) })
    await expectError(large, 413, 'invalid_request')
    expect((await fetch(issuer.tokenEndpoint as string)).status).toBe(405)
  })

  it('counts token requests', async () => {
    issuer.resetCounters()
    await tokenRequest({ grant_type: 'client_credentials' })
    await tokenRequest({ grant_type: 'password' })
    expect(issuer.requests.token).toBe(2)
  })
})

describe('the clients option', () => {
  it('defaults to one client with the read and write scopes', async () => {
    const plain = await createTestIssuer({ profile: 'oidc' })
    try {
      expect(plain.clients).toEqual([DEFAULT_TEST_CLIENT])
      expect(DEFAULT_TEST_CLIENT).toEqual({
        id: 'client-1',
        secret: 'client-1-secret',
        scopes: ['read', 'write'],
      })
    } finally {
      await plain.close()
    }
  })

  it('has no token endpoint on the Vercel profile', async () => {
    const vercel = await createTestIssuer()
    try {
      expect(vercel.tokenEndpoint).toBeUndefined()
      expect((await fetch(`${vercel.url}/token`, { method: 'POST' })).status).toBe(404)
    } finally {
      await vercel.close()
    }
  })

  const bad: [string, unknown, RegExp][] = [
    ['clients on the Vercel profile', { clients: [CLIENT] }, /options\.clients needs profile 'oidc'/],
    ['an empty list', { profile: 'oidc', clients: [] }, /options\.clients must be a non-empty array/],
    ['an id with a colon', { profile: 'oidc', clients: [{ id: 'a:b', secret: 'x' }] }, /clients\[0\]\.id/],
    ['a missing secret', { profile: 'oidc', clients: [{ id: 'a' }] }, /clients\[0\]\.secret/],
    [
      'a scope with a space',
      { profile: 'oidc', clients: [{ id: 'a', secret: 'x', scopes: ['a b'] }] },
      /clients\[0\]\.scopes/,
    ],
    [
      'the same id twice',
      { profile: 'oidc', clients: [OTHER, OTHER] },
      /clients\[1\]\.id other is listed twice/,
    ],
    [
      'an unknown member',
      { profile: 'oidc', clients: [{ ...OTHER, scope: ['a'] }] },
      /clients\[0\]: unknown option "scope"/,
    ],
  ]
  it.each(bad)('throws a TypeError naming the option for %s', async (_name, options, message) => {
    await expect(createTestIssuer(options as never)).rejects.toThrow(message)
  })
})
