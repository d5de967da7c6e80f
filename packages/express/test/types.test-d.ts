import type { OidcAuth, VercelAuth, VercelClaims } from '@oidc-gate/core'
import type { Request, RequestHandler } from 'express'
import { describe, expectTypeOf, it } from 'vitest'
import { oidcGate, type RequestAuth, requirePolicy } from '../src/index.js'

// What an application with only vercel() issuers writes once.
declare module '../src/index.js' {
  interface Register {
    claims: VercelClaims
  }
}

describe('req.auth', () => {
  it('is the registered profile’s Auth', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<VercelAuth | undefined>()
    expectTypeOf<RequestAuth>().toEqualTypeOf<VercelAuth>()
    expectTypeOf<RequestAuth>().not.toEqualTypeOf<OidcAuth>()
  })

  it('types the Vercel claims inside a handler', () => {
    const handler: RequestHandler = (req, res) => {
      expectTypeOf(req.auth?.claims.project_id).toEqualTypeOf<string | undefined>()
      expectTypeOf(req.auth?.vercel.environment).toEqualTypeOf<string | undefined>()
      res.end()
    }
    expectTypeOf(handler).toExtend<RequestHandler>()
  })
})

describe('oidcGate() and requirePolicy()', () => {
  it('are Express middleware', () => {
    expectTypeOf(oidcGate).returns.toExtend<RequestHandler>()
    expectTypeOf(requirePolicy).returns.toExtend<RequestHandler>()
  })

  it('checks policy claim names against the registered claims', () => {
    requirePolicy({ project_id: 'prj_1', environment: ['production', 'preview'] })
    // @ts-expect-error `enviroment` is not a Vercel claim
    requirePolicy({ enviroment: 'production' })
  })
})
