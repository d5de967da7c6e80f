/**
 * SECURITY A1, A4 and DESIGN §6: the algorithm allow-list of each issuer. `oidc()` accepts every
 * asymmetric algorithm by default, each key still verifying with exactly one; issuers that share a JWKS
 * URL each keep their own allow-list.
 */

import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createTestIssuer, type TestIssuerAlgorithm } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AccessTokenClaims, type Algorithm, createGate, type Gate, oidc, vercel } from '../src/index.js'
import {
  accessTokenClaims,
  expectInvalidToken,
  type LoopbackServer,
  publicJwk,
  type SignAlgorithm,
  serveJwks,
  signJws,
} from './helpers.js'

const gates: { close(): void }[] = []
function track<G extends { close(): void }>(g: G): G {
  gates.push(g)
  return g
}
afterAll(() => {
  for (const g of gates) g.close()
})

describe('oidc() accepts every asymmetric algorithm by default', () => {
  it('defaults the allow-list to RS*, PS*, ES256/384/512, EdDSA and Ed25519, while vercel() stays RS256', () => {
    const profile = oidc({
      issuer: 'https://as.example.test',
      audience: 'https://api.example.test',
      jwksUri: 'https://as.example.test/jwks',
    })
    expect(profile.algorithms).toEqual([
      'RS256',
      'RS384',
      'RS512',
      'PS256',
      'PS384',
      'PS512',
      'ES256',
      'ES384',
      'ES512',
      'EdDSA',
      'Ed25519',
    ])
    expect(vercel({ team: 'acme' }).algorithms).toEqual(['RS256'])
  })

  for (const algorithm of ['ES256', 'PS256', 'EdDSA', 'RS256'] as TestIssuerAlgorithm[]) {
    it(`verifies tokens of an issuer signing with ${algorithm} with no algorithms option`, async () => {
      const issuer = await createTestIssuer({ profile: 'oidc', algorithm })
      try {
        const gate = track(
          createGate({
            issuers: [oidc({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri })],
          }),
        )
        const auth = await gate.verify(await issuer.mint())
        expect(auth.header.alg).toBe(algorithm)
      } finally {
        await issuer.close()
      }
    })
  }

  describe('an RSA key published without alg', () => {
    let key: KeyObject
    let server: LoopbackServer
    let gate: Gate<AccessTokenClaims>
    const iss = 'https://as.example.test'
    const aud = 'https://api.example.test'
    beforeAll(async () => {
      key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
      server = await serveJwks(() => ({ keys: [publicJwk(key, { kid: 'bare' })] }))
      gate = track(
        createGate({ issuers: [oidc({ issuer: iss, audience: aud, jwksUri: `${server.url}/jwks` })] }),
      )
    })
    afterAll(async () => {
      await server.close()
    })
    const tokenFor = (alg: SignAlgorithm) =>
      signJws({ alg, typ: 'at+jwt', kid: 'bare' }, accessTokenClaims(iss, aud), key, alg)

    it('stays RS256 under the default allow-list', async () => {
      expect((await gate.verify(tokenFor('RS256'))).header.alg).toBe('RS256')
    })

    it('answers 401 invalid_token alg to a PS256 signature made with it (alg-ps256-with-rs256-key)', async () => {
      await expectInvalidToken(gate.verify(tokenFor('PS256')), 'alg')
    })
  })
})

describe('issuers that share a JWKS URL each keep their own allow-list', () => {
  const aud = 'https://api.example.test'
  const A = 'https://a.example.test'
  const B = 'https://b.example.test'
  let rsa: KeyObject
  let pss: KeyObject
  let ec: KeyObject
  let bare: KeyObject
  let server: LoopbackServer

  beforeAll(async () => {
    rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    pss = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    bare = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    server = await serveJwks(() => ({
      keys: [
        publicJwk(rsa, { kid: 'rs', alg: 'RS256', use: 'sig' }),
        publicJwk(pss, { kid: 'ps', alg: 'PS256', use: 'sig' }),
        publicJwk(ec, { kid: 'es', alg: 'ES256', use: 'sig' }),
        publicJwk(bare, { kid: 'bare' }),
      ],
    }))
  })
  afterAll(async () => {
    await server.close()
  })

  const a = () => oidc({ issuer: A, audience: aud, jwksUri: `${server.url}/jwks`, algorithms: ['PS256'] })
  const b = () =>
    oidc({ issuer: B, audience: aud, jwksUri: `${server.url}/jwks`, algorithms: ['RS256', 'ES256'] })
  const token = (iss: string, kid: string, key: KeyObject, alg: SignAlgorithm) =>
    signJws({ alg, typ: 'at+jwt', kid }, accessTokenClaims(iss, aud), key, alg)

  const orders: [string, () => ReturnType<typeof oidc>[]][] = [
    ['[A, B]', () => [a(), b()]],
    ['[B, A]', () => [b(), a()]],
  ]
  for (const [order, issuers] of orders) {
    describe(`with the issuers in the order ${order}`, () => {
      let gate: Gate<AccessTokenClaims>
      let fetchesBefore: number
      beforeAll(() => {
        fetchesBefore = server.requests.length
        gate = track(createGate({ issuers: issuers(), jwks: { cooldownDuration: 10 } }))
      })

      it("verifies B's RS256 and ES256 tokens and A's PS256 token from one fetched JWKS", async () => {
        expect((await gate.verify(token(B, 'rs', rsa, 'RS256'))).issuer).toBe(B)
        expect((await gate.verify(token(B, 'es', ec, 'ES256'))).issuer).toBe(B)
        expect((await gate.verify(token(A, 'ps', pss, 'PS256'))).issuer).toBe(A)
        expect(server.requests.length - fetchesBefore).toBe(1)
      })

      it('pins a key without alg per issuer: PS256 for A, RS256 for B', async () => {
        expect((await gate.verify(token(A, 'bare', bare, 'PS256'))).header.alg).toBe('PS256')
        expect((await gate.verify(token(B, 'bare', bare, 'RS256'))).header.alg).toBe('RS256')
      })

      const refused: [string, () => string][] = [
        ["B's PS256 token on the PS256 key", () => token(B, 'ps', pss, 'PS256')],
        ["A's RS256 token on the RS256 key", () => token(A, 'rs', rsa, 'RS256')],
        ["A's ES256 token on the ES256 key", () => token(A, 'es', ec, 'ES256')],
        ["B's PS256 token on the key without alg", () => token(B, 'bare', bare, 'PS256')],
        ["A's RS256 token on the key without alg", () => token(A, 'bare', bare, 'RS256')],
        ["B's RS256 token signed with the PS256-labelled key", () => token(B, 'ps', pss, 'RS256')],
      ]
      for (const [name, build] of refused) {
        it(`answers 401 invalid_token alg to ${name}`, async () => {
          await expectInvalidToken(gate.verify(build()), 'alg')
        })
      }
    })
  }

  it('still refuses an algorithm outside every allow-list before any fetch', async () => {
    const before = server.requests.length
    const gate = track(createGate({ issuers: [a(), b()] }))
    const allowed: readonly Algorithm[] = ['PS256']
    expect(a().algorithms).toEqual(allowed)
    await expectInvalidToken(gate.verify(token(A, 'es', ec, 'ES256')), 'alg')
    expect(server.requests.length).toBe(before)
  })
})
