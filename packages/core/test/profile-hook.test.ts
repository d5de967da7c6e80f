/**
 * Issuer profiles shape the `Auth` they produce through their `present` hook: the Vercel profile adds its
 * camelCase view that way, and a profile of your own needs no change in the gate.
 */

import { createTestIssuer, type TestIssuer, vercelIds } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AccessTokenClaims, createGate, type IssuerProfile, oidc, vercel } from '../src/index.js'

let as: TestIssuer
let team: TestIssuer
const gates: { close(): void }[] = []

beforeAll(async () => {
  ;[as, team] = await Promise.all([createTestIssuer({ profile: 'oidc' }), createTestIssuer({ team: 'acme' })])
})
afterAll(async () => {
  for (const g of gates) g.close()
  await Promise.all([as.close(), team.close()])
})

/** A profile of its own: the RFC 9068 checks, another name, a field of its own on every `Auth`. */
function tenantProfile(present: NonNullable<IssuerProfile['present']>): IssuerProfile<AccessTokenClaims> {
  return {
    ...oidc({ issuer: as.issuer, audience: as.audience, jwksUri: as.jwksUri }),
    profile: 'tenant',
    present,
  }
}

describe('the present hook of an issuer profile', () => {
  it('puts the name and the fields of a profile of its own on the Auth', async () => {
    const gate = createGate({ issuers: [tenantProfile((claims) => ({ tenant: claims.client_id }))] })
    gates.push(gate)
    const auth = await gate.verify(await as.mint({ client_id: 'tenant-7' }))
    expect(auth.profile).toBe('tenant')
    expect((auth as unknown as { tenant: string }).tenant).toBe('tenant-7')
    expect(auth.claims.client_id).toBe('tenant-7')
    expect(Object.isFrozen(auth)).toBe(true)
  })

  it('cannot replace the verified fields every Auth has', async () => {
    const gate = createGate({
      issuers: [
        tenantProfile(() => ({
          claims: { sub: 'admin' },
          issuer: 'https://evil.test',
          token: 'forged',
          profile: 'oidc',
          actor: { sub: 'root' },
        })),
      ],
    })
    gates.push(gate)
    const token = await as.mint({ sub: 'user-1' })
    const auth = await gate.verify(token)
    expect(auth).toMatchObject({ token, issuer: as.issuer, profile: 'tenant', actor: undefined })
    expect(auth.claims.sub).toBe('user-1')
  })

  it('adds the vercel view for the Vercel profile, and nothing for oidc()', async () => {
    const gate = createGate({
      issuers: [
        vercel({ team: 'acme', teamId: vercelIds('acme').ownerId, baseUrl: team.url }),
        oidc({ issuer: as.issuer, audience: as.audience, jwksUri: as.jwksUri }),
      ],
    })
    gates.push(gate)
    const v = await gate.verify(await team.mint({ project: 'web' }))
    expect(v.profile).toBe('vercel')
    expect(v.vercel).toMatchObject({ owner: 'acme', ownerId: vercelIds('acme').ownerId, project: 'web' })
    const o = await gate.verify(await as.mint())
    expect(o.profile).toBe('oidc')
    expect('vercel' in o).toBe(false)
  })
})
