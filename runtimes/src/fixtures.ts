/**
 * The Node side's part of a run: two real test issuers on 127.0.0.1 (Vercel team profile and RFC 9068),
 * the tokens every runtime verifies, and an origin where nothing listens.
 */

import { createServer } from 'node:net'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import type { CryptoPath, JwkSet, ScenarioInput } from './harness/input.js'

/** The issuers and the input they produced; `close()` stops the issuers. */
export interface Fixtures {
  /** The input without the per-target fields. */
  readonly base: Omit<ScenarioInput, 'fetchKeys' | 'expectedCrypto'>
  close(): Promise<void>
}

const TEAM = 'acme'

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function jwksOf(issuer: TestIssuer): Promise<JwkSet> {
  const res = await fetch(issuer.jwksUri)
  if (!res.ok) throw new Error(`${issuer.jwksUri} answered ${res.status}`)
  return (await res.json()) as JwkSet
}

/** Starts the issuers and mints the tokens. */
export async function startFixtures(benchIterations: number): Promise<Fixtures> {
  const vercelIssuer = await createTestIssuer({ profile: 'vercel', team: TEAM })
  const oidcIssuer = await createTestIssuer({ profile: 'oidc' })
  const otherTeam = 'globex'
  const base = {
    vercel: {
      team: TEAM,
      baseUrl: vercelIssuer.url,
      jwks: await jwksOf(vercelIssuer),
      valid: await vercelIssuer.mint({ project: 'web', environment: 'preview' }),
      expired: await vercelIssuer.mint({ environment: 'preview' }, { expired: true }),
      wrongAudience: await vercelIssuer.mint({ aud: 'https://vercel.com/other-api' }),
      otherTeam: await vercelIssuer.mint({ iss: `${vercelIssuer.url}/${otherTeam}`, owner: otherTeam }),
    },
    oidc: {
      issuer: oidcIssuer.issuer,
      audience: oidcIssuer.audience,
      jwksUri: oidcIssuer.jwksUri,
      jwks: await jwksOf(oidcIssuer),
      valid: await oidcIssuer.mint({ scope: 'todos:read' }),
      expired: await oidcIssuer.mint({}, { expired: true }),
      wrongAudience: await oidcIssuer.mint({ aud: 'https://other-api.example.test' }),
    },
    unreachableJwksUri: `http://127.0.0.1:${await freePort()}/${TEAM}/.well-known/jwks`,
    benchIterations,
  }
  return {
    base,
    close: async () => {
      await Promise.all([vercelIssuer.close(), oidcIssuer.close()])
    },
  }
}

/** The input of one target. */
export function inputFor(fixtures: Fixtures, fetchKeys: boolean, expectedCrypto: CryptoPath): ScenarioInput {
  return { ...fixtures.base, fetchKeys, expectedCrypto }
}
