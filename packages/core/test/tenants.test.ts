/**
 * DESIGN §3, SECURITY K1, K2, C1: several issuers side by side, and multi-tenant issuers from an
 * allow-list or a resolver (`oidcTenants()`), against the real multi-tenant local issuer: every
 * `<url>/<tenant>` serves its own metadata, with shared keys, as Entra ID does.
 */

import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  type AccessTokenClaims,
  createGate,
  type GateEvent,
  type GateOptions,
  InsufficientScopeError,
  type OidcTenantsOptions,
  oidc,
  oidcTenants,
  type Policy,
} from '../src/index.js'
import { b64, expectInvalidToken, expectUnavailable, rejection, segmentJson } from './helpers.js'

let issuer: TestIssuer
const gates: { close(): void }[] = []

beforeAll(async () => {
  issuer = await createTestIssuer({ profile: 'oidc', algorithm: 'ES256', tenants: true })
})

afterEach(() => {
  issuer.resetCounters()
})

afterAll(async () => {
  for (const g of gates) g.close()
  await issuer.close()
})

/** The issuer identifier of tenant `slug` on the local multi-tenant issuer. */
const tenant = (slug: string): string => `${issuer.url}/${slug}`

/** A token of tenant `slug`, signed with the issuer's shared key. */
const tokenOf = (slug: string, claims: Record<string, unknown> = {}): Promise<string> =>
  issuer.mint({ iss: tenant(slug), ...claims }, { ttl: 7200 })

type TenantGateOptions = Partial<OidcTenantsOptions> & Pick<GateOptions, 'cache'>

/**
 * A gate with one `oidcTenants()` profile, with a settable clock, recording its events unless `record`
 * is false (a flood would fill the record).
 */
function tenantGate(options: TenantGateOptions, record = true) {
  const { cache, ...tenants } = options
  const probe: { events: GateEvent[]; now: number | undefined } = { events: [], now: undefined }
  const gate = createGate({
    issuers: [oidcTenants({ audience: issuer.audience, ...tenants })],
    clock: () => probe.now ?? Date.now(),
    ...(record ? { onEvent: (e: GateEvent) => probe.events.push(e) } : {}),
    ...(cache === undefined ? {} : { cache }),
  })
  gates.push(gate)
  const ofType = <T extends GateEvent['type']>(type: T) =>
    probe.events.filter((e): e is Extract<GateEvent, { type: T }> => e.type === type)
  return Object.assign(probe, { gate, ofType })
}

/** Tokens naming random issuers, signed by nobody: the gate must refuse them on `iss` alone. */
function randomIssuerTokens(count: number, template: string): string[] {
  const [header, , signature] = template.split('.')
  const claims = segmentJson(template, 1)
  return Array.from({ length: count }, (_, i) => {
    const iss = `${issuer.url}/random-${i}-${Math.random().toString(36).slice(2)}`
    return `${header}.${b64(JSON.stringify({ ...claims, iss }))}.${signature}`
  })
}

/** Heap in use after a full collection, bytes. */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
  return process.memoryUsage().heapUsed
}

describe('several issuers side by side', () => {
  let other: TestIssuer

  beforeAll(async () => {
    other = await createTestIssuer({ profile: 'oidc', algorithm: 'ES256', audience: 'https://other.api' })
  })
  afterAll(() => other.close())

  const twoIssuers = (policy?: Policy<AccessTokenClaims>) => {
    const gate = createGate({
      issuers: [
        oidc({ issuer: tenant('t1'), audience: issuer.audience, algorithms: ['ES256'] }),
        oidc({ issuer: other.issuer, audience: 'https://other.api' }),
      ],
      ...(policy === undefined ? {} : { policy }),
    })
    gates.push(gate)
    return gate
  }

  it('selects each issuer by exact iss, each with its own discovered keys and audience', async () => {
    const gate = twoIssuers()
    expect((await gate.verify(await tokenOf('t1'))).issuer).toBe(tenant('t1'))
    expect((await gate.verify(await other.mint())).issuer).toBe(other.issuer)
    // The other issuer's audience is not this one's.
    await expectInvalidToken(gate.verify(await tokenOf('t1', { aud: 'https://other.api' })), 'aud')
    expect(issuer.requests).toMatchObject({ discovery: 1, jwks: 1 })
    expect(other.requests).toMatchObject({ discovery: 1, jwks: 1 })
  })

  it('applies a policy per issuer with anyOf branches on iss', async () => {
    const gate = twoIssuers({
      anyOf: [
        { iss: tenant('t1'), scope: { includes: 'read' } },
        { iss: other.issuer, scope: { includes: 'admin' } },
      ],
    })
    await gate.verify(await tokenOf('t1', { scope: 'read' }))
    const refused = await rejection(gate.verify(await other.mint({ scope: 'read' })))
    expect(refused).toBeInstanceOf(InsufficientScopeError)
    await gate.verify(await other.mint({ scope: 'admin' }))
  })

  it('refuses a token of one issuer signed by the other issuer, though both keys are known', async () => {
    const gate = twoIssuers()
    await gate.warmup()
    const forged = await other.mint({ iss: tenant('t1'), aud: issuer.audience })
    await expectInvalidToken(gate.verify(forged), 'kid')
  })
})

describe('oidcTenants({ issuers }): an allow-list of tenants', () => {
  it("verifies each listed tenant's tokens through that tenant's own metadata", async () => {
    const { gate, ofType } = tenantGate({ issuers: [tenant('t1'), tenant('t2'), tenant('t3')] })
    for (const slug of ['t1', 't2', 't3']) {
      expect((await gate.verify(await tokenOf(slug))).issuer).toBe(tenant(slug))
    }
    expect(ofType('discovery.fetch').map((e) => e.url)).toEqual(
      ['t1', 't2', 't3'].map((s) => `${tenant(s)}/.well-known/openid-configuration`),
    )
  })

  it('refuses a tenant the issuer serves but the list lacks, without any request', async () => {
    const { gate } = tenantGate({ issuers: [tenant('t1')] })
    await expectInvalidToken(gate.verify(await tokenOf('t2')), 'iss')
    expect(issuer.requests).toMatchObject({ discovery: 0, jwks: 0 })
  })

  it('reads every listed tenant at warmup, so the first requests make no request', async () => {
    const { gate } = tenantGate({ issuers: [tenant('t1'), tenant('t2')] })
    await gate.warmup()
    expect(issuer.requests).toMatchObject({ discovery: 2, jwks: 2 })
    issuer.resetCounters()
    await gate.verify(await tokenOf('t1'))
    await gate.verify(await tokenOf('t2'))
    expect(issuer.requests).toMatchObject({ discovery: 0, jwks: 0 })
  })

  it('takes the protected resource as the audience when none is given', async () => {
    const resource = 'https://api.example.test/mcp'
    const gate = createGate({
      issuers: [oidcTenants({ issuers: [tenant('t1')] })],
      protectedResource: { resource, authorizationServers: [tenant('t1')] },
    })
    gates.push(gate)
    await gate.verify(await tokenOf('t1', { aud: resource }))
    const refused = await rejection(gate.verify(await tokenOf('t1')))
    expect({ status: refused.status, reason: refused.reason }).toEqual({ status: 401, reason: 'aud' })
  })
})

describe('oidcTenants({ resolve }): tenants the app resolves', () => {
  it('accepts what the resolver accepts, with per-tenant options over the shared ones', async () => {
    const { gate } = tenantGate({
      resolve: (iss) => {
        if (iss === tenant('t1')) return { audience: 'https://t1.api' }
        return iss === tenant('t2')
      },
    })
    await gate.verify(await tokenOf('t1', { aud: 'https://t1.api' }))
    await expectInvalidToken(gate.verify(await tokenOf('t1')), 'aud')
    await gate.verify(await tokenOf('t2'))
    await expectInvalidToken(gate.verify(await tokenOf('t3')), 'iss')
    // Refused issuers cost no request: only t1 and t2 were read.
    expect(issuer.requests.discovery).toBe(2)
  })

  it('asks an async resolver once for 20 concurrent tokens of a new tenant, and not again while it is live', async () => {
    const asked: string[] = []
    const { gate } = tenantGate({
      resolve: async (iss) => {
        asked.push(iss)
        await new Promise((r) => setTimeout(r, 20))
        return true
      },
    })
    const tokens = await Promise.all(Array.from({ length: 20 }, () => tokenOf('t1')))
    await Promise.all(tokens.map((t) => gate.verify(t)))
    await gate.verify(await tokenOf('t1'))
    expect(asked).toEqual([tenant('t1')])
    expect(issuer.requests).toMatchObject({ discovery: 1, jwks: 1 })
  })

  it('refuses an iss that is no issuer URL with 401, without asking the resolver', async () => {
    const asked: string[] = []
    const { gate } = tenantGate({ resolve: (iss) => asked.push(iss) > 0 })
    const template = await tokenOf('t1')
    const claims = segmentJson(template, 1)
    const [header, , signature] = template.split('.')
    for (const iss of ['not a url', 'ftp://127.0.0.1/t1', `${tenant('t1')}?x=1`, 'http://example.com/t1']) {
      const token = `${header}.${b64(JSON.stringify({ ...claims, iss }))}.${signature}`
      await expectInvalidToken(gate.verify(token), 'iss')
    }
    expect(asked).toEqual([])
  })

  const broken: [string, NonNullable<OidcTenantsOptions['resolve']>, RegExp][] = [
    [
      'throws',
      () => {
        throw new Error('tenant table unreachable')
      },
      /tenant table unreachable/,
    ],
    ['rejects', () => Promise.reject(new Error('database down')), /database down/],
    ['answers a number', () => 42 as never, /resolve must answer true, tenant options or undefined/],
    ['answers another issuer', () => ({ issuer: tenant('t2') }), /another issuer/],
    ['answers a bad audience', () => ({ audience: 7 as never }), /audience/],
    ['answers an unknown option', () => ({ audiance: 'x' }) as never, /unknown option "audiance"/],
  ]
  for (const [name, resolve, error] of broken) {
    it(`answers 503 with Retry-After and a tenant.resolve-failed event when the resolver ${name}`, async () => {
      const { gate, ofType } = tenantGate({ resolve })
      await expectUnavailable(gate.verify(await tokenOf('t1')))
      expect(ofType('tenant.resolve-failed')).toEqual([
        { type: 'tenant.resolve-failed', issuer: tenant('t1'), error: expect.stringMatching(error) },
      ])
      expect(issuer.requests.discovery).toBe(0)
    })
  }

  it('answers 503 within resolveTimeout when the resolver never answers', async () => {
    const { gate } = tenantGate({ resolve: () => new Promise(() => {}), resolveTimeout: 100 })
    const started = performance.now()
    await expectUnavailable(gate.verify(await tokenOf('t1')))
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('asks again after resolveMaxAge, and refuses a tenant the resolver stopped accepting', async () => {
    const accepted = new Set([tenant('t1')])
    const probe = tenantGate({ resolve: (iss) => accepted.has(iss), resolveMaxAge: 60_000, cache: false })
    await probe.gate.verify(await tokenOf('t1'))
    accepted.clear()
    await probe.gate.verify(await tokenOf('t1'))
    probe.now = Date.now() + 61_000
    await expectInvalidToken(probe.gate.verify(await tokenOf('t1')), 'iss')
  })

  it('keeps its keys when the resolver accepts a tenant again after resolveMaxAge', async () => {
    const probe = tenantGate({ resolve: () => true, resolveMaxAge: 60_000, cache: false })
    await probe.gate.verify(await tokenOf('t1'))
    probe.now = Date.now() + 61_000
    await probe.gate.verify(await tokenOf('t1'))
    expect(issuer.requests).toMatchObject({ discovery: 1, jwks: 1 })
  })
})

describe('maxIssuers: a bound on live tenants', () => {
  it('closes the least recently used tenant beyond maxIssuers and reads it again when it returns', async () => {
    const { gate, ofType } = tenantGate({ resolve: () => true, maxIssuers: 3 })
    for (const slug of ['t1', 't2', 't3', 't4', 't5']) await gate.verify(await tokenOf(slug))
    expect(ofType('tenant.evicted').map((e) => e.issuer)).toEqual([tenant('t1'), tenant('t2')])
    issuer.resetCounters()
    await gate.verify(await tokenOf('t5'))
    expect(issuer.requests.discovery).toBe(0)
    await gate.verify(await tokenOf('t1'))
    expect(issuer.requests).toMatchObject({ discovery: 1, jwks: 1 })
    expect(ofType('tenant.evicted').at(-1)?.issuer).toBe(tenant('t3'))
  })

  it('stops serving cached verifications of an evicted tenant', async () => {
    const { gate } = tenantGate({ resolve: () => true, maxIssuers: 1 })
    const first = await tokenOf('t1')
    await gate.verify(first)
    await gate.verify(await tokenOf('t2'))
    issuer.resetCounters()
    await gate.verify(first)
    // t1 was evicted with its keys: its token was verified again, from freshly read metadata.
    expect(issuer.requests).toMatchObject({ discovery: 1, jwks: 1 })
  })

  it('keeps memory flat while 400 accepted tenants pass through a bound of 20', async () => {
    const { gate, ofType } = tenantGate({ resolve: () => true, maxIssuers: 20, cache: false })
    const wave = async (from: number) => {
      for (let i = from; i < from + 200; i++) await gate.verify(await tokenOf(`w${i}`))
    }
    await wave(0)
    const after200 = heapAfterGc()
    await wave(200)
    const after400 = heapAfterGc()
    expect(ofType('tenant.evicted')).toHaveLength(380)
    expect(after400 - after200).toBeLessThan(4 * 1024 * 1024)
  })
})

describe('a flood of tokens naming random issuers', () => {
  const accepting: [string, () => TenantGateOptions][] = [
    ['an allow-list', () => ({ issuers: [tenant('t1')] })],
    ['a resolver that refuses them', () => ({ resolve: (iss: string) => iss === tenant('t1') })],
  ]
  for (const [name, options] of accepting) {
    it(`costs no request and no memory with ${name}: 10,000 random-iss tokens`, async () => {
      const { gate } = tenantGate(options(), false)
      const template = await tokenOf('t1')
      await gate.verify(template)
      issuer.resetCounters()
      const flood = async () => {
        for (const token of randomIssuerTokens(10_000, template)) {
          await expectInvalidToken(gate.verify(token), 'iss')
        }
      }
      await flood()
      const before = heapAfterGc()
      await flood()
      const after = heapAfterGc()
      expect(issuer.requests).toMatchObject({ discovery: 0, jwks: 0 })
      expect(after - before).toBeLessThan(2 * 1024 * 1024)
      // The one accepted tenant still works.
      await gate.verify(await tokenOf('t1'))
    })
  }
})

describe('oidcTenants() configuration', () => {
  const audience = 'https://api.example.test'
  const cases: [string, () => unknown, RegExp][] = [
    ['neither issuers nor resolve', () => oidcTenants({ audience }), /give either issuers .* or resolve/],
    [
      'both issuers and resolve',
      () => oidcTenants({ audience, issuers: ['https://a.example'], resolve: () => true }),
      /give either/,
    ],
    [
      'an empty allow-list',
      () => oidcTenants({ audience, issuers: [] }),
      /issuers must be a non-empty array/,
    ],
    [
      'a plain-http tenant off loopback',
      () => oidcTenants({ audience, issuers: ['https://a.example', 'http://b.example'] }),
      /oidcTenants\(\): issuers\[1\]: issuer must use https:/,
    ],
    [
      'a tenant listed twice',
      () => oidcTenants({ audience, issuers: ['https://a.example', 'https://a.example'] }),
      /issuers\[1\] is listed twice/,
    ],
    [
      'a shared jwksUri',
      () => oidcTenants({ audience, resolve: () => true, jwksUri: 'https://a.example/k' } as never),
      /"jwksUri" is per tenant/,
    ],
    [
      'a resolve that is not a function',
      () => oidcTenants({ audience, resolve: 'x' as never }),
      /resolve must be a function/,
    ],
    ['maxIssuers 0', () => oidcTenants({ audience, resolve: () => true, maxIssuers: 0 }), /maxIssuers/],
    [
      'a misspelt option',
      () => oidcTenants({ audience, resolve: () => true, maxIssuer: 5 } as never),
      /oidcTenants\(\): unknown option "maxIssuer"/,
    ],
    [
      'a bad shared audience',
      () => oidcTenants({ audience: '', resolve: () => true }),
      /oidcTenants\(\): audience/,
    ],
    [
      'no audience and no protected resource',
      () => createGate({ issuers: [oidcTenants({ issuers: ['https://a.example'] })] }),
      /audience is required/,
    ],
  ]
  for (const [name, build, message] of cases) {
    it(`throws a TypeError for ${name}`, () => {
      expect(build).toThrow(TypeError)
      expect(build).toThrow(message)
    })
  }
})
