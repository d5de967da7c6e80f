/** The `profile` name is open to profiles of your own, and still narrows `Auth` for the built-in ones. */

import { describe, expectTypeOf, it } from 'vitest'
import type {
  AccessTokenClaims,
  Auth,
  IssuerProfile,
  OidcAuth,
  ProfileAuth,
  ProfileName,
  VercelAuth,
  VercelClaims,
  VercelIdentity,
} from '../src/index.js'

describe('profile names and Auth narrowing', () => {
  it('narrows the default Auth on profile to the Vercel or the OIDC shape', () => {
    const auth = {} as Auth
    if (auth.profile === 'vercel') {
      expectTypeOf(auth).toEqualTypeOf<VercelAuth>()
      expectTypeOf(auth.vercel).toEqualTypeOf<VercelIdentity>()
    } else {
      expectTypeOf(auth).toEqualTypeOf<OidcAuth<AccessTokenClaims>>()
      expectTypeOf(auth.vercel).toEqualTypeOf<undefined>()
    }
  })

  it('keeps the exact Auth of each built-in profile', () => {
    expectTypeOf<Auth<VercelClaims>>().toEqualTypeOf<VercelAuth>()
    expectTypeOf<Auth<AccessTokenClaims>>().toEqualTypeOf<OidcAuth<AccessTokenClaims>>()
  })

  it('accepts any name for a profile of your own, whose Auth has its claims', () => {
    expectTypeOf<IssuerProfile['profile']>().toEqualTypeOf<ProfileName>()
    expectTypeOf<'tenant'>().toExtend<ProfileName>()
    interface TenantClaims {
      readonly tid: string
    }
    expectTypeOf<Auth<TenantClaims>>().toEqualTypeOf<ProfileAuth<TenantClaims>>()
    expectTypeOf<Auth<TenantClaims>['claims']['tid']>().toEqualTypeOf<string>()
    expectTypeOf<Auth<TenantClaims>['profile']>().toEqualTypeOf<string>()
  })
})
