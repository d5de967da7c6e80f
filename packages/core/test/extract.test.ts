/**
 * SECURITY §2 (H1–H8): extracting the bearer credential from an HTTP request.
 */

import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGate, type Gate, type VercelClaims, vercel } from '../src/index.js'
import { expectChallenge, expectInvalidRequest, expectInvalidToken, request } from './helpers.js'

let issuer: TestIssuer
let gate: Gate<VercelClaims>
let token: string

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })
  token = await issuer.mint()
  await gate.warmup()
})

afterAll(async () => {
  gate.close()
  await issuer.close()
})

describe('H1: the token comes from the Authorization header only', () => {
  it('accepts a bearer token from a Node-style header record', async () => {
    const auth = await gate.authenticate(request(`Bearer ${token}`))
    expect(auth.token).toBe(token)
    expect(auth.claims.sub).toBe('owner:acme:project:web:environment:production')
  })

  it('accepts the capitalised Authorization key of a plain record', async () => {
    const auth = await gate.authenticate({
      method: 'GET',
      url: '/',
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(auth.token).toBe(token)
  })

  it('accepts a bearer token from a Fetch Headers object', async () => {
    const headers = new Headers({ authorization: `Bearer ${token}` })
    const auth = await gate.authenticate({ method: 'GET', url: 'https://api.example.test/x', headers })
    expect(auth.token).toBe(token)
  })

  it('accepts a single Authorization line listed in rawHeaders', async () => {
    const auth = await gate.authenticate(
      request(`Bearer ${token}`, {
        rawHeaders: ['Host', 'api.example.test', 'Authorization', `Bearer ${token}`],
      }),
    )
    expect(auth.token).toBe(token)
  })

  it('answers 401 with a bare challenge for a token in the query string only (auth-token-in-query-string-only)', async () => {
    await expectChallenge(
      gate.authenticate(request(undefined, { url: `/resource?access_token=${token}` })),
      'missing',
      [token],
    )
  })

  it('answers 401 with a bare challenge when the request has no credentials (auth-missing)', async () => {
    const error = await expectChallenge(gate.authenticate(request()), 'missing')
    expect(error.headers['www-authenticate']).toBe('Bearer, DPoP algs="ES256 EdDSA Ed25519 RS256 PS256"')
  })

  it('answers 401 with a bare challenge for an empty Authorization value', async () => {
    await expectChallenge(gate.authenticate(request('')), 'missing')
  })

  it('never takes x-vercel-oidc-token (the callee’s own token) as the credential', async () => {
    await expectChallenge(
      gate.authenticate(request(undefined, { headers: { 'x-vercel-oidc-token': token } })),
      'missing',
    )

    const caller = await issuer.mint({ project: 'caller' })
    const auth = await gate.authenticate(
      request(`Bearer ${caller}`, { headers: { 'x-vercel-oidc-token': token } }),
    )
    expect(auth.token).toBe(caller)
    expect(auth.claims.project).toBe('caller')
  })
})

describe('H2: one method only', () => {
  it('answers 400 invalid_request for a token in both the header and the query', async () => {
    await expectInvalidRequest(
      gate.authenticate(request(`Bearer ${token}`, { url: `/resource?access_token=${token}` })),
      'multiple-methods',
      [token],
    )
  })

  it('answers 400 invalid_request when access_token is a later query parameter of an absolute URL', async () => {
    await expectInvalidRequest(
      gate.authenticate(request(`Bearer ${token}`, { url: 'https://api.example.test/r?a=1&access_token=x' })),
      'multiple-methods',
    )
  })

  it('does not mistake a parameter that merely ends in access_token for a second method', async () => {
    const auth = await gate.authenticate(
      request(`Bearer ${token}`, { url: '/resource?my_access_token=1&q=access_token=' }),
    )
    expect(auth.token).toBe(token)
  })
})

describe('H3: exactly one Authorization field line (auth-two-authorization-headers)', () => {
  it('answers 400 when rawHeaders holds two Authorization lines, though headers kept only the first', async () => {
    const other = await issuer.mint({ project: 'other' })
    await expectInvalidRequest(
      gate.authenticate(
        request(`Bearer ${token}`, {
          rawHeaders: ['Authorization', `Bearer ${token}`, 'Host', 'x', 'authorization', `Bearer ${other}`],
        }),
      ),
      'multiple-authorization',
      [token, other],
    )
  })

  it('answers 400 for two Authorization lines that differ in name case', async () => {
    await expectInvalidRequest(
      gate.authenticate(
        request(undefined, { rawHeaders: ['AUTHORIZATION', 'Bearer a', 'authorization', 'Bearer a'] }),
      ),
      'multiple-authorization',
    )
  })

  it('answers 400 when a headersDistinct-style record holds two values', async () => {
    await expectInvalidRequest(
      gate.authenticate({
        method: 'GET',
        url: '/',
        headers: { authorization: [`Bearer ${token}`, `Bearer ${token}`] },
      }),
      'multiple-authorization',
    )
  })

  it('answers 400 when Fetch Headers joined two lines with ", "', async () => {
    const headers = new Headers()
    headers.append('authorization', `Bearer ${token}`)
    headers.append('authorization', `Bearer ${token}`)
    expect(headers.get('authorization')).toContain(', ')
    await expectInvalidRequest(
      gate.authenticate({ method: 'GET', url: '/', headers }),
      'malformed-credentials',
      [token],
    )
  })
})

describe('H4: the scheme is case-insensitive (auth-scheme-lowercase-bearer)', () => {
  for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
    it(`accepts the scheme spelled ${scheme}`, async () => {
      const auth = await gate.authenticate(request(`${scheme} ${token}`))
      expect(auth.token).toBe(token)
    })
  }
})

describe('H5: b64token grammar', () => {
  it('tolerates two spaces after the scheme (auth-two-spaces-after-scheme)', async () => {
    const auth = await gate.authenticate(request(`Bearer  ${token}`))
    expect(auth.token).toBe(token)
  })

  it('tolerates many spaces after the scheme and hands over the token without them', async () => {
    const auth = await gate.authenticate(request(`Bearer      ${token}`))
    expect(auth.token).toBe(token)
  })

  const malformed: [string, () => string][] = [
    ['a tab between scheme and token', () => `Bearer\t${token}`],
    ['a space and a tab before the token', () => `Bearer \t${token}`],
    ['a comma inside the token', () => `Bearer ${token.replace('.', ',')}`],
    ['a quoted token', () => `Bearer "${token}"`],
    ['trailing garbage after the token (auth-token-with-trailing-garbage)', () => `Bearer ${token} garbage`],
    ['a trailing space', () => `Bearer ${token} `],
    ['a second credential after a comma', () => `Bearer ${token}, Bearer ${token}`],
    ['an auth-param instead of a token', () => `Bearer token="${token}"`],
    ['"=" inside the token', () => `Bearer ${token.replace('.', '=.')}`],
  ]
  for (const [name, value] of malformed) {
    it(`answers 400 invalid_request for ${name}`, async () => {
      await expectInvalidRequest(gate.authenticate(request(value())), 'malformed-credentials', [token])
    })
  }

  it('lets every b64token character through to JWS parsing, which then refuses the token (401)', async () => {
    await expectInvalidToken(gate.authenticate(request('Bearer a~b+c/d.e-f_g.h==')), 'malformed')
  })
})

describe('H6: scheme without a token (auth-bearer-without-token)', () => {
  it('answers 400 invalid_request for "Bearer" alone', async () => {
    await expectInvalidRequest(gate.authenticate(request('Bearer')), 'missing-token')
  })

  it('answers 400 invalid_request for "Bearer" followed by spaces only', async () => {
    await expectInvalidRequest(gate.authenticate(request('bearer   ')), 'missing-token')
  })
})

describe('H7: other schemes get a bare challenge (auth-basic-scheme)', () => {
  for (const value of ['Basic dXNlcjpwYXNz', 'Digest username="x"', 'Bearerx abc', 'Token abc']) {
    it(`answers 401 without an error code for "${value.split(' ')[0]}"`, async () => {
      const error = await expectChallenge(gate.authenticate(request(value)), 'unsupported-scheme', [value])
      expect(error.headers['www-authenticate']).toBe('Bearer, DPoP algs="ES256 EdDSA Ed25519 RS256 PS256"')
    })
  }

  it('puts the configured realm in the bare challenge', async () => {
    const withRealm = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })], realm: 'api' })
    try {
      const error = await expectChallenge(
        withRealm.authenticate(request('Basic dXNlcjpwYXNz')),
        'unsupported-scheme',
      )
      expect(error.headers['www-authenticate']).toBe(
        'Bearer realm="api", DPoP realm="api", algs="ES256 EdDSA Ed25519 RS256 PS256"',
      )
    } finally {
      withRealm.close()
    }
  })
})

describe('H8: the token length is capped before any decoding', () => {
  it('answers 401 invalid_token for a validly signed 64 KiB token without fetching keys (size-64KiB-validly-signed)', async () => {
    const big = await issuer.mint({ padding: 'x'.repeat(48 * 1024) })
    expect(big.length).toBeGreaterThan(64 * 1024)
    const cold = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })
    const roomy = createGate({
      issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
      maxTokenLength: 128 * 1024,
    })
    try {
      const before = issuer.requests.jwks
      await expectInvalidToken(cold.authenticate(request(`Bearer ${big}`)), 'token-size', [big])
      await expectInvalidToken(cold.verify(big), 'token-size')
      expect(issuer.requests.jwks).toBe(before)
      // The same token is genuinely valid: only its size was refused.
      expect((await roomy.verify(big)).claims).toHaveProperty('padding', 'x'.repeat(48 * 1024))
    } finally {
      cold.close()
      roomy.close()
    }
  })

  it('answers 401 token-size (not a 400 from the grammar) for 1 MiB of garbage (size-1MiB-garbage)', async () => {
    const garbage = '!'.repeat(1024 * 1024)
    await expectInvalidToken(gate.authenticate(request(`Bearer ${garbage}`)), 'token-size')
    await expectInvalidToken(gate.verify(garbage), 'token-size')
  })

  it('applies maxTokenLength exactly: a token of the maximum length is parsed, one more character is refused', async () => {
    const small = createGate({
      issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
      maxTokenLength: 1024,
    })
    try {
      await expectInvalidToken(small.authenticate(request(`Bearer ${'a'.repeat(1024)}`)), 'malformed')
      await expectInvalidToken(small.authenticate(request(`Bearer ${'a'.repeat(1025)}`)), 'token-size')
      await expectInvalidToken(small.verify('a'.repeat(1025)), 'token-size')
    } finally {
      small.close()
    }
  })
})
