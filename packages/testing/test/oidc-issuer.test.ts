import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { createTestIssuer, TEST_ISSUER_ALGORITHMS } from '../src/index.js'

describe('generic OIDC profile', () => {
  it('serves discovery, authorization server metadata and the JWKS at the origin', async () => {
    const issuer = await createTestIssuer({ profile: 'oidc' })
    try {
      expect(issuer.issuer).toBe(issuer.url)
      expect(issuer.jwksUri).toBe(`${issuer.url}/jwks`)
      expect(issuer.audience).toBe('https://api.example.test')
      for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
        const res = await fetch(`${issuer.url}${path}`)
        expect(res.status, path).toBe(200)
        expect(await res.json()).toMatchObject({ issuer: issuer.url, jwks_uri: `${issuer.url}/jwks` })
      }
      const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Record<string, unknown>[] }
      expect(jwks.keys).toEqual([
        { kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: issuer.kid, alg: 'RS256', use: 'sig' },
      ])
      expect(issuer.requests).toMatchObject({ jwks: 1, discovery: 2 })
    } finally {
      await issuer.close()
    }
  })

  it('does not serve the Vercel routes', async () => {
    const issuer = await createTestIssuer({ profile: 'oidc' })
    try {
      for (const path of ['/.well-known/jwks', '/acme/.well-known/jwks', '/~token']) {
        expect(
          (await fetch(`${issuer.url}${path}`, { method: path === '/~token' ? 'POST' : 'GET' })).status,
          path,
        ).toBe(404)
      }
    } finally {
      await issuer.close()
    }
  })

  it('mints RFC 9068 access tokens with at+jwt and the required claims', async () => {
    const issuer = await createTestIssuer({ profile: 'oidc', now: () => 1_900_000_000_000 })
    try {
      const token = await issuer.mint()
      expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: issuer.kid })
      const claims = decodeJwt(token)
      expect(claims).toEqual({
        iss: issuer.url,
        sub: 'user-1',
        aud: 'https://api.example.test',
        client_id: 'client-1',
        scope: 'read write',
        jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
        iat: 1_900_000_000,
        exp: 1_900_003_600,
      })
      expect(decodeJwt(await issuer.mint()).jti).not.toBe(claims.jti)
      expect(decodeJwt(await issuer.mint({}, { notYetValid: true })).nbf).toBe(1_900_003_600)
      expect(decodeJwt(await issuer.mint({ scope: 'todos:read', sub: 'svc' }))).toMatchObject({
        scope: 'todos:read',
        sub: 'svc',
      })
    } finally {
      await issuer.close()
    }
  })

  it.each(TEST_ISSUER_ALGORITHMS)(
    'signs %s tokens that verify against the served JWKS',
    async (algorithm) => {
      const issuer = await createTestIssuer({ profile: 'oidc', algorithm, audience: 'https://api.test' })
      try {
        expect(issuer.algorithm).toBe(algorithm)
        expect(issuer.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
        const { payload, protectedHeader } = await jwtVerify(
          await issuer.mint(),
          createRemoteJWKSet(new URL(issuer.jwksUri)),
          {
            issuer: issuer.url,
            audience: 'https://api.test',
            algorithms: [algorithm],
            typ: 'at+jwt',
          },
        )
        expect(protectedHeader.alg).toBe(algorithm)
        expect(payload.client_id).toBe('client-1')
        const jwks = (await (await fetch(issuer.jwksUri)).json()) as { keys: Record<string, unknown>[] }
        expect(jwks.keys[0]).not.toHaveProperty('d')
      } finally {
        await issuer.close()
      }
    },
  )
})
