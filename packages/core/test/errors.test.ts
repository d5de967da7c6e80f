/**
 * SECURITY §10: the HTTP form of every refusal (RFC 6750 §3): status, error code, `WWW-Authenticate`,
 * sanitised descriptions, and 503 with `Retry-After` when keys are unobtainable.
 */

import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CredentialsMissingError,
  createGate,
  type Gate,
  GateError,
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  KeysUnavailableError,
  oidc,
  type VercelClaims,
  vercel,
} from '../src/index.js'
import {
  claimsOf,
  expectChallenge,
  expectInvalidRequest,
  expectInvalidToken,
  expectUnavailable,
  rejection,
  request,
  segmentJson,
} from './helpers.js'

let issuer: TestIssuer
let gate: Gate<VercelClaims>
const gates: { close(): void }[] = []

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })], realm: 'api' })
  gates.push(gate)
  await gate.warmup()
})

afterAll(async () => {
  for (const g of gates) g.close()
  await issuer.close()
})

describe('the GateError classes', () => {
  const cases: [string, () => GateError, Record<string, unknown>, Record<string, string>][] = [
    [
      'CredentialsMissingError',
      () => new CredentialsMissingError(),
      { status: 401, code: 'ERR_CREDENTIALS_MISSING', reason: 'missing', error: undefined },
      { 'www-authenticate': 'Bearer' },
    ],
    [
      'CredentialsMissingError with a realm',
      () => new CredentialsMissingError('unsupported-scheme', { realm: 'api' }),
      { status: 401, code: 'ERR_CREDENTIALS_MISSING', reason: 'unsupported-scheme', error: undefined },
      { 'www-authenticate': 'Bearer realm="api"' },
    ],
    [
      'InvalidRequestError',
      () =>
        new InvalidRequestError('multiple-authorization', 'multiple Authorization headers', { realm: 'api' }),
      {
        status: 400,
        code: 'ERR_INVALID_REQUEST',
        reason: 'multiple-authorization',
        error: 'invalid_request',
      },
      {
        'www-authenticate':
          'Bearer realm="api", error="invalid_request", error_description="multiple Authorization headers"',
      },
    ],
    [
      'InvalidTokenError',
      () => new InvalidTokenError('exp', 'token expired', { realm: 'api' }),
      { status: 401, code: 'ERR_INVALID_TOKEN', reason: 'exp', error: 'invalid_token' },
      { 'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="token expired"' },
    ],
    [
      'InsufficientScopeError',
      () => new InsufficientScopeError(['api:read', 'api:write'], { realm: 'api' }),
      { status: 403, code: 'ERR_INSUFFICIENT_SCOPE', reason: 'policy', error: 'insufficient_scope' },
      {
        'www-authenticate':
          'Bearer realm="api", error="insufficient_scope", error_description="the token does not grant access to this resource", scope="api:read api:write"',
      },
    ],
    [
      'KeysUnavailableError',
      () => new KeysUnavailableError(30),
      { status: 503, code: 'ERR_KEYS_UNAVAILABLE', reason: 'jwks-unavailable', error: undefined },
      { 'retry-after': '30' },
    ],
  ]
  for (const [name, make, fields, headers] of cases) {
    it(`${name}: status, statusCode, code, expose and headers`, () => {
      const error = make()
      expect(error).toBeInstanceOf(GateError)
      expect(error).toBeInstanceOf(Error)
      expect(error.name).toBe(name.split(' ')[0])
      expect({ status: error.status, code: error.code, reason: error.reason, error: error.error }).toEqual(
        fields,
      )
      expect(error.statusCode).toBe(error.status)
      expect(error.expose).toBe(true)
      expect(error.headers).toEqual(headers)
    })
  }

  it('keeps the cause for logs but never in the response', () => {
    const cause = new Error('secret detail: https://internal.example/jwks')
    const error = new KeysUnavailableError(1, { cause })
    expect(error.cause).toBe(cause)
    expect(JSON.stringify(error.headers)).not.toContain('internal')
    expect(error.message).toBe('signing keys are unavailable')
  })

  it('sanitises descriptions to the characters RFC 6750 allows, without line breaks', () => {
    const error = new InvalidTokenError('malformed', 'bad "quoted" \\ value\r\nX-Injected: 1\té', {
      realm: 'a"b',
    })
    const header = error.headers['www-authenticate'] as string
    expect(header).toBe(
      'Bearer realm="a_b", error="invalid_token", error_description="bad _quoted_ _ value__X-Injected: 1__"',
    )
    expect(header).not.toMatch(/[\r\n]/)
  })

  it('bounds a long description', () => {
    const error = new InvalidRequestError('malformed-credentials', 'y'.repeat(5000))
    const description = /error_description="([^"]*)"/.exec(error.headers['www-authenticate'] as string)?.[1]
    expect(description?.length).toBeLessThanOrEqual(200)
  })
})

describe('responses from a gate with a realm', () => {
  it('answers a request without credentials with a bare challenge carrying only the realm', async () => {
    const error = await expectChallenge(gate.authenticate(request()), 'missing')
    expect(error.headers['www-authenticate']).toBe(
      'Bearer realm="api", DPoP realm="api", algs="ES256 EdDSA Ed25519 RS256 PS256"',
    )
  })

  it('answers a malformed request with 400 invalid_request and the realm', async () => {
    const error = await expectInvalidRequest(gate.authenticate(request('Bearer')), 'missing-token')
    expect(error.headers['www-authenticate']).toMatch(
      /^Bearer realm="api", error="invalid_request", error_description="/,
    )
  })

  it('answers an expired token with 401 invalid_token and the realm', async () => {
    const t = await issuer.mint({}, { expired: true })
    const error = await expectInvalidToken(gate.authenticate(request(`Bearer ${t}`)), 'exp', [t])
    expect(error.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="token expired", ' +
        'DPoP realm="api", algs="ES256 EdDSA Ed25519 RS256 PS256"',
    )
  })

  it('answers a policy refusal with 403 insufficient_scope', async () => {
    const t = await issuer.mint({ environment: 'preview' })
    const error = await rejection(
      gate.authenticate(request(`Bearer ${t}`), { policy: { environment: 'production' } }),
    )
    expect(error).toBeInstanceOf(InsufficientScopeError)
    expect({ status: error.status, code: error.code, error: error.error }).toEqual({
      status: 403,
      code: 'ERR_INSUFFICIENT_SCOPE',
      error: 'insufficient_scope',
    })
    expect(error.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="insufficient_scope", /)
    expect(error.headers['www-authenticate']).not.toContain('production')
  })

  it('names the missing scopes in the 403 challenge', async () => {
    const as = await createTestIssuer({ profile: 'oidc' })
    try {
      const g = createGate({
        issuers: [oidc({ issuer: as.issuer, audience: as.audience, jwksUri: as.jwksUri })],
      })
      gates.push(g)
      const t = await as.mint({ scope: 'todos:write' })
      const error = await rejection(g.verify(t, { policy: { scope: { includes: 'todos:read' } } }))
      expect(error.status).toBe(403)
      expect(error.headers['www-authenticate']).toMatch(/, scope="todos:read", DPoP algs="[^"]+"$/)
    } finally {
      await as.close()
    }
  })

  it('answers 503 with Retry-After derived from cooldownDuration when keys are unobtainable', async () => {
    for (const [cooldownDuration, retryAfter] of [
      [20, '1'],
      [1500, '2'],
      [5000, '5'],
    ] as const) {
      const g = createGate({
        issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
        realm: 'api',
        jwks: { cooldownDuration },
      })
      gates.push(g)
      issuer.setFault({ kind: 'status', status: 502 })
      try {
        const error = await expectUnavailable(g.verify(await issuer.mint()))
        expect(error.headers).toEqual({ 'retry-after': retryAfter })
        expect(error.retryAfter).toBe(Number(retryAfter))
        expect(error.realm).toBe('api')
      } finally {
        issuer.setFault(null)
      }
    }
  })
})

describe('descriptions never echo the token, key material or expected values', () => {
  const cases: [string, () => Promise<string>, string][] = [
    ['iss', () => issuer.mint({ iss: `${issuer.url}/acme-evil` }), 'iss'],
    ['aud', () => issuer.mint({ aud: 'https://vercel.com/other' }), 'aud'],
    ['owner', () => issuer.mint({ owner: 'other' }), 'owner'],
    ['exp', () => issuer.mint({}, { expired: true }), 'exp'],
    [
      'kid',
      async () => {
        const t = await issuer.mint()
        return issuer.sign({ ...segmentJson(t, 0), kid: 'mrk-attacker-chosen' }, claimsOf(t))
      },
      'kid',
    ],
    [
      'signature',
      async () => {
        const t = await issuer.mint()
        return `${t.slice(0, -4)}AAAA`
      },
      'signature',
    ],
    ['typ', () => issuer.mint({}, { header: { typ: 'at+jwt' } }), 'typ'],
  ]
  for (const [name, build, reason] of cases) {
    it(`for a ${name} refusal`, async () => {
      const t = await build()
      const [h, p, s] = t.split('.') as [string, string, string]
      await expectInvalidToken(gate.authenticate(request(`Bearer ${t}`)), reason, [
        t,
        h,
        p,
        s,
        issuer.url,
        issuer.kid,
        'mrk-attacker-chosen',
        'https://vercel.com/acme',
        'https://vercel.com/other',
        'acme-evil',
        'other',
      ])
    })
  }
})
