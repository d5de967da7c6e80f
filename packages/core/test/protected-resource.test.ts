import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  adapterKit,
  createGate,
  type Gate,
  type GateOptions,
  type GateResponse,
  oidc,
  type ProtectedResourceOptions,
  protectedResourceMetadataUrl,
  sendNode,
  vercel,
} from '../src/index.js'
import { rejection, request, startServer } from './helpers.js'

const RESOURCE = 'https://files.example.test/mcp'
const METADATA_URL = 'https://files.example.test/.well-known/oauth-protected-resource/mcp'
const AUTHORIZATION_SERVER = 'https://as.example.test'

let oauth: TestIssuer
const gates: Gate<unknown>[] = []

beforeAll(async () => {
  oauth = await createTestIssuer({ profile: 'oidc' })
})
afterAll(async () => {
  for (const gate of gates) gate.close()
  await oauth.close()
})

function resourceOptions(extra: Partial<ProtectedResourceOptions> = {}): ProtectedResourceOptions {
  return { resource: RESOURCE, authorizationServers: [AUTHORIZATION_SERVER], ...extra }
}

function gateWith(options: Partial<GateOptions> = {}): Gate<unknown> {
  const gate = createGate({
    issuers: [oidc({ issuer: oauth.issuer, jwksUri: oauth.jwksUri })],
    protectedResource: resourceOptions(),
    ...options,
  } as GateOptions) as Gate<unknown>
  gates.push(gate)
  return gate
}

/** The auth-params of the `Bearer` challenge of a `WWW-Authenticate` value. */
function bearerParams(challenge: string | undefined): Record<string, string> {
  const bearer = /^Bearer(?: (.*?))?(?:, DPoP .*)?$/.exec(challenge ?? '')
  expect(bearer, challenge).not.toBeNull()
  const params: Record<string, string> = {}
  for (const [, name, value] of (bearer?.[1] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)) {
    params[name as string] = value as string
  }
  return params
}

describe('protectedResourceMetadataUrl()', () => {
  it.each([
    ['https://api.example.com/mcp', 'https://api.example.com/.well-known/oauth-protected-resource/mcp'],
    ['https://api.example.com', 'https://api.example.com/.well-known/oauth-protected-resource'],
    ['https://api.example.com/', 'https://api.example.com/.well-known/oauth-protected-resource'],
    ['https://api.example.com/a/b/', 'https://api.example.com/.well-known/oauth-protected-resource/a/b/'],
    ['http://127.0.0.1:8080/mcp', 'http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp'],
  ])('inserts the well-known path between origin and path of %s (RFC 9728 §3.1)', (resource, url) => {
    expect(protectedResourceMetadataUrl(resource)).toBe(url)
  })
})

describe('the protectedResource option', () => {
  const bad: [string, unknown, RegExp][] = [
    ['not an object', 'https://api.example.com', /protectedResource must be an options object/],
    [
      'an unknown option',
      { ...resourceOptions(), scope: ['a'] },
      /protectedResource: unknown option "scope"/,
    ],
    ['no resource', { authorizationServers: ['https://as.example'] }, /protectedResource\.resource/],
    [
      'an http resource',
      resourceOptions({ resource: 'http://api.example.com/mcp' }),
      /resource must use https/,
    ],
    [
      'a resource with a fragment',
      resourceOptions({ resource: `${RESOURCE}#x` }),
      /resource must not contain a fragment/,
    ],
    [
      'a resource with a query',
      resourceOptions({ resource: `${RESOURCE}?tenant=1` }),
      /resource must not contain a query/,
    ],
    [
      'no authorization server',
      resourceOptions({ authorizationServers: [] }),
      /authorizationServers must be a non-empty/,
    ],
    [
      'an authorization server string',
      resourceOptions({ authorizationServers: 'https://as.example' as never }),
      /authorizationServers must be a non-empty array/,
    ],
    [
      'an http authorization server',
      resourceOptions({ authorizationServers: ['http://as.example'] }),
      /authorizationServers\[0\] must use https/,
    ],
    [
      'the same authorization server twice',
      resourceOptions({ authorizationServers: ['https://as.example', 'https://as.example'] }),
      /authorizationServers lists an issuer twice/,
    ],
    [
      'a scope with a space',
      resourceOptions({ scopesSupported: ['files:read files:write'] }),
      /scopesSupported\[0\] contains a space/,
    ],
    [
      'an empty scope list',
      resourceOptions({ scopesSupported: [] }),
      /scopesSupported must be a non-empty array/,
    ],
    [
      'an empty resource name',
      resourceOptions({ resourceName: ' ' }),
      /resourceName must be a non-empty string/,
    ],
    [
      'an ftp documentation URL',
      resourceOptions({ resourceDocumentation: 'ftp://docs.example' }),
      /resourceDocumentation must be an https: URL/,
    ],
  ]
  it.each(bad)('throws a TypeError naming the option for %s', (_name, protectedResource, message) => {
    const build = () =>
      createGate({ issuers: [vercel({ team: 'acme' })], protectedResource: protectedResource as never })
    expect(build).toThrow(TypeError)
    expect(build).toThrow(message)
  })

  it('rejects a scopeHierarchy that is not one scope-token character', () => {
    for (const scopeHierarchy of ['', '::', ' ', '"', 1]) {
      expect(() => createGate({ issuers: [vercel({ team: 'acme' })], scopeHierarchy } as never)).toThrow(
        /scopeHierarchy must be one character/,
      )
    }
  })

  it('leaves a gate without it as before: no metadata, no resource_metadata in challenges', async () => {
    const gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: oauth.url })] })
    gates.push(gate as Gate<unknown>)
    expect(gate.protectedResource).toBeUndefined()
    const error = await rejection(gate.authenticate(request()))
    expect(error.headers['www-authenticate']).not.toContain('resource_metadata')
  })
})

describe('the metadata document (RFC 9728 §2)', () => {
  it('publishes the configured fields, bearer_methods_supported ["header"], and nothing else', () => {
    const gate = gateWith({
      dpop: { mode: 'disabled' },
      protectedResource: resourceOptions({
        scopesSupported: ['files:read', 'files:write'],
        resourceName: 'Example files',
        resourceDocumentation: 'https://docs.example.test/files#auth',
        resourcePolicyUri: 'https://example.test/policy',
        resourceTosUri: 'https://example.test/tos',
      }),
    } as Partial<GateOptions>)
    expect(gate.protectedResource?.metadata).toEqual({
      resource: RESOURCE,
      authorization_servers: [AUTHORIZATION_SERVER],
      scopes_supported: ['files:read', 'files:write'],
      bearer_methods_supported: ['header'],
      resource_name: 'Example files',
      resource_documentation: 'https://docs.example.test/files#auth',
      resource_policy_uri: 'https://example.test/policy',
      resource_tos_uri: 'https://example.test/tos',
    })
    expect(Object.isFrozen(gate.protectedResource?.metadata.authorization_servers)).toBe(true)
  })

  it('keeps the resource exactly as configured, without adding a trailing slash', () => {
    const gate = gateWith({ protectedResource: resourceOptions({ resource: 'https://files.example.test' }) })
    expect(gate.protectedResource?.metadata.resource).toBe('https://files.example.test')
    expect(gate.protectedResource?.metadataUrl).toBe(
      'https://files.example.test/.well-known/oauth-protected-resource',
    )
    expect(gate.protectedResource?.paths).toEqual(['/.well-known/oauth-protected-resource'])
  })

  it('lists the DPoP algorithms of the challenges, and whether bound tokens are required', () => {
    const required = gateWith({ dpop: { mode: 'required', algorithms: ['ES256'] } } as Partial<GateOptions>)
    expect(required.protectedResource?.metadata).toMatchObject({
      dpop_signing_alg_values_supported: ['ES256'],
      dpop_bound_access_tokens_required: true,
    })
    const allowed = gateWith({
      dpop: { mode: 'allowed', algorithms: ['ES256', 'EdDSA'] },
    } as Partial<GateOptions>)
    expect(allowed.protectedResource?.metadata).toMatchObject({
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
      dpop_bound_access_tokens_required: false,
    })
    const disabled = gateWith({ dpop: { mode: 'disabled' } } as Partial<GateOptions>)
    expect(disabled.protectedResource?.metadata).not.toHaveProperty('dpop_signing_alg_values_supported')
    expect(disabled.protectedResource?.metadata).not.toHaveProperty('dpop_bound_access_tokens_required')
  })
})

describe('respond(): the answer to a request for the metadata', () => {
  const gate = () => gateWith()

  it('answers GET on the path-inserted and the root well-known URLs with the JSON, cacheable, CORS-readable', () => {
    const resource = gate().protectedResource!
    for (const target of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp?x=1',
      'https://anything.example/.well-known/oauth-protected-resource/mcp',
    ]) {
      const answer = resource.respond('GET', target)
      expect(answer, target).toEqual({
        status: 200,
        headers: {
          'content-type': 'application/json',
          'cache-control': 'public, max-age=3600',
          'access-control-allow-origin': '*',
        },
        body: JSON.stringify(resource.metadata),
      })
    }
  })

  it('answers HEAD without a body and OPTIONS with the CORS preflight', () => {
    const resource = gate().protectedResource!
    const path = '/.well-known/oauth-protected-resource/mcp'
    expect(resource.respond('HEAD', path)).toMatchObject({ status: 200, body: '' })
    expect(resource.respond('head', path)?.headers['content-type']).toBe('application/json')
    expect(resource.respond('OPTIONS', path)).toEqual({
      status: 200,
      headers: {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
        'access-control-allow-headers': '*',
        'access-control-max-age': '3600',
      },
      body: '',
    })
  })

  it('answers nothing for other methods and other paths, which go through authentication', () => {
    const resource = gate().protectedResource!
    expect(resource.respond('POST', '/.well-known/oauth-protected-resource/mcp')).toBeUndefined()
    for (const target of [
      '/mcp',
      '/.well-known/oauth-protected-resource/other',
      '/.well-known/oauth-protected-resource/mcp/',
      '/api/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource%2Fmcp',
      '//.well-known/oauth-protected-resource',
    ]) {
      expect(resource.respond('GET', target), target).toBeUndefined()
    }
  })
})

describe('challenges and the audience of a protected resource', () => {
  it('points every 401 challenge at the metadata with resource_metadata', async () => {
    const g = gateWith({ realm: 'files' })
    const missing = await rejection(g.authenticate(request()))
    expect(bearerParams(missing.headers['www-authenticate'])).toEqual({
      realm: 'files',
      resource_metadata: METADATA_URL,
    })
    const expired = await rejection(
      g.authenticate(request(`Bearer ${await oauth.mint({ aud: RESOURCE }, { expired: true })}`)),
    )
    expect(bearerParams(expired.headers['www-authenticate'])).toMatchObject({
      error: 'invalid_token',
      resource_metadata: METADATA_URL,
    })
  })

  it('names every scope of the gate-wide and route policies in a 403, with resource_metadata', async () => {
    const g = gateWith({ policy: { scopes: 'files:list' } })
    const token = await oauth.mint({ aud: RESOURCE, scope: 'files:list files:read' })
    const error = await rejection(
      g.authenticate(request(`Bearer ${token}`), { policy: { scopes: ['files:read', 'files:write'] } }),
    )
    expect(error.status).toBe(403)
    expect(bearerParams(error.headers['www-authenticate'])).toMatchObject({
      error: 'insufficient_scope',
      scope: 'files:list files:read files:write',
      resource_metadata: METADATA_URL,
    })
    const auth = await g.authenticate(request(`Bearer ${token}`))
    const refused = await rejection((async () => g.authorize(auth, { scopes: 'files:write' }))())
    expect(bearerParams(refused.headers['www-authenticate']).scope).toBe('files:list files:write')
  })

  it('expects aud to contain the resource when oidc() has no audience (RFC 8707), compared exactly', async () => {
    const g = gateWith()
    await expect(g.verify(await oauth.mint({ aud: RESOURCE }))).resolves.toMatchObject({
      issuer: oauth.issuer,
    })
    await expect(
      g.verify(await oauth.mint({ aud: ['https://other.example', RESOURCE] })),
    ).resolves.toBeDefined()
    for (const aud of [
      `${RESOURCE}/`,
      'https://files.example.test',
      oauth.audience,
      'https://FILES.example.test/mcp',
    ]) {
      const error = await rejection(g.verify(await oauth.mint({ aud })))
      expect({ status: error.status, reason: error.reason }, aud).toEqual({ status: 401, reason: 'aud' })
    }
  })

  it('keeps an explicit audience of oidc() instead of the resource', async () => {
    const g = gateWith({
      issuers: [oidc({ issuer: oauth.issuer, audience: oauth.audience, jwksUri: oauth.jwksUri })],
    })
    await expect(g.verify(await oauth.mint())).resolves.toBeDefined()
    expect((await rejection(g.verify(await oauth.mint({ aud: RESOURCE })))).reason).toBe('aud')
  })
})

describe('the adapter kit serves the metadata before authenticating', () => {
  async function serve(gate: Gate<unknown>, errors: 'respond' | 'framework') {
    const kit = adapterKit(gate, { errors }, 'test')
    return startServer((req, res) => {
      kit.attach(req)
      Promise.resolve(kit.node(req)).then(
        () => res.end('authenticated'),
        (error: unknown) => {
          const answer: GateResponse | undefined = kit.answer(error)
          if (answer === undefined) res.writeHead(599).end()
          else sendNode(res, answer)
        },
      )
    })
  }

  it.each(['respond', 'framework'] as const)(
    'answers GET and HEAD with no credentials (errors: %s)',
    async (errors) => {
      const gate = gateWith()
      const server = await serve(gate, errors)
      try {
        const got = await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp`)
        expect(got.status).toBe(200)
        expect(got.headers.get('access-control-allow-origin')).toBe('*')
        expect(await got.json()).toEqual(gate.protectedResource?.metadata)
        const head = await fetch(`${server.url}/.well-known/oauth-protected-resource`, { method: 'HEAD' })
        expect(head.status).toBe(200)
        expect(await head.text()).toBe('')
        const other = await fetch(`${server.url}/mcp`)
        expect(other.status).toBe(errors === 'respond' ? 401 : 599)
      } finally {
        await server.close()
      }
    },
  )

  it('answers the metadata whatever Host or X-Forwarded-Host says: its URLs come from configuration', async () => {
    const gate = gateWith()
    const server = await serve(gate, 'respond')
    try {
      const got = await fetch(`${server.url}/.well-known/oauth-protected-resource/mcp`, {
        headers: { 'x-forwarded-host': 'attacker.example', 'x-forwarded-proto': 'http' },
      })
      expect(await got.text()).not.toContain('attacker')
      const denied = await fetch(`${server.url}/mcp`, { headers: { 'x-forwarded-host': 'attacker.example' } })
      expect(denied.headers.get('www-authenticate')).toContain(`resource_metadata="${METADATA_URL}"`)
    } finally {
      await server.close()
    }
  })
})

describe('with the test issuer as authorization server', () => {
  it('accepts a token its token endpoint issued for the resource, and names the missing scope on 403', async () => {
    const as = await createTestIssuer({
      profile: 'oidc',
      clients: [{ id: 'agent', secret: 'agent-secret', scopes: ['files:read'] }],
    })
    const gate = createGate({
      issuers: [oidc({ issuer: as.issuer, jwksUri: as.jwksUri })],
      protectedResource: { resource: RESOURCE, authorizationServers: [as.issuer] },
    })
    try {
      const response = await fetch(as.tokenEndpoint as string, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'agent',
          client_secret: 'agent-secret',
          resource: RESOURCE,
        }),
      })
      const { access_token: token } = (await response.json()) as { access_token: string }
      const auth = await gate.authenticate(request(`Bearer ${token}`), { policy: { scopes: 'files:read' } })
      expect(auth.claims).toMatchObject({ client_id: 'agent', sub: 'agent', aud: RESOURCE })
      const refused = await rejection(
        gate.authenticate(request(`Bearer ${token}`), { policy: { scopes: 'files:write' } }),
      )
      expect(bearerParams(refused.headers['www-authenticate'])).toMatchObject({
        error: 'insufficient_scope',
        scope: 'files:write',
        resource_metadata: METADATA_URL,
      })
    } finally {
      gate.close()
      await as.close()
    }
  })
})
