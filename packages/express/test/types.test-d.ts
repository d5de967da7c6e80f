import {
  createGate,
  type Gate,
  type GateSource,
  type OidcAuth,
  type PolicyInput,
  type VercelAuth,
  type VercelClaims,
  vercel,
} from '@oidc-gate/core'
import express, { type Request, type RequestHandler } from 'express'
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

  it('takes the gate, or the middleware carrying it, and a policy over the gate’s claims', () => {
    expectTypeOf(requirePolicy<VercelClaims>)
      .parameter(0)
      .toEqualTypeOf<GateSource<VercelClaims>>()
    expectTypeOf(requirePolicy<VercelClaims>)
      .parameter(1)
      .toEqualTypeOf<PolicyInput<VercelClaims>>()
    expectTypeOf(oidcGate(gate).requirePolicy).parameter(0).toEqualTypeOf<PolicyInput<VercelClaims>>()
    // @ts-expect-error the policy alone (the former signature)
    requirePolicy({ environment: 'production' })
  })

  it('refuses a misspelt claim on an Express route', () => {
    const app = express()
    const auth = oidcGate(gate)
    const done: RequestHandler = (_req, res) => res.end()
    app.post('/deploy', auth, requirePolicy(gate, { environment: ['production', 'preview'] }), done)
    // @ts-expect-error `enviroment` is not a Vercel claim
    app.put('/deploy', auth, requirePolicy(auth, { enviroment: 'production' }), done)
    // @ts-expect-error `enviroment` is not a Vercel claim
    app.delete('/deploy', auth, auth.requirePolicy({ not: { enviroment: 'preview' } }), done)
  })
})
