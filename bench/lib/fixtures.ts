/** Local issuers, token sets and gate construction shared by the benchmarks. */
import { createPublicKey, type KeyObject } from 'node:crypto'
import { createGate, type Gate, oidc, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'

export type Alg = 'RS256' | 'ES256'

export interface Fixture {
  readonly alg: Alg
  readonly issuer: TestIssuer
  /** The published JWKS, as fetched once. */
  readonly jwks: { keys: Array<Record<string, unknown>> }
  readonly key: KeyObject
  readonly pem: string
  /** `issuers` entry of a gate for this issuer. */
  readonly profile: () => ReturnType<typeof vercel> | ReturnType<typeof oidc>
}

/** RS256: the Vercel profile (team `acme`); ES256: the generic OIDC profile. */
export async function createFixture(alg: Alg): Promise<Fixture> {
  const issuer =
    alg === 'RS256'
      ? await createTestIssuer({ team: 'acme' })
      : await createTestIssuer({ profile: 'oidc', algorithm: 'ES256' })
  const response = await fetch(issuer.jwksUri)
  if (response.status !== 200) throw new Error(`JWKS answered ${response.status}`)
  const jwks = (await response.json()) as Fixture['jwks']
  const jwk = jwks.keys.find((k) => k.kid === issuer.kid)
  if (jwk === undefined) throw new Error('current key not in the JWKS')
  const key = createPublicKey({ key: jwk as never, format: 'jwk' })
  const pem = key.export({ type: 'spki', format: 'pem' }).toString()
  const profile = () =>
    alg === 'RS256'
      ? vercel({ team: 'acme', baseUrl: issuer.url })
      : oidc({
          issuer: issuer.issuer,
          audience: issuer.audience,
          jwksUri: issuer.jwksUri,
          algorithms: ['ES256'],
        })
  return { alg, issuer, jwks, key, pem, profile }
}

/** `count` distinct tokens (a different `sub` each), minted in parallel batches. */
export async function mintDistinct(fixture: Fixture, count: number, ttl = 3600 * 3): Promise<string[]> {
  const tokens: string[] = []
  const batch = 50
  for (let i = 0; i < count; i += batch) {
    const jobs: Promise<string>[] = []
    for (let j = i; j < Math.min(count, i + batch); j++) {
      jobs.push(
        fixture.alg === 'RS256'
          ? fixture.issuer.mint({ project: `web-${j}` }, { ttl })
          : fixture.issuer.mint({ sub: `user-${j}` }, { ttl }),
      )
    }
    tokens.push(...(await Promise.all(jobs)))
  }
  return tokens
}

export interface GateBuild {
  readonly gate: Gate
  /** Whether the `cache` option was accepted by this build of the core. */
  readonly cacheOption: boolean
}

/**
 * A gate for `fixture`. `cache` is passed through when the core knows the option; when `createGate`
 * refuses it as unknown, the gate is built without it and `cacheOption` is false.
 */
export function buildGate(fixture: Fixture, cache: false | { maxEntries: number } | undefined): GateBuild {
  const base = { issuers: [fixture.profile()] }
  if (cache === undefined) return { gate: createGate(base) as Gate, cacheOption: true }
  try {
    return {
      gate: createGate({ ...base, cache } as Parameters<typeof createGate>[0]) as Gate,
      cacheOption: true,
    }
  } catch (error) {
    if (error instanceof TypeError && /unknown option "cache"/.test(error.message)) {
      return { gate: createGate(base) as Gate, cacheOption: false }
    }
    throw error
  }
}
