/**
 * SECURITY §6 (C1–C13): claims of Vercel OIDC tokens and RFC 9068 access tokens.
 */

import {
  createTestIssuer,
  type MintClaims,
  type MintOptions,
  type TestIssuer,
  vercelIds,
} from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AccessTokenClaims,
  createGate,
  type Gate,
  type GateEvent,
  type GateOptions,
  type IssuerProfile,
  oidc,
  type VercelClaims,
  vercel,
} from '../src/index.js'
import { claimsOf, expectInvalidToken, segmentJson } from './helpers.js'

let issuer: TestIssuer // Vercel, team mode
let global: TestIssuer // Vercel, global mode
let as: TestIssuer // RFC 9068
let gate: Gate<VercelClaims>
let oidcGate: Gate<AccessTokenClaims>
const gates: { close(): void }[] = []

function track<G extends { close(): void }>(g: G): G {
  gates.push(g)
  return g
}

beforeAll(async () => {
  ;[issuer, global, as] = await Promise.all([
    createTestIssuer({ team: 'acme' }),
    createTestIssuer({ team: 'acme', mode: 'global' }),
    createTestIssuer({ profile: 'oidc' }),
  ])
  gate = track(createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] }))
  oidcGate = track(
    createGate({ issuers: [oidc({ issuer: as.issuer, audience: as.audience, jwksUri: as.jwksUri })] }),
  )
  await Promise.all([gate.warmup(), oidcGate.warmup()])
})

afterAll(async () => {
  for (const g of gates) g.close()
  await Promise.all([issuer.close(), global.close(), as.close()])
})

const mint = (claims: MintClaims = {}, options: MintOptions = {}) => issuer.mint(claims, options)
const mintAt = (claims: MintClaims = {}, options: MintOptions = {}) => as.mint(claims, options)

/** Signs the Vercel claims as raw JSON text, after `edit`, with the issuer's key. */
async function rawVercel(edit: (json: string) => string): Promise<string> {
  const t = await mint()
  return issuer.sign(segmentJson(t, 0), edit(JSON.stringify(claimsOf(t))))
}

/** A Vercel gate with a fixed clock (ms) and no verified-token cache, for time boundaries. */
function at(nowMs: number, options: Partial<GateOptions<IssuerProfile>> = {}): Gate<VercelClaims> {
  return track(
    createGate({
      issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
      cache: false,
      clock: () => nowMs,
      ...options,
    }),
  ) as Gate<VercelClaims>
}

describe('C1: iss', () => {
  it('refuses iss as an array holding the issuer (iss-as-array)', async () => {
    await expectInvalidToken(gate.verify(await mint({ iss: [issuer.issuer] as unknown as string })), 'iss')
  })
  it('refuses a token without iss or with a non-string iss', async () => {
    await expectInvalidToken(gate.verify(await mint({ iss: undefined })), 'iss')
    await expectInvalidToken(
      gate.verify(await mint({ iss: { href: issuer.issuer } as unknown as string })),
      'iss',
    )
  })
})

describe('C2: aud', () => {
  it('verifies a token whose aud array contains the audience (valid-aud-array-containing-audience)', async () => {
    const auth = await gate.verify(await mint({ aud: ['https://api.other.test', 'https://vercel.com/acme'] }))
    expect(auth.claims.aud).toEqual(['https://api.other.test', 'https://vercel.com/acme'])
  })

  const refused: [string, unknown][] = [
    ['aud-as-number', 42],
    ['aud-empty-array', []],
    ['aud-missing', undefined],
    ['aud-object', { aud: 'https://vercel.com/acme' }],
    ['aud-array-with-non-string', ['https://vercel.com/acme', 7]],
    ['aud-other-audience', 'https://vercel.com/other'],
    ['aud-array-of-other-audiences', ['https://vercel.com/other', 'https://api.other.test']],
    ['aud-prefix-extended', 'https://vercel.com/acme-evil'],
    ['aud-truncated', 'https://vercel.com/acm'],
    ['aud-case-variant', 'https://vercel.com/ACME'],
    ['aud-trailing-slash', 'https://vercel.com/acme/'],
  ]
  for (const [name, aud] of refused) {
    it(`refuses ${name}`, async () => {
      await expectInvalidToken(gate.verify(await mint({ aud: aud as string })), 'aud', [
        'https://vercel.com/acme',
      ])
    })
  }

  it('accepts any of several configured audiences, exactly', async () => {
    const g = track(
      createGate({
        issuers: [
          oidc({ issuer: as.issuer, audience: ['https://a.test', 'https://b.test'], jwksUri: as.jwksUri }),
        ],
      }),
    )
    expect((await g.verify(await mintAt({ aud: 'https://b.test' }))).claims.aud).toBe('https://b.test')
    await expectInvalidToken(g.verify(await mintAt({ aud: 'https://c.test' })), 'aud')
  })
})

describe('C3: exp', () => {
  it('refuses a token that expired an hour ago (expired-1h)', async () => {
    await expectInvalidToken(gate.verify(await mint({}, { expired: true })), 'exp')
  })
  it('refuses a token without exp (exp-missing)', async () => {
    await expectInvalidToken(gate.verify(await mint({ exp: undefined })), 'exp')
  })
  it('refuses exp as a string, even far in the future (exp-as-string)', async () => {
    await expectInvalidToken(gate.verify(await mint({ exp: '9999999999' as unknown as number })), 'exp')
  })
  it('refuses exp: 1e400, which JSON.parse turns into Infinity (exp-overflow-1e400)', async () => {
    await expectInvalidToken(
      gate.verify(await rawVercel((j) => j.replace(/"exp":\d+/, '"exp":1e400'))),
      'exp',
    )
  })
  it('refuses exp as null or a boolean', async () => {
    await expectInvalidToken(gate.verify(await mint({ exp: null as unknown as number })), 'exp')
    await expectInvalidToken(gate.verify(await mint({ exp: true as unknown as number })), 'exp')
  })
})

describe('C4: nbf', () => {
  it('refuses a token not valid for another hour (nbf-1h-in-future)', async () => {
    await expectInvalidToken(gate.verify(await mint({}, { notYetValid: true })), 'nbf')
  })
  it('refuses nbf as a string (nbf-as-string)', async () => {
    const now = Math.floor(Date.now() / 1000)
    await expectInvalidToken(gate.verify(await mint({ nbf: String(now - 10) as unknown as number })), 'nbf')
  })
  it('refuses nbf: -1e400 (not a finite number)', async () => {
    await expectInvalidToken(
      gate.verify(await rawVercel((j) => j.replace(/"nbf":\d+/, '"nbf":-1e400'))),
      'nbf',
    )
  })
})

describe('C5: iat', () => {
  it('refuses a token issued an hour in the future (iat-1h-in-future)', async () => {
    const now = Math.floor(Date.now() / 1000)
    await expectInvalidToken(gate.verify(await mint({ iat: now + 3600, nbf: now, exp: now + 7200 })), 'iat')
  })
  it('refuses a token without iat (iat-missing)', async () => {
    await expectInvalidToken(gate.verify(await mint({ iat: undefined })), 'iat')
    await expectInvalidToken(oidcGate.verify(await mintAt({ iat: undefined })), 'iat')
  })
  it('refuses iat as a string (iat-as-string)', async () => {
    const now = Math.floor(Date.now() / 1000)
    await expectInvalidToken(gate.verify(await mint({ iat: String(now) as unknown as number })), 'iat')
  })
  it('refuses a token older than oidc({ maxTokenAge })', async () => {
    const g = track(
      createGate({
        issuers: [oidc({ issuer: as.issuer, audience: as.audience, jwksUri: as.jwksUri, maxTokenAge: 600 })],
      }),
    )
    const now = Math.floor(Date.now() / 1000)
    expect((await g.verify(await mintAt({ iat: now - 500, exp: now + 600 }))).claims.sub).toBe('user-1')
    await expectInvalidToken(g.verify(await mintAt({ iat: now - 700, exp: now + 600 })), 'iat')
  })
})

describe('clock tolerance boundaries (default 5 s, injected clock)', () => {
  const T = 1_900_000_000
  const window = (exp: number) => ({ iat: exp - 3600, nbf: exp - 3600, exp })

  it('accepts a token 4 s past exp and refuses it 5 s past exp (clock-skew-exp-5s-ago)', async () => {
    const t = await mint(window(T))
    expect((await at((T + 4) * 1000).verify(t)).claims.exp).toBe(T)
    await expectInvalidToken(at((T + 5) * 1000).verify(t), 'exp')
  })

  it('answers 401 invalid_token when the token expired 1 s beyond a 30 s tolerance', async () => {
    const t = await mint(window(T))
    expect((await at((T + 29) * 1000, { clockTolerance: 30 }).verify(t)).claims.exp).toBe(T)
    await expectInvalidToken(at((T + 30) * 1000, { clockTolerance: 30 }).verify(t), 'exp')
  })

  it('with clockTolerance 0 refuses a token at the second of exp', async () => {
    const t = await mint(window(T))
    expect((await at((T - 1) * 1000, { clockTolerance: 0 }).verify(t)).claims.exp).toBe(T)
    await expectInvalidToken(at(T * 1000, { clockTolerance: 0 }).verify(t), 'exp')
  })

  it('accepts nbf up to the tolerance ahead of the clock, not one second more', async () => {
    const t = await mint({ iat: T - 10, nbf: T, exp: T + 3600 })
    expect((await at((T - 5) * 1000).verify(t)).claims.nbf).toBe(T)
    await expectInvalidToken(at((T - 6) * 1000).verify(t), 'nbf')
  })

  it('accepts iat up to the tolerance ahead of the clock, not one second more', async () => {
    const t = await mint({ iat: T, nbf: undefined, exp: T + 3600 })
    expect((await at((T - 5) * 1000).verify(t)).claims.iat).toBe(T)
    await expectInvalidToken(at((T - 6) * 1000).verify(t), 'iat')
  })

  it('re-checks iat against the clock for a cached verification too', async () => {
    let now = T * 1000
    const g = track(
      createGate({
        issuers: [oidc({ issuer: as.issuer, audience: as.audience, jwksUri: as.jwksUri })],
        clock: () => now,
      }),
    )
    const t = await mintAt({ iat: T, exp: T + 3600 })
    expect((await g.verify(t)).claims.iat).toBe(T)
    now = (T - 60) * 1000
    await expectInvalidToken(g.verify(t), 'iat')
  })
})

describe('C6: lifetime cap', () => {
  const now = () => Math.floor(Date.now() / 1000)

  it('accepts exactly 24 h of lifetime by default and refuses one second more', async () => {
    const t = now()
    const auth = await gate.verify(await mint({ iat: t, nbf: t, exp: t + 86_400 }))
    expect(auth.claims.exp - auth.claims.iat).toBe(86_400)
    await expectInvalidToken(gate.verify(await mint({ iat: t, nbf: t, exp: t + 86_401 })), 'lifetime')
  })

  it('refuses a far-future exp (exp-far-future-lifetime-policy)', async () => {
    await expectInvalidToken(
      gate.verify(await mint({ iat: now(), exp: now() + 10 * 365 * 86_400 })),
      'lifetime',
    )
  })

  it('applies a configured maxTokenLifetime', async () => {
    const g = track(
      createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url, maxTokenLifetime: 3600 })] }),
    )
    expect((await g.verify(await mint({}, { ttl: 3600 }))).claims.owner).toBe('acme')
    await expectInvalidToken(g.verify(await mint({}, { ttl: 3601 })), 'lifetime')
  })
})

describe('C7: sub', () => {
  for (const [name, sub] of [
    ['sub-missing', undefined],
    ['sub-as-object', { id: 'owner:acme:project:web:environment:production' }],
    ['sub-empty', ''],
    ['sub-as-number', 1],
  ] as const) {
    it(`refuses ${name}`, async () => {
      await expectInvalidToken(gate.verify(await mint({ sub: sub as string })), 'sub')
      await expectInvalidToken(oidcGate.verify(await mintAt({ sub: sub as string })), 'sub')
    })
  }
})

describe('C8: RFC 9068 required claims, and jti is not single-use', () => {
  it('verifies the baseline access token', async () => {
    const auth = await oidcGate.verify(await mintAt())
    expect(auth.profile).toBe('oidc')
    expect(auth.vercel).toBeUndefined()
    expect(auth.claims).toMatchObject({ sub: 'user-1', client_id: 'client-1', scope: 'read write' })
  })

  for (const [name, claims, reason] of [
    ['client_id-missing', { client_id: undefined }, 'client_id'],
    ['jti-missing', { jti: undefined }, 'jti'],
    ['client_id-as-number', { client_id: 7 }, 'client_id'],
    ['jti-as-number', { jti: 7 }, 'jti'],
    ['jti-empty', { jti: '' }, 'jti'],
  ] as const) {
    it(`refuses ${name}`, async () => {
      await expectInvalidToken(oidcGate.verify(await mintAt(claims as MintClaims)), reason)
    })
  }

  it('requires configured extra claims (requiredClaims)', async () => {
    const g = track(
      createGate({
        issuers: [
          oidc({ issuer: as.issuer, audience: as.audience, jwksUri: as.jwksUri, requiredClaims: ['tenant'] }),
        ],
      }),
    )
    expect((await g.verify(await mintAt({ tenant: 't1' }))).claims.tenant).toBe('t1')
    await expectInvalidToken(g.verify(await mintAt()), 'required-claim')
  })

  it('verifies the same token again and again (valid-baseline-reused), with and without the verified-token cache', async () => {
    const t = await mintAt()
    const uncached = track(
      createGate({
        issuers: [oidc({ issuer: as.issuer, audience: as.audience, jwksUri: as.jwksUri })],
        cache: false,
      }),
    )
    for (const g of [oidcGate, uncached]) {
      const first = await g.verify(t)
      const second = await g.verify(t)
      expect(second.claims.jti).toBe(first.claims.jti)
    }
  })
})

describe('C9: claim types are strict', () => {
  for (const [name, claims, reason] of [
    ['scope-as-array', { scope: ['read', 'write'] }, 'scope'],
    ['groups-as-string', { groups: 'admins' }, 'groups'],
    ['roles-with-non-string', { roles: ['a', 1] }, 'roles'],
    ['entitlements-as-object', { entitlements: { a: 1 } }, 'entitlements'],
    ['amr-as-string', { amr: 'pwd' }, 'amr'],
    ['acr-as-number', { acr: 2 }, 'acr'],
    ['auth_time-as-string', { auth_time: '1700000000' }, 'auth_time'],
    ['scp-as-number', { scp: 3 }, 'scp'],
  ] as const) {
    it(`refuses an access token with ${name}`, async () => {
      await expectInvalidToken(oidcGate.verify(await mintAt(claims as MintClaims)), reason)
    })
  }

  it('accepts scp as a string or an array of strings', async () => {
    expect((await oidcGate.verify(await mintAt({ scp: 'a b' }))).claims.scp).toBe('a b')
    expect((await oidcGate.verify(await mintAt({ scp: ['a', 'b'] }))).claims.scp).toEqual(['a', 'b'])
  })
})

describe('C11: act (token exchange)', () => {
  it('exposes the current actor and keeps sub (valid-act-delegation-claim)', async () => {
    const act = { sub: 'service-b', iss: 'https://as.example.test', act: { sub: 'service-a' } }
    const auth = await oidcGate.verify(await mintAt({ act }))
    expect(auth.actor).toEqual(act)
    expect(auth.claims.sub).toBe('user-1')
  })

  const malformed: [string, unknown][] = [
    ['act-claim-malformed-string', 'service-b'],
    ['act-as-array', [{ sub: 'service-b' }]],
    ['act-with-numeric-sub', { sub: 42 }],
    ['act-with-non-string-iss', { sub: 'b', iss: ['x'] }],
    ['act-nested-malformed', { sub: 'b', act: 'a' }],
    [
      'act-nested-too-deep',
      {
        sub: '1',
        act: { sub: '2', act: { sub: '3', act: { sub: '4', act: { sub: '5', act: { sub: '6' } } } } },
      },
    ],
  ]
  for (const [name, act] of malformed) {
    it(`refuses ${name}`, async () => {
      await expectInvalidToken(oidcGate.verify(await mintAt({ act: act as Record<string, unknown> })), 'act')
    })
  }

  it('accepts five nested actors', async () => {
    const act = { sub: '1', act: { sub: '2', act: { sub: '3', act: { sub: '4', act: { sub: '5' } } } } }
    expect((await oidcGate.verify(await mintAt({ act }))).actor).toEqual(act)
  })
})

describe('C12: cnf (sender-constrained tokens) is never downgraded to bearer', () => {
  for (const [name, cnf] of [
    ['cnf-x5t-bound-token-as-bearer', { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' }],
    ['dpop-bound-token-as-bearer-no-proof', { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' }],
    ['cnf-jwk', { jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } }],
    ['cnf-empty', {}],
  ] as const) {
    it(`refuses ${name}`, async () => {
      await expectInvalidToken(oidcGate.verify(await mintAt({ cnf })), 'cnf')
      await expectInvalidToken(gate.verify(await mint({ cnf })), 'cnf')
    })
  }
})

describe('C13: claims are trusted only after the signature, with one clock reading', () => {
  it('answers 401 signature, not 403, for a tampered token that a policy would refuse', async () => {
    const events: GateEvent[] = []
    const g = track(
      createGate({
        issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
        policy: { environment: 'production' },
        onEvent: (e) => events.push(e),
      }),
    )
    const t = await mint()
    const [h, , s] = t.split('.')
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(t), environment: 'preview' })).toString('base64url')}.${s}`
    await expectInvalidToken(g.verify(tampered), 'signature')
    expect(events.filter((e) => e.type === 'policy.denied' || e.type === 'verified')).toEqual([])
  })

  it('reads the injected clock once per request once the keys are cached', async () => {
    let reads = 0
    const g = track(
      createGate({
        issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
        cache: false,
        clock: () => {
          reads++
          return Date.now()
        },
      }),
    )
    await g.warmup()
    reads = 0
    await g.verify(await mint())
    expect(reads).toBe(1)
  })
})

describe('Vercel claims', () => {
  it('exposes a frozen camelCase view of a development token', async () => {
    const ids = vercelIds('acme', 'web')
    const auth = await gate.verify(await mint({ environment: 'development', custom_environment_id: 'env_1' }))
    expect(auth.vercel).toEqual({
      owner: 'acme',
      ownerId: ids.ownerId,
      project: 'web',
      projectId: ids.projectId,
      environment: 'development',
      userId: ids.userId,
      plan: 'pro',
      customEnvironmentId: 'env_1',
      exchanged: false,
    })
    expect(auth.actor).toBeUndefined()
    expect(auth.profile).toBe('vercel')
    expect(auth.issuer).toBe(issuer.issuer)
  })

  it('freezes the Auth, its header, claims and nested claims', async () => {
    const auth = await gate.verify(await mint({ ext: { roles: ['a'] } }))
    for (const part of [
      auth,
      auth.header,
      auth.claims,
      auth.vercel,
      (auth.claims as unknown as { ext: object }).ext,
    ]) {
      expect(Object.isFrozen(part)).toBe(true)
    }
    expect(() => {
      ;(auth.claims as unknown as Record<string, unknown>).sub =
        'owner:acme:project:admin:environment:production'
    }).toThrow(TypeError)
    expect(auth.claims.sub).toBe('owner:acme:project:web:environment:production')
  })

  for (const name of ['owner', 'owner_id', 'project', 'project_id', 'environment'] as const) {
    it(`requires ${name} as a non-empty string`, async () => {
      await expectInvalidToken(gate.verify(await mint({ [name]: undefined })), name)
      await expectInvalidToken(gate.verify(await mint({ [name]: 7 })), name)
      await expectInvalidToken(gate.verify(await mint({ [name]: '' })), name)
    })
  }

  for (const name of ['user_id', 'plan', 'custom_environment_id', 'jti', 'client_id', 'scope'] as const) {
    it(`refuses ${name} of a type other than string`, async () => {
      await expectInvalidToken(gate.verify(await mint({ [name]: { v: 1 } })), name)
    })
  }

  for (const owner of ['other', 'acme-evil', 'ACME']) {
    it(`refuses a token of owner ${owner} (another team under the same iss and aud)`, async () => {
      await expectInvalidToken(gate.verify(await mint({ owner })), 'owner', ['acme'])
    })
  }
})

describe('Vercel token exchange (POST /~token)', () => {
  async function exchange(from: TestIssuer, token: string, aud: string): Promise<string> {
    const res = await fetch(`${from.url}/~token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, aud }),
    })
    expect(res.status).toBe(200)
    return ((await res.json()) as { token: string }).token
  }

  it('verifies an exchanged token only where its audience is configured', async () => {
    const subject = await mint({ project: 'web', environment: 'preview' })
    const exchanged = await exchange(issuer, subject, 'api://x')
    const g = track(
      createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url, audience: 'api://x' })] }),
    )
    const auth = await g.verify(exchanged)
    expect(auth.vercel.exchanged).toBe(true)
    expect(auth.claims.aud).toBe('api://x')
    expect(auth.claims.sub).toBe('owner:acme:project:web:environment:preview')
    expect(auth.actor).toEqual({
      sub: 'owner:acme:project:web:environment:preview',
      aud: 'https://vercel.com/acme',
      iat: claimsOf(subject).iat,
    })
    expect(auth.claims.exp).toBe(claimsOf(subject).exp)
    await expectInvalidToken(gate.verify(exchanged), 'aud')
    // The subject token is not for api://x.
    await expectInvalidToken(g.verify(subject), 'aud')
  })

  it('in global mode accepts the global iss, and the team iss only on exchanged tokens', async () => {
    const g = track(
      createGate({
        issuers: [
          vercel({
            team: 'acme',
            baseUrl: global.url,
            issuerMode: 'global',
            audience: ['https://vercel.com/acme', 'api://x'],
          }),
        ],
      }),
    )
    const subject = await global.mint()
    expect(claimsOf(subject).iss).toBe(global.url)
    const plain = await g.verify(subject)
    expect(plain.issuer).toBe(global.url)
    expect(plain.vercel.exchanged).toBe(false)

    const exchanged = await exchange(global, subject, 'api://x')
    expect(claimsOf(exchanged).iss).toBe(`${global.url}/acme`)
    const auth = await g.verify(exchanged)
    expect(auth.issuer).toBe(`${global.url}/acme`)
    expect(auth.vercel.exchanged).toBe(true)

    await expectInvalidToken(g.verify(await global.mint({ iss: `${global.url}/acme` })), 'iss')
  })
})
