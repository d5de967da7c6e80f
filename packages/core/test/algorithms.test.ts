/**
 * SECURITY §4 (A1–A8): algorithm allow-lists, algorithms pinned per key, key-type and key-strength checks,
 * and signature verification.
 */

import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AccessTokenClaims,
  createGate,
  type Gate,
  type GateEvent,
  oidc,
  type VercelClaims,
  vercel,
} from '../src/index.js'
import {
  accessTokenClaims,
  b64,
  claimsOf,
  expectInvalidToken,
  flipSignatureBit,
  hs256,
  issuerPrivateKey,
  type LoopbackServer,
  publicJwk,
  segmentJson,
  serveJwks,
  signingInput,
  signJws,
} from './helpers.js'

let issuer: TestIssuer // Vercel, RS256
let rs: TestIssuer // RFC 9068, RS256
let es: TestIssuer // RFC 9068, ES256
let gate: Gate<VercelClaims>
let esGate: Gate<AccessTokenClaims>
let token: string
let header: Record<string, unknown>
let claims: Record<string, unknown>
let rsaAttacker: KeyObject
let ecAttacker: KeyObject
const gates: { close(): void }[] = []

/** A gate closed after the file. */
function track<G extends { close(): void }>(g: G): G {
  gates.push(g)
  return g
}

beforeAll(async () => {
  ;[issuer, rs, es] = await Promise.all([
    createTestIssuer({ team: 'acme' }),
    createTestIssuer({ profile: 'oidc' }),
    createTestIssuer({ profile: 'oidc', algorithm: 'ES256' }),
  ])
  gate = track(
    createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })], jwks: { cooldownDuration: 20 } }),
  )
  esGate = track(
    createGate({
      issuers: [
        oidc({ issuer: es.issuer, audience: es.audience, jwksUri: es.jwksUri, algorithms: ['ES256'] }),
      ],
      jwks: { cooldownDuration: 20 },
    }),
  )
  token = await issuer.mint()
  header = segmentJson(token, 0)
  claims = claimsOf(token)
  rsaAttacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  ecAttacker = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
  await Promise.all([gate.warmup(), esGate.warmup()])
})

afterAll(async () => {
  for (const g of gates) g.close()
  await Promise.all([issuer.close(), rs.close(), es.close()])
})

describe('A1–A3: alg none and anything outside the allow-list', () => {
  it('verifies the baseline RS256 token', async () => {
    expect((await gate.verify(token)).header.alg).toBe('RS256')
  })

  it('refuses an unsigned token (alg-none-unsigned)', async () => {
    const unsigned = `${signingInput({ alg: 'none', typ: 'JWT' }, claims)}.`
    await expectInvalidToken(gate.verify(unsigned), 'signature', [unsigned])
  })

  it('refuses alg none carrying a real signature (alg-none-with-signature)', async () => {
    await expectInvalidToken(gate.verify(await issuer.sign({ ...header, alg: 'none' }, claims)), 'alg')
  })

  for (const alg of ['nOnE', 'NONE', 'None']) {
    it(`refuses the case variant ${alg} (alg-none-case-variant-${alg})`, async () => {
      await expectInvalidToken(gate.verify(await issuer.sign({ ...header, alg }, claims)), 'alg')
    })
  }

  it('compares alg case-sensitively: rs256 is not RS256', async () => {
    await expectInvalidToken(gate.verify(await issuer.sign({ ...header, alg: 'rs256' }, claims)), 'alg')
  })

  it('refuses a token without alg or with a non-string alg', async () => {
    await expectInvalidToken(gate.verify(await issuer.sign({ ...header, alg: undefined }, claims)), 'alg')
    await expectInvalidToken(gate.verify(await issuer.sign({ ...header, alg: ['RS256'] }, claims)), 'alg')
  })

  it('refuses an algorithm that exists but is not allowed for the profile (vercel pins RS256)', async () => {
    await expectInvalidToken(gate.verify(await issuer.sign({ ...header, alg: 'RS512' }, claims)), 'alg')
  })

  it('refuses an algorithm outside the allow-list before any key lookup, even with an unknown kid', async () => {
    const before = issuer.requests.jwks
    const forged = signJws({ ...header, alg: 'ES256', kid: 'mrk-unknown' }, claims, ecAttacker, 'ES256')
    await expectInvalidToken(gate.verify(forged), 'alg')
    expect(issuer.requests.jwks).toBe(before)
  })
})

describe('A2: configuration can never enable none or MACs', () => {
  const base = {
    issuer: 'https://as.example.test',
    audience: 'https://api.example.test',
    jwksUri: 'https://as.example.test/jwks',
  }
  const bad: [string, unknown][] = [
    ['none', ['none']],
    ['nOnE', ['nOnE']],
    ['HS256', ['HS256']],
    ['RS256 and HS256', ['RS256', 'HS256']],
    ['hs512', ['hs512']],
    ['an empty list', []],
    ['a string instead of a list', 'RS256'],
    ['an unknown algorithm', ['RS1']],
    ['a non-string entry', [256]],
  ]
  for (const [name, algorithms] of bad) {
    it(`oidc() throws a TypeError naming algorithms for ${name}`, () => {
      expect(() => oidc({ ...base, algorithms } as never)).toThrow(TypeError)
      expect(() => oidc({ ...base, algorithms } as never)).toThrow(/oidc\(\): algorithms/)
    })
  }

  it('vercel() has no algorithms option: passing one throws', () => {
    expect(() => vercel({ team: 'acme', algorithms: ['HS256'] } as never)).toThrow(
      /unknown option "algorithms"/,
    )
  })
})

describe('A5: no HMAC keyed with any representation of the public key', () => {
  const forms: [string, () => string | Uint8Array][] = [
    [
      'pem-spki',
      () => createPublicKey(issuerPrivateKey(issuer)).export({ type: 'spki', format: 'pem' }) as string,
    ],
    [
      'pem-pkcs1',
      () => createPublicKey(issuerPrivateKey(issuer)).export({ type: 'pkcs1', format: 'pem' }) as string,
    ],
    ['der-spki', () => createPublicKey(issuerPrivateKey(issuer)).export({ type: 'spki', format: 'der' })],
    [
      'pem-spki-whitespace-prefixed',
      () =>
        `\n ${createPublicKey(issuerPrivateKey(issuer)).export({ type: 'spki', format: 'pem' }) as string}`,
    ],
    [
      'jwk-json',
      () =>
        JSON.stringify(publicJwk(issuerPrivateKey(issuer), { kid: issuer.kid, alg: 'RS256', use: 'sig' })),
    ],
  ]
  for (const [form, secret] of forms) {
    it(`refuses HS256 keyed with the public key as ${form} (alg-hs256-keyed-with-public-key-${form})`, async () => {
      const forged = hs256({ ...header, alg: 'HS256' }, claims, secret())
      await expectInvalidToken(gate.verify(forged), 'alg')
    })
  }

  it('refuses HS256 with an empty key and a path-traversal kid (kid-path-traversal-empty-hmac)', async () => {
    const forged = hs256({ alg: 'HS256', typ: 'JWT', kid: '../../../../dev/null' }, claims, '')
    await expectInvalidToken(gate.verify(forged), 'alg')
  })

  it('refuses HS256 on an ES256 issuer keyed with its public JWK', async () => {
    const t = await es.mint()
    const jwk = ((await (await fetch(es.jwksUri)).json()) as { keys: unknown[] }).keys[0]
    const forged = hs256({ ...segmentJson(t, 0), alg: 'HS256' }, claimsOf(t), JSON.stringify(jwk))
    await expectInvalidToken(esGate.verify(forged), 'alg')
  })
})

describe('A4: each key is pinned to exactly one algorithm (alg-ps256-with-rs256-key)', () => {
  let noAlg: LoopbackServer
  let rsKey: KeyObject

  beforeAll(async () => {
    rsKey = issuerPrivateKey(rs)
    // The same public key as rs's JWKS, but without `alg`, as many issuers (e.g. Entra ID) publish it.
    noAlg = await serveJwks(() => ({ keys: [publicJwk(rsKey, { kid: rs.kid })] }))
  })
  afterAll(async () => {
    await noAlg.close()
  })

  const both = (jwksUri: () => string, algorithms: ('RS256' | 'PS256')[]) =>
    track(
      createGate({
        issuers: [oidc({ issuer: rs.issuer, audience: rs.audience, jwksUri: jwksUri(), algorithms })],
      }),
    )
  const rsToken = (alg: 'RS256' | 'PS256'): string =>
    signJws({ alg, typ: 'at+jwt', kid: rs.kid }, accessTokenClaims(rs.issuer, rs.audience), rsKey, alg)

  it('refuses PS256 on a key the JWKS labels RS256, though both are allowed', async () => {
    const g = both(() => rs.jwksUri, ['RS256', 'PS256'])
    expect((await g.verify(rsToken('RS256'))).header.alg).toBe('RS256')
    await expectInvalidToken(g.verify(rsToken('PS256')), 'alg')
  })

  it('pins an RSA key without alg to the first allowed RSA algorithm: RS256 first refuses PS256', async () => {
    const g = both(() => `${noAlg.url}/jwks`, ['RS256', 'PS256'])
    expect((await g.verify(rsToken('RS256'))).header.alg).toBe('RS256')
    await expectInvalidToken(g.verify(rsToken('PS256')), 'alg')
  })

  it('pins an RSA key without alg to the first allowed RSA algorithm: PS256 first refuses RS256', async () => {
    const g = both(() => `${noAlg.url}/jwks`, ['PS256', 'RS256'])
    expect((await g.verify(rsToken('PS256'))).header.alg).toBe('PS256')
    await expectInvalidToken(g.verify(rsToken('RS256')), 'alg')
  })

  it('refuses ES256 tokens with the RSA issuer’s kid, whether or not ES256 is allowed (alg-mismatch-es256-on-rsa)', async () => {
    const forged = signJws({ ...header, alg: 'ES256' }, claims, ecAttacker, 'ES256')
    await expectInvalidToken(gate.verify(forged), 'alg')

    const g = both(() => rs.jwksUri, ['RS256'])
    const mixed = track(
      createGate({
        issuers: [
          oidc({
            issuer: rs.issuer,
            audience: rs.audience,
            jwksUri: rs.jwksUri,
            algorithms: ['RS256', 'ES256'],
          }),
        ],
        jwks: { cooldownDuration: 10 },
      }),
    )
    const esClaims = accessTokenClaims(rs.issuer, rs.audience)
    const withKid = signJws({ alg: 'ES256', typ: 'at+jwt', kid: rs.kid }, esClaims, ecAttacker, 'ES256')
    await expectInvalidToken(g.verify(withKid), 'alg')
    await expectInvalidToken(mixed.verify(withKid), 'alg')
    // Without a kid there is no ES256 key to pick at all.
    const noKid = signJws({ alg: 'ES256', typ: 'at+jwt' }, esClaims, ecAttacker, 'ES256')
    await expectInvalidToken(mixed.verify(noKid), 'kid')
  })

  it('refuses RS256 tokens on an ES256 issuer (alg-mismatch-rs256-on-ec)', async () => {
    const t = await es.mint()
    const forged = signJws({ ...segmentJson(t, 0), alg: 'RS256' }, claimsOf(t), rsaAttacker, 'RS256')
    await expectInvalidToken(esGate.verify(forged), 'alg')
  })
})

describe('A7: ECDSA signatures', () => {
  let esToken: string
  beforeAll(async () => {
    esToken = await es.mint()
  })
  const withSig = (sig: Uint8Array | string): string =>
    `${esToken.slice(0, esToken.lastIndexOf('.'))}.${typeof sig === 'string' ? sig : b64(sig)}`

  it('verifies the baseline ES256 token', async () => {
    expect((await esGate.verify(esToken)).header.alg).toBe('ES256')
  })

  it('refuses r = s = 0 (psychic-signature-es256-r0-s0)', async () => {
    await expectInvalidToken(esGate.verify(withSig(new Uint8Array(64))), 'signature')
  })

  it('refuses r = s = 0 in DER form', async () => {
    await expectInvalidToken(
      esGate.verify(withSig(Uint8Array.from([0x30, 6, 2, 1, 0, 2, 1, 0]))),
      'signature',
    )
  })

  it('refuses r = s = n, the curve order', async () => {
    const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex')
    await expectInvalidToken(esGate.verify(withSig(Buffer.concat([n, n]))), 'signature')
  })

  it('refuses an ES256 signature of the wrong length', async () => {
    const sig = Buffer.from(esToken.slice(esToken.lastIndexOf('.') + 1), 'base64url')
    await expectInvalidToken(esGate.verify(withSig(Buffer.concat([sig, Buffer.from([0])]))), 'signature')
    await expectInvalidToken(esGate.verify(withSig(sig.subarray(0, 63))), 'signature')
  })

  it('refuses an ES256 token signed by an attacker key with the legit kid', async () => {
    const forged = signJws(segmentJson(esToken, 0), claimsOf(esToken), ecAttacker, 'ES256')
    await expectInvalidToken(esGate.verify(forged), 'signature')
  })
})

describe('A8: empty, truncated or altered signatures', () => {
  it('refuses an empty signature (empty-signature)', async () => {
    await expectInvalidToken(gate.verify(`${token.slice(0, token.lastIndexOf('.'))}.`), 'signature')
    const esToken = await es.mint()
    await expectInvalidToken(esGate.verify(`${esToken.slice(0, esToken.lastIndexOf('.'))}.`), 'signature')
  })

  it('refuses a truncated signature', async () => {
    const sig = Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url')
    await expectInvalidToken(
      gate.verify(`${token.slice(0, token.lastIndexOf('.'))}.${b64(sig.subarray(0, -1))}`),
      'signature',
    )
  })

  for (const bit of [0, 7, 1000, 2047]) {
    it(`refuses a signature with bit ${bit} flipped (signature-bit-flip)`, async () => {
      await expectInvalidToken(gate.verify(flipSignatureBit(token, bit)), 'signature')
    })
  }

  it('refuses a tampered payload under the original signature (tampered-payload-original-signature)', async () => {
    const [h, , s] = token.split('.')
    const tampered = `${h}.${b64(JSON.stringify({ ...claims, project: 'admin' }))}.${s}`
    await expectInvalidToken(gate.verify(tampered), 'signature', [tampered])
  })

  it('refuses a tampered header under the original signature', async () => {
    const [, p, s] = token.split('.')
    await expectInvalidToken(
      gate.verify(`${b64(JSON.stringify({ ...header, typ: 'jwt' }))}.${p}.${s}`),
      'signature',
    )
  })

  it('refuses a token signed by an attacker key with the legit kid (signed-by-attacker-key-with-legit-kid)', async () => {
    await expectInvalidToken(gate.verify(signJws(header, claims, rsaAttacker, 'RS256')), 'signature')
  })
})

describe('A5–A6: what the JWKS import accepts', () => {
  const iss = 'https://as.example.test'
  const aud = 'https://api.example.test'
  let good: KeyObject
  let weak: KeyObject
  let server: LoopbackServer
  let jwksGate: Gate<AccessTokenClaims>
  const ignored = new Map<string | undefined, string>()

  beforeAll(async () => {
    good = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey
    const material = publicJwk(good)
    const privateJwk = good.export({ format: 'jwk' }) as Record<string, unknown>
    // Entries that share the good key's material: a token signed with the good key under their kid would
    // verify if the entry were used.
    server = await serveJwks(() => ({
      keys: [
        { ...material, kid: 'good', alg: 'RS256', use: 'sig' },
        { ...material, kid: 'ops-ok', key_ops: ['verify'] },
        { ...material, kid: 'enc', use: 'enc' },
        { ...material, kid: 'ops', key_ops: ['encrypt'] },
        { ...privateJwk, kid: 'leaky' },
        { ...material, kid: 'ps-only', alg: 'PS256' },
        { ...material, kid: 'mislabeled', alg: 'ES256' },
        { ...material, kid: 'padded-n', n: `${material.n as string}=` },
        { ...publicJwk(weak), kid: 'weak', alg: 'RS256' },
        { ...publicJwk(p384), kid: 'wrong-curve', alg: 'ES256' },
        { kty: 'oct', k: b64('secret'), kid: 'oct', alg: 'HS256' },
        'not a key',
      ],
    }))
    jwksGate = track(
      createGate({
        issuers: [
          oidc({ issuer: iss, audience: aud, jwksUri: `${server.url}/jwks`, algorithms: ['RS256', 'ES256'] }),
        ],
        jwks: { cooldownDuration: 10 },
        onEvent: (e: GateEvent) => {
          if (e.type === 'jwks.key-ignored') ignored.set(e.kid, e.reason)
        },
      }),
    )
    await jwksGate.warmup()
  })
  afterAll(async () => {
    await server.close()
  })

  const tokenFor = (kid: string, key: KeyObject = good): string =>
    signJws({ alg: 'RS256', typ: 'at+jwt', kid }, accessTokenClaims(iss, aud), key, 'RS256')

  it('uses a well-formed signing key, with or without use/key_ops', async () => {
    expect((await jwksGate.verify(tokenFor('good'))).header.kid).toBe('good')
    expect((await jwksGate.verify(tokenFor('ops-ok'))).header.kid).toBe('ops-ok')
  })

  const refused: [string, string, string][] = [
    ['an RSA key shorter than 2048 bits', 'weak', 'RSA key shorter than 2048 bits'],
    ['a key with use "enc"', 'enc', 'use is not sig'],
    ['a key whose key_ops lack verify', 'ops', 'key_ops lacks verify'],
    ['a key published with its private members', 'leaky', 'private or symmetric key material'],
    ['an RSA key labelled ES256', 'mislabeled', 'alg does not match the key type'],
    ['an RSA key with a non-canonical modulus', 'padded-n', 'malformed RSA key'],
  ]
  for (const [name, kid, reason] of refused) {
    it(`ignores ${name}: tokens under its kid are refused`, async () => {
      expect(ignored.get(kid)).toBe(reason)
      await expectInvalidToken(jwksGate.verify(tokenFor(kid, kid === 'weak' ? weak : good)), 'kid')
    })
  }

  it('keeps a key labelled with an algorithm outside this issuer’s allow-list, pinned to it: RS256 under its kid is refused as alg', async () => {
    expect(ignored.has('ps-only')).toBe(false)
    await expectInvalidToken(jwksGate.verify(tokenFor('ps-only')), 'alg')
  })

  it('ignores a P-384 key labelled ES256, symmetric keys and non-objects', () => {
    expect(ignored.get('wrong-curve')).toBe('alg does not match the key type')
    expect(ignored.get('oct')).toBe('private or symmetric key material')
    expect(ignored.get(undefined)).toBe('not an object')
  })
})
