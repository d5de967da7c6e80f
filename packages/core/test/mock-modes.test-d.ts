/** A static identity is typed like the verified claims of the gate's issuers. */

import { describe, expectTypeOf, it } from 'vitest'
import { type Auth, createGate, type MockIdentity, type VercelClaims, vercel } from '../src/index.js'

const claims = {
  sub: 'owner:acme:project:web:environment:development',
  owner: 'acme',
  owner_id: 'team_1',
  project: 'web',
  project_id: 'prj_1',
  environment: 'development',
}

describe('MockIdentity', () => {
  it('lets iss, aud, iat, exp and nbf out and keeps every other claim of the profile', () => {
    expectTypeOf(claims).toExtend<MockIdentity<VercelClaims>>()
    expectTypeOf<MockIdentity<VercelClaims>['project_id']>().toEqualTypeOf<string>()
    expectTypeOf<MockIdentity<VercelClaims>['iss']>().toEqualTypeOf<string | undefined>()
  })

  it('types the mock option of createGate by its issuers', () => {
    createGate({ issuers: [vercel({ team: 'acme' })], mock: { identity: claims } })
    createGate({ issuers: [vercel({ team: 'acme' })], mock: 'decode-only' })
    const { project_id: _, ...incomplete } = claims
    // @ts-expect-error a Vercel identity needs project_id.
    createGate({ issuers: [vercel({ team: 'acme' })], mock: { identity: incomplete } })
    // @ts-expect-error environment is a string.
    createGate({ issuers: [vercel({ team: 'acme' })], mock: { identity: { ...claims, environment: 1 } } })
  })

  it('marks the Auth it produces', () => {
    expectTypeOf<Auth<VercelClaims>['mock']>().toEqualTypeOf<true | undefined>()
  })
})
