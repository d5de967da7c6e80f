/**
 * SECURITY §3 (P1–P11): parsing of the compact JWS, its header and its claims.
 */

import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AccessTokenClaims,
  createGate,
  type Gate,
  oidc,
  type VercelClaims,
  vercel,
} from '../src/index.js'
import {
  b64,
  claimsOf,
  expectInvalidRequest,
  expectInvalidToken,
  issuerPrivateKey,
  type LoopbackServer,
  publicJwk,
  request,
  segmentJson,
  serveJwks,
  signJws,
} from './helpers.js'

let issuer: TestIssuer
let as: TestIssuer
let gate: Gate<VercelClaims>
let oidcGate: Gate<AccessTokenClaims>
let token: string
let claims: Record<string, unknown>
let header: Record<string, unknown>
let key: KeyObject
let attacker: KeyObject
let canary: LoopbackServer

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  as = await createTestIssuer({ profile: 'oidc' })
  const jwks = { cooldownDuration: 20 }
  gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })], jwks })
  oidcGate = createGate({
    issuers: [oidc({ issuer: as.issuer, audience: as.audience, jwksUri: as.jwksUri })],
    jwks,
  })
  token = await issuer.mint()
  claims = claimsOf(token)
  header = segmentJson(token, 0)
  key = issuerPrivateKey(issuer)
  attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  // A URL an attacker controls: the gate must never contact it.
  canary = await serveJwks(() => ({
    keys: [publicJwk(attacker, { kid: 'attacker', alg: 'RS256', use: 'sig' })],
  }))
  await Promise.all([gate.warmup(), oidcGate.warmup()])
})

afterAll(async () => {
  gate.close()
  oidcGate.close()
  await Promise.all([issuer.close(), as.close(), canary.close()])
})

/** The valid token with its signature segment replaced. */
function withSignature(signature: string): string {
  return `${token.slice(0, token.lastIndexOf('.'))}.${signature}`
}

const signatureOf = (t: string): string => t.slice(t.lastIndexOf('.') + 1)

describe('P1: compact serialization with exactly three segments', () => {
  it('verifies the untouched baseline token', async () => {
    expect((await gate.verify(token)).claims.owner).toBe('acme')
  })

  it('refuses two segments (segments-2)', async () => {
    await expectInvalidToken(gate.verify(token.slice(0, token.lastIndexOf('.'))), 'malformed', [token])
  })

  it('refuses four segments (segments-4)', async () => {
    await expectInvalidToken(gate.verify(`${token}.${signatureOf(token)}`), 'malformed')
  })

  it('refuses a five-segment JWE-shaped token (segments-5-jwe-shaped)', async () => {
    const jwe = [
      b64(JSON.stringify({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid: issuer.kid })),
      'a',
      'b',
      'c',
      'd',
    ]
    await expectInvalidToken(gate.verify(jwe.join('.')), 'malformed')
  })

  it('refuses a three-segment token whose header carries JWE members', async () => {
    const t = signJws({ ...header, enc: 'A256GCM' }, claims, key, 'RS256')
    await expectInvalidToken(gate.verify(t), 'malformed')
    const z = signJws({ ...header, zip: 'DEF' }, claims, key, 'RS256')
    await expectInvalidToken(gate.verify(z), 'malformed')
  })

  it('refuses the JWS JSON serialization: 400 in a header (not a b64token), 401 through verify()', async () => {
    const [h, p, s] = token.split('.')
    const json = JSON.stringify({ protected: h, payload: p, signature: s })
    await expectInvalidRequest(gate.authenticate(request(`Bearer ${json}`)), 'malformed-credentials')
    await expectInvalidToken(gate.verify(json), 'malformed')
  })

  it('refuses empty header and payload segments', async () => {
    const [h, p, s] = token.split('.') as [string, string, string]
    await expectInvalidToken(gate.verify(`.${p}.${s}`), 'malformed')
    await expectInvalidToken(gate.verify(`${h}..${s}`), 'malformed')
  })
})

describe('P2: strict base64url', () => {
  it('refuses a signature in the standard base64 alphabet (base64url-invalid-character)', async () => {
    const std = signatureOf(token).replaceAll('-', '+').replaceAll('_', '/')
    expect(std).not.toBe(signatureOf(token))
    await expectInvalidToken(gate.verify(withSignature(std)), 'malformed')
    // Through a header the token passes the b64token grammar (which allows + and /) and JWS parsing refuses it.
    await expectInvalidToken(gate.authenticate(request(`Bearer ${withSignature(std)}`)), 'malformed')
  })

  it('refuses "=" padding on the signature (base64url-padding-in-signature)', async () => {
    const padded = withSignature(`${signatureOf(token)}==`)
    await expectInvalidToken(gate.verify(padded), 'malformed')
    await expectInvalidToken(gate.authenticate(request(`Bearer ${padded}`)), 'malformed')
  })

  it('refuses padding on the header segment', async () => {
    const [h, p, s] = token.split('.')
    await expectInvalidToken(gate.verify(`${h}=.${p}.${s}`), 'malformed')
  })

  it('refuses whitespace and line breaks inside a segment', async () => {
    const [h, p, s] = token.split('.') as [string, string, string]
    await expectInvalidToken(gate.verify(`${h}.${p.slice(0, 10)}\n${p.slice(10)}.${s}`), 'malformed')
    await expectInvalidToken(gate.verify(`${h}.${p}.${s.slice(0, 8)} ${s.slice(8)}`), 'malformed')
  })

  it('refuses a non-canonical encoding whose unused trailing bits are set, though it decodes to the same bytes', async () => {
    const sig = signatureOf(token)
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const last = alphabet.indexOf(sig.at(-1) as string)
    const variant = `${sig.slice(0, -1)}${alphabet[last | 1]}`
    expect(variant).not.toBe(sig)
    expect(Buffer.from(variant, 'base64url')).toEqual(Buffer.from(sig, 'base64url'))
    await expectInvalidToken(gate.verify(withSignature(variant)), 'malformed')
  })

  it('refuses a segment whose length is 1 modulo 4', async () => {
    const sig = `${signatureOf(token)}AAA`
    expect(sig.length % 4).toBe(1)
    await expectInvalidToken(gate.verify(withSignature(sig)), 'malformed')
  })
})

describe('P3: header and claims are UTF-8 JSON objects', () => {
  const cases: [string, () => [Parameters<typeof signJws>[0], Parameters<typeof signJws>[1]]][] = [
    ['header-not-json', () => ['{alg:RS256}', claims]],
    ['header-json-array', () => [JSON.stringify([header]), claims]],
    ['header-json-string', () => ['"RS256"', claims]],
    ['header-invalid-utf8', () => [Buffer.from('{"alg":"RS256","x":"\xff"}', 'latin1'), claims]],
    ['payload-not-json', () => [header, 'iss=acme&sub=x']],
    ['payload-json-array', () => [header, JSON.stringify([claims])]],
    ['payload-json-null', () => [header, 'null']],
    ['payload-trailing-data', () => [header, `${JSON.stringify(claims)} x`]],
    [
      'payload-invalid-utf8',
      () => [
        header,
        Buffer.concat([
          Buffer.from(JSON.stringify(claims).slice(0, -1)),
          Buffer.from(',"x":"\xff"}', 'latin1'),
        ]),
      ],
    ],
    [
      'payload-overlong-utf8',
      () => [
        header,
        Buffer.concat([
          Buffer.from(JSON.stringify(claims).slice(0, -1)),
          Buffer.from([0x2c, 0x22, 0x78, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]),
        ]),
      ],
    ],
    [
      'payload-utf8-encoded-surrogate',
      () => [
        header,
        Buffer.concat([
          Buffer.from(JSON.stringify(claims).slice(0, -1)),
          Buffer.from([0x2c, 0x22, 0x78, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
        ]),
      ],
    ],
    [
      'payload-with-utf8-bom',
      () => [header, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(claims))])],
    ],
  ]
  for (const [name, build] of cases) {
    it(`refuses a validly signed token: ${name}`, async () => {
      const [h, p] = build()
      await expectInvalidToken(gate.verify(signJws(h, p, key, 'RS256')), 'malformed')
    })
  }

  it('accepts non-ASCII text in claims, decoded as UTF-8', async () => {
    const t = await issuer.mint({ note: 'crème brûlée ☕ 𝄞' })
    expect((await gate.verify(t)).claims).toMatchObject({ note: 'crème brûlée ☕ 𝄞' })
  })
})

describe('P4: duplicate member names are refused', () => {
  const raw = (replace: (json: string) => string): string => replace(JSON.stringify(claims))

  it('refuses duplicate claims where the last aud is wrong (duplicate-claim-aud-last-is-wrong)', async () => {
    const t = await issuer.sign(
      header,
      raw((j) => j.replace('{', '{"aud":"https://vercel.com/other",')),
    )
    // JSON.parse would keep the last (legit) one: a first-wins reader would see another audience.
    await expectInvalidToken(gate.verify(t), 'duplicate-member')
    const legitLast = await issuer.sign(
      header,
      raw((j) => j.replace('}', ',"aud":"https://vercel.com/other"}')),
    )
    await expectInvalidToken(gate.verify(legitLast), 'duplicate-member')
  })

  it('refuses duplicate claims where the first sub differs (duplicate-claim-sub-first-differs)', async () => {
    const t = await issuer.sign(
      header,
      raw((j) => j.replace('{', '{"sub":"owner:acme:project:admin:environment:production",')),
    )
    await expectInvalidToken(gate.verify(t), 'duplicate-member')
  })

  it('refuses a duplicate spelled with a \\u escape', async () => {
    const t = await issuer.sign(
      header,
      raw((j) => j.replace('{', '{"\\u0061ud":"https://vercel.com/other",')),
    )
    await expectInvalidToken(gate.verify(t), 'duplicate-member')
  })

  it('refuses duplicates nested inside a custom claim', async () => {
    const t = await issuer.sign(
      header,
      raw((j) => j.replace('{', '{"ext":{"role":"user","role":"admin"},')),
    )
    await expectInvalidToken(gate.verify(t), 'duplicate-member')
  })

  it('refuses duplicate header members', async () => {
    const h = `{"alg":"RS256","typ":"JWT","kid":${JSON.stringify(issuer.kid)},"alg":"RS256"}`
    await expectInvalidToken(gate.verify(signJws(h, claims, key, 'RS256')), 'duplicate-member')
  })

  it('keeps a "__proto__" claim as plain data', async () => {
    const t = await issuer.sign(
      header,
      raw((j) => j.replace('{', '{"__proto__":{"admin":true},')),
    )
    const auth = await gate.verify(t)
    expect(Object.hasOwn(auth.claims, '__proto__')).toBe(true)
    expect((auth.claims as unknown as { admin?: unknown }).admin).toBeUndefined()
  })
})

describe('P5: bounded nesting', () => {
  const nested = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`

  it('accepts a custom claim nested 10 levels deep', async () => {
    const t = await issuer.sign(header, JSON.stringify(claims).replace('{', `{"deep":${nested(10)},`))
    expect((await gate.verify(t)).claims).toHaveProperty('deep.a.a.a.a.a.a.a.a.a.a', 1)
  })

  it('accepts 16 levels of nesting, counting the claims set, and refuses 17', async () => {
    const at = (levels: number) =>
      issuer.sign(header, JSON.stringify(claims).replace('{', `{"deep":${nested(levels - 1)},`))
    expect((await gate.verify(await at(16))).claims).toHaveProperty('deep')
    await expectInvalidToken(gate.verify(await at(17)), 'malformed')
    const arrays = (levels: number) =>
      issuer.sign(
        header,
        JSON.stringify(claims).replace('{', `{"deep":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)},`),
      )
    expect((await gate.verify(await arrays(16))).claims).toHaveProperty('deep')
    await expectInvalidToken(gate.verify(await arrays(17)), 'malformed')
  })

  it('refuses objects nested 600 levels deep', async () => {
    const t = await issuer.sign(header, JSON.stringify(claims).replace('{', `{"deep":${nested(600)},`))
    await expectInvalidToken(gate.verify(t), 'malformed')
  })

  it('refuses arrays nested 2000 levels deep', async () => {
    const deep = `${'['.repeat(2000)}${']'.repeat(2000)}`
    const t = await issuer.sign(header, JSON.stringify(claims).replace('{', `{"deep":${deep},`))
    await expectInvalidToken(gate.verify(t), 'malformed')
  })
})

describe('P6: crit', () => {
  it('refuses an unknown critical extension (crit-unknown-extension)', async () => {
    await expectInvalidToken(
      gate.verify(await issuer.mint({}, { header: { crit: ['urn:x'], 'urn:x': 1 } })),
      'crit',
    )
  })

  it('refuses an empty crit array (crit-empty-array)', async () => {
    await expectInvalidToken(gate.verify(await issuer.mint({}, { header: { crit: [] } })), 'crit')
  })

  it('refuses crit listing a registered header name', async () => {
    await expectInvalidToken(gate.verify(await issuer.mint({}, { header: { crit: ['kid'] } })), 'crit')
  })
})

describe('P7: unencoded payloads', () => {
  it('refuses b64:false (b64-false-unencoded-payload)', async () => {
    await expectInvalidToken(gate.verify(await issuer.mint({}, { header: { b64: false } })), 'b64')
    await expectInvalidToken(
      gate.verify(await issuer.mint({}, { header: { b64: false, crit: ['b64'] } })),
      'crit',
    )
  })
})

describe('P8: nested JWTs', () => {
  for (const cty of ['JWT', 'jwt', 'application/JWT']) {
    it(`refuses cty ${cty}`, async () => {
      await expectInvalidToken(gate.verify(await issuer.mint({}, { header: { cty } })), 'cty')
    })
  }
})

describe('P9: explicit typing', () => {
  for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt']) {
    const name =
      typ === 'application/at+jwt'
        ? 'valid-typ-application-at+jwt'
        : typ === 'AT+JWT'
          ? 'valid-typ-uppercase-AT+JWT'
          : typ
    it(`accepts typ ${typ} for oidc() (${name})`, async () => {
      const auth = await oidcGate.verify(await as.mint({}, { header: { typ } }))
      expect(auth.header.typ).toBe(typ)
    })
  }

  const refused: [string, unknown][] = [
    ['typ-JWT-id-token-style', 'JWT'],
    ['typ-missing', undefined],
    ['typ-dpop+jwt-cross-jwt-confusion', 'dpop+jwt'],
    ['typ-secevent+jwt', 'secevent+jwt'],
    ['typ-at+jwt-as-prefix', 'at+jwtx'],
    ['typ-non-string', ['at+jwt']],
  ]
  for (const [name, typ] of refused) {
    it(`refuses for oidc() (${name})`, async () => {
      await expectInvalidToken(oidcGate.verify(await as.mint({}, { header: { typ } })), 'typ')
    })
  }

  it('accepts an untyped token for oidc({ typ: false }) only', async () => {
    const untyped = createGate({
      issuers: [oidc({ issuer: as.issuer, audience: as.audience, jwksUri: as.jwksUri, typ: false })],
    })
    try {
      const t = await as.mint({}, { header: { typ: undefined } })
      expect((await untyped.verify(t)).claims.sub).toBe('user-1')
      await expectInvalidToken(oidcGate.verify(t), 'typ')
    } finally {
      untyped.close()
    }
  })

  it('accepts typ JWT (as Vercel sends it) for vercel()', async () => {
    expect((await gate.verify(await issuer.mint({}, { header: { typ: 'JWT' } }))).header.typ).toBe('JWT')
    expect(
      (await gate.verify(await issuer.mint({}, { header: { typ: 'application/jwt' } }))).header.typ,
    ).toBe('application/jwt')
  })

  for (const typ of ['at+jwt', 'application/at+jwt', 'dpop+jwt', 'secevent+jwt']) {
    it(`refuses typ ${typ} for vercel()`, async () => {
      await expectInvalidToken(gate.verify(await issuer.mint({}, { header: { typ } })), 'typ')
    })
  }
})

describe('P10: jku, x5u, jwk and x5c never locate or supply a key', () => {
  const forged = (extra: Record<string, unknown>): string =>
    signJws({ ...header, ...extra }, claims, attacker, 'RS256')

  it('refuses an attacker-signed token with an embedded jwk and the legit kid (embedded-jwk-with-legit-kid)', async () => {
    await expectInvalidToken(gate.verify(forged({ jwk: publicJwk(attacker) })), 'signature')
  })

  it('refuses a self-signed token with an embedded jwk and no kid (embedded-jwk-self-signed)', async () => {
    await expectInvalidToken(gate.verify(forged({ kid: undefined, jwk: publicJwk(attacker) })), 'signature')
  })

  it('refuses a token whose jku points at an attacker JWKS and never fetches it (jku-points-to-attacker-jwks)', async () => {
    const before = issuer.requests.jwks
    await expectInvalidToken(gate.verify(forged({ kid: 'attacker', jku: `${canary.url}/jwks.json` })), 'kid')
    expect(canary.requests).toHaveLength(0)
    // The unknown kid costs at most one refetch of the configured JWKS.
    expect(issuer.requests.jwks - before).toBeLessThanOrEqual(1)
  })

  it('refuses a token whose x5u points at an attacker URL and never fetches it (x5u-points-to-attacker-url)', async () => {
    await expectInvalidToken(gate.verify(forged({ kid: 'attacker', x5u: `${canary.url}/cert.pem` })), 'kid')
    expect(canary.requests).toHaveLength(0)
  })

  it('refuses an attacker-signed token with an x5c chain (x5c-attacker-chain)', async () => {
    const x5c = [b64(Buffer.from('not a certificate the gate would ever parse')).replaceAll('-', '+')]
    await expectInvalidToken(gate.verify(forged({ kid: undefined, x5c })), 'signature')
  })

  it('verifies a legit token carrying jku, x5u, jwk, x5c and x5t, contacting none of them (canary probe)', async () => {
    const t = signJws(
      {
        ...header,
        jku: `${canary.url}/jwks`,
        x5u: `${canary.url}/x5u`,
        jwk: publicJwk(attacker),
        x5c: ['MIIB'],
        x5t: 'abc',
      },
      claims,
      key,
      'RS256',
    )
    expect((await gate.verify(t)).claims.owner).toBe('acme')
    expect(canary.requests).toHaveLength(0)
  })
})

describe('P11: kid is a bounded opaque string', () => {
  const withKid = (kid: unknown): string => signJws({ ...header, kid }, claims, key, 'RS256')

  for (const [name, kid] of [
    ['kid-non-string-object', { $ne: null }],
    ['kid-non-string-number', 1],
    ['kid-empty-string', ''],
    ['kid-longer-than-256', 'k'.repeat(257)],
  ] as const) {
    it(`refuses ${name} without a JWKS fetch`, async () => {
      const before = issuer.requests.jwks
      await expectInvalidToken(gate.verify(withKid(kid)), 'kid')
      expect(issuer.requests.jwks).toBe(before)
    })
  }

  for (const [name, kid] of [
    ['kid-path-traversal', '../../../../../dev/null'],
    ['kid-sql-injection', "x' UNION SELECT 'secret' --"],
    ['kid-case-variant', () => issuer.kid.toUpperCase()],
    ['kid-prefix-of-legit', () => issuer.kid.slice(0, -1)],
    ['kid-256-chars', 'k'.repeat(256)],
  ] as const) {
    it(`matches ${name} exactly against the JWKS: no key, at most one refetch`, async () => {
      const before = issuer.requests.jwks
      await expectInvalidToken(gate.verify(withKid(typeof kid === 'function' ? kid() : kid)), 'kid')
      expect(issuer.requests.jwks - before).toBeLessThanOrEqual(1)
    })
  }
})
