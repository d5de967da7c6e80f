import { createServer, request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CredentialsMissingError,
  compilePolicy,
  createGate,
  fromFetch,
  fromNode,
  type GateRequest,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  KeysUnavailableError,
  routePolicy,
  toResponse,
  vercel,
} from '../src/index.js'

/** Sends one request to a real Node server and hands back what the request edge made of it. */
async function throughNode(
  headers: Record<string, string | string[]>,
  edge?: Parameters<typeof fromNode>[1],
  path = '/api/items?x=1',
): Promise<GateRequest> {
  let seen: GateRequest | undefined
  const server = createServer((req: IncomingMessage, res) => {
    seen = fromNode(req, edge)
    res.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  try {
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        res.resume()
        res.on('end', resolve)
      })
      req.on('error', reject)
      for (const [name, value] of Object.entries(headers)) req.setHeader(name, value)
      req.end()
    })
  } finally {
    server.close()
  }
  if (seen === undefined) throw new Error('no request seen')
  return seen
}

describe('fromNode(): the absolute URL of a Node request (DESIGN §2.1, SECURITY H10)', () => {
  it('builds the URL from the connection (http) and Host, with path and query', async () => {
    const req = await throughNode({ host: 'api.example.com:8080' })
    expect(req.url).toBe('http://api.example.com:8080/api/items?x=1')
    expect(req.refusal).toBeUndefined()
    expect(req.rawHeaders).toContain('api.example.com:8080')
  })

  it('says https for a TLS connection', () => {
    const req = fromNode({
      method: 'GET',
      url: '/a',
      headers: { host: 'x.test' },
      socket: { encrypted: true },
    })
    expect(req.url).toBe('https://x.test/a')
  })

  it('ignores a spoofed X-Forwarded-Host / Forwarded without a trusted proxy', async () => {
    const req = await throughNode({
      host: 'api.example.com',
      'x-forwarded-host': 'attacker.example',
      'x-forwarded-proto': 'https',
      forwarded: 'host=attacker.example;proto=https',
    })
    expect(req.url).toBe('http://api.example.com/api/items?x=1')
  })

  it('reads X-Forwarded-Proto / X-Forwarded-Host (first value) with trustProxy', async () => {
    const req = await throughNode(
      {
        host: '10.0.0.5:3000',
        'x-forwarded-host': 'api.example.com, proxy.internal',
        'x-forwarded-proto': 'https',
      },
      { trustProxy: true },
    )
    expect(req.url).toBe('https://api.example.com/api/items?x=1')
  })

  it('prefers Forwarded (RFC 7239) to X-Forwarded-* with trustProxy, quoted values included', async () => {
    const req = await throughNode(
      {
        host: '10.0.0.5:3000',
        forwarded: 'for=192.0.2.60;proto=https;host="api.example.com:8443", for=10.0.0.1',
        'x-forwarded-host': 'other.example',
      },
      { trustProxy: true },
    )
    expect(req.url).toBe('https://api.example.com:8443/api/items?x=1')
  })

  it('uses publicOrigin whatever Host and proxy headers say', async () => {
    const req = await throughNode(
      { host: 'internal:3000', 'x-forwarded-host': 'attacker.example' },
      { publicOrigin: 'https://api.example.com', trustProxy: true },
    )
    expect(req.url).toBe('https://api.example.com/api/items?x=1')
  })

  it('takes the gate’s settings when given the gate', async () => {
    const gate = createGate({
      issuers: [vercel({ team: 'acme' })],
      publicOrigin: 'https://api.example.com/',
    })
    expect(gate.edge).toEqual({ publicOrigin: 'https://api.example.com', trustProxy: false })
    const req = await throughNode({ host: 'internal:3000' }, gate)
    expect(req.url).toBe('https://api.example.com/api/items?x=1')
    gate.close()
  })

  it('never lets an absolute-form request target choose the origin', () => {
    const req = fromNode({ method: 'GET', url: 'http://attacker.example/p?q', headers: { host: 'api.test' } })
    expect(req.url).toBe('http://api.test/p?q')
  })

  it('uses the framework’s original URL when given (Express originalUrl, Koa ctx.originalUrl)', () => {
    const req = fromNode({ url: '/rewritten', headers: { host: 'a.test' } }, undefined, '/api/original')
    expect(req.url).toBe('http://a.test/api/original')
  })

  it.each([
    ['userinfo', 'user@api.example.com'],
    ['a path', 'api.example.com/admin'],
    ['a port beyond 65535', 'api.example.com:70000'],
    ['a non-numeric port', 'api.example.com:80x'],
    ['a space', 'api example.com'],
  ])('turns a Host with %s into a 400 refusal, never a throw', (_name, host) => {
    const req = fromNode({ method: 'GET', url: '/', headers: { host }, rawHeaders: ['Host', host] })
    expect(req.refusal).toBeInstanceOf(InvalidRequestError)
    expect(req.refusal?.reason).toBe('malformed-host')
  })

  it('turns two Host field lines into a 400 refusal', async () => {
    const req = await throughNode({ host: ['a.example', 'b.example'] })
    expect(req.refusal?.reason).toBe('malformed-host')
  })

  it('turns a malformed trusted X-Forwarded-Proto into a 400 refusal', async () => {
    const req = await throughNode({ host: 'a.test', 'x-forwarded-proto': 'gopher' }, { trustProxy: true })
    expect(req.refusal?.reason).toBe('malformed-host')
  })
})

describe('fromFetch(): the URL of a Fetch request', () => {
  it('keeps the URL as the runtime built it by default', () => {
    const request = new Request('https://api.example.com/a?b=1', {
      headers: { 'x-forwarded-host': 'evil.test' },
    })
    expect(fromFetch(request).url).toBe('https://api.example.com/a?b=1')
  })

  it('replaces the origin with publicOrigin, or trusted proxy headers with trustProxy', () => {
    const request = new Request('http://10.0.0.5:3000/a?b=1', {
      headers: { 'x-forwarded-host': 'api.example.com', 'x-forwarded-proto': 'https' },
    })
    expect(fromFetch(request, { publicOrigin: 'https://public.example' }).url).toBe(
      'https://public.example/a?b=1',
    )
    expect(fromFetch(request, { trustProxy: true }).url).toBe('https://api.example.com/a?b=1')
  })
})

describe('edge options are checked at construction', () => {
  it.each([
    ['a path', 'https://api.example.com/v1'],
    ['a query', 'https://api.example.com?x=1'],
    ['userinfo', 'https://u:p@api.example.com'],
    ['another scheme', 'ftp://api.example.com'],
    ['not a URL', 'api.example.com'],
  ])('refuses a publicOrigin with %s, naming the option', (_name, publicOrigin) => {
    expect(() => createGate({ issuers: [vercel({ team: 'acme' })], publicOrigin })).toThrow(/publicOrigin/)
  })

  it('refuses a trustProxy that is not a boolean', () => {
    expect(() =>
      createGate({ issuers: [vercel({ team: 'acme' })], trustProxy: 'yes' as unknown as boolean }),
    ).toThrow(/trustProxy/)
  })
})

describe('toResponse(): one answer for every refusal', () => {
  it.each([
    [new CredentialsMissingError(), 401, 'unauthorized', 'Bearer'],
    [
      new InvalidRequestError('multiple-authorization', 'multiple Authorization headers'),
      400,
      'invalid_request',
      'Bearer error="invalid_request", error_description="multiple Authorization headers"',
    ],
    [
      new InvalidTokenError('exp', 'token expired'),
      401,
      'invalid_token',
      'Bearer error="invalid_token", error_description="token expired"',
    ],
    [
      new InsufficientScopeError(['files:read']),
      403,
      'insufficient_scope',
      'Bearer error="insufficient_scope", error_description="the token does not grant access to this resource", scope="files:read"',
    ],
  ])('answers %s with its status, challenge and a JSON body', (error, status, code, challenge) => {
    const response = toResponse(error)
    expect(response.status).toBe(status)
    expect(response.headers).toEqual({
      'www-authenticate': challenge,
      'content-type': 'application/json',
      'cache-control': 'no-store',
    })
    expect(JSON.parse(response.body)).toEqual({ error: code, error_description: error.message })
  })

  it('answers a 503 with Retry-After and temporarily_unavailable', () => {
    const response = toResponse(new KeysUnavailableError(30))
    expect(response.status).toBe(503)
    expect(response.headers['retry-after']).toBe('30')
    expect(JSON.parse(response.body)).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'signing keys are unavailable',
    })
  })

  it('answers anything else as a 401 without detail: no stack, no message', () => {
    const response = toResponse(new Error('secret internals at /srv/app.js:12'))
    expect(response.status).toBe(401)
    expect(response.body).not.toContain('secret')
  })
})

describe('challenges for several schemes and protected-resource metadata', () => {
  it('writes a DPoP challenge with algs beside the Bearer one, the error in the scheme it concerns', () => {
    const error = new InvalidTokenError('exp', 'token expired', {
      realm: 'api',
      dpopAlgorithms: ['ES256', 'EdDSA'],
      resourceMetadata: 'https://api.example.com/.well-known/oauth-protected-resource',
    })
    expect(error.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="token expired", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource", ' +
        'DPoP realm="api", algs="ES256 EdDSA", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource"',
    )
  })

  it('writes only the DPoP challenge when only DPoP is accepted', () => {
    const error = new CredentialsMissingError('missing', { dpopAlgorithms: ['ES256'], dpopOnly: true })
    expect(error.headers['www-authenticate']).toBe('DPoP algs="ES256"')
  })
})

describe('gate.authorize() and the request edge through the gate', () => {
  let issuer: TestIssuer
  beforeAll(async () => {
    issuer = await createTestIssuer({ team: 'acme' })
  })
  afterAll(() => issuer.close())

  it('refuses an auth object it did not produce, even under a policy made only of not', async () => {
    const gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })
    const policy = { not: { environment: 'preview' } } as const
    const foreign = { user: 'admin', password: 'hunter2' } as never
    expect(() => gate.authorize(foreign, policy)).toThrow(InvalidTokenError)
    try {
      gate.authorize(foreign, policy)
    } catch (error) {
      expect((error as InvalidTokenError).reason).toBe('foreign-auth')
    }
    // A copy of a real Auth is not the gate's either.
    const auth = await gate.verify(await issuer.mint())
    expect(() => gate.authorize(auth, policy)).not.toThrow()
    expect(() => gate.authorize({ ...auth }, policy)).toThrow(InvalidTokenError)
    gate.close()
  })

  it("refuses another gate's auth and accepts its own from the cache and from a mock mode", async () => {
    const issuers = [vercel({ team: 'acme', baseUrl: issuer.url })]
    const gate = createGate({ issuers })
    const other = createGate({ issuers })
    const token = await issuer.mint()
    const fresh = await gate.verify(token)
    const cached = await gate.verify(token)
    expect(cached).toBe(fresh)
    expect(() => gate.authorize(cached, { environment: 'production' })).not.toThrow()
    expect(() => other.authorize(fresh, { environment: 'production' })).toThrow(InvalidTokenError)
    const others = await other.verify(token)
    expect(() => gate.authorize(others, { environment: 'production' })).toThrow(InvalidTokenError)
    const mocked = createGate({ issuers, mock: 'decode-only' })
    const mock = await mocked.verify(token)
    expect(mock.mock).toBe(true)
    expect(() => mocked.authorize(mock, { environment: 'production' })).not.toThrow()
    expect(() => gate.authorize(mock, { environment: 'production' })).toThrow(InvalidTokenError)
    for (const g of [gate, other, mocked]) g.close()
  })

  it('answers a malformed Host as a 400 with the gate’s realm and a rejected event', async () => {
    const events: unknown[] = []
    const gate = createGate({
      issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
      realm: 'api',
      onEvent: (e) => events.push(e),
    })
    const req = fromNode(
      { method: 'GET', url: '/', headers: { host: 'a@b', authorization: 'Bearer x' } },
      gate,
    )
    const error = await gate.authenticate(req).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidRequestError)
    expect(toResponse(error).headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_request", error_description="malformed Host header", ' +
        'DPoP realm="api", algs="ES256 EdDSA Ed25519 RS256 PS256"',
    )
    expect(events).toContainEqual({
      type: 'rejected',
      code: 'ERR_INVALID_REQUEST',
      status: 400,
      reason: 'malformed-host',
    })
    gate.close()
  })
})

describe('precompiled route policies', () => {
  it('are checked against the gate’s claim names too, so a typo compiled elsewhere fails at boot', () => {
    const gate = createGate({ issuers: [vercel({ team: 'acme' })] })
    const elsewhere = compilePolicy({ not: { enviroment: 'preview' } })
    expect(() => gate.compilePolicy(elsewhere)).toThrow(/enviroment/)
    expect(() => routePolicy(gate, elsewhere)).toThrow(/enviroment/)
    const fine = compilePolicy({ not: { environment: 'preview' } })
    expect(gate.compilePolicy(fine)).toBe(fine)
    gate.close()
  })
})
