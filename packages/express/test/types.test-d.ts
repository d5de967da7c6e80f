import {
  createGate,
  type Gate,
  type OidcAuth,
  type VercelAuth,
  type VercelClaims,
  vercel,
} from '@oidc-gate/core'
import type { Request, RequestHandler } from 'express'
import { describe, expectTypeOf, it } from 'vitest'
import { type OidcGateMiddleware, oidcGate, type RequestAuth, requirePolicy } from '../src/index.js'

// What an application with only vercel() issuers writes once.
declare module '../src/index.js' {
  interface Register {
    claims: VercelClaims
  }
}

const gate = createGate({ issuers: [vercel({ team: 'acme' })] })

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
    expectTypeOf(oidcGate(gate)).toExtend<RequestHandler>()
    expectTypeOf(requirePolicy(gate, { environment: 'production' })).toEqualTypeOf<RequestHandler>()
  })

  it('returns a middleware that carries its gate, typed from the gate or the options', () => {
    expectTypeOf(oidcGate(gate)).toEqualTypeOf<OidcGateMiddleware<VercelClaims>>()
    expectTypeOf(oidcGate({ issuers: [vercel({ team: 'acme' })] }).gate).toEqualTypeOf<Gate<VercelClaims>>()
  })

  it('checks policy claim names against the gate’s claims', () => {
    requirePolicy(gate, { project_id: 'prj_1', environment: ['production', 'preview'] })
    // @ts-expect-error `enviroment` is not a Vercel claim
    requirePolicy(gate, { enviroment: 'production' })
    // @ts-expect-error `enviroment` is not a Vercel claim
    requirePolicy(gate, { not: { enviroment: 'preview' } })
  })

  it('checks them on oidcGate().requirePolicy() and with the middleware as the source', () => {
    const auth = oidcGate(gate)
    auth.requirePolicy({ environment: 'production' })
    requirePolicy(auth, { environment: 'production' })
    // @ts-expect-error `enviroment` is not a Vercel claim
    auth.requirePolicy({ enviroment: 'production' })
    // @ts-expect-error `enviroment` is not a Vercel claim
    requirePolicy(auth, { enviroment: 'production' })
  })

  it('needs the gate first', () => {
    // @ts-expect-error the policy alone (the former signature)
    requirePolicy({ environment: 'production' })
  })
})
