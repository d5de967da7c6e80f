import Router from '@koa/router'
import {
  type Auth,
  createGate,
  type GateSource,
  type OidcAuth,
  type PolicyInput,
  type VercelAuth,
  type VercelClaims,
  vercel,
} from '@oidc-gate/core'
import Koa, { type Middleware } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import { type OidcGateMiddleware, oidcGate, requirePolicy, type State } from '../src/index.js'

const gate = createGate({ issuers: [vercel({ team: 'acme' })] })

describe('ctx.state.auth', () => {
  it('is typed from the gate on an app chained from app.use(oidcGate())', () => {
    new Koa().use(oidcGate(gate)).use((ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<VercelAuth | undefined>()
      expectTypeOf(ctx.state.auth?.claims.project_id).toEqualTypeOf<string | undefined>()
    })
  })

  it('is inferred from GateOptions too', () => {
    const auth = oidcGate({ issuers: [vercel({ team: 'acme' })] })
    expectTypeOf(auth).toEqualTypeOf<OidcGateMiddleware<VercelClaims>>()
    expectTypeOf(auth).toExtend<Middleware<State<VercelClaims>>>()
  })

  it('is typed from State<C> on a router', () => {
    const router = new Router<State<VercelClaims>>()
    router.get('/', requirePolicy(gate, { environment: 'production' }), (ctx) => {
      expectTypeOf(ctx.state.auth?.claims.project_id).toEqualTypeOf<string | undefined>()
      expectTypeOf(ctx.state.auth?.vercel.projectId).toEqualTypeOf<string | undefined>()
    })
  })

  it('is an Auth to narrow on profile in any app (DefaultState)', () => {
    new Koa().use((ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<Auth | undefined>()
      const auth = ctx.state.auth
      if (auth?.profile === 'oidc') expectTypeOf(auth).toEqualTypeOf<OidcAuth>()
    })
  })
})

describe('requirePolicy(gate, policy)', () => {
  it('takes the gate, or the middleware carrying it, and a policy over the gate’s claims', () => {
    expectTypeOf(requirePolicy<VercelClaims>).parameters.toEqualTypeOf<
      [GateSource<VercelClaims>, PolicyInput<VercelClaims>]
    >()
    expectTypeOf(oidcGate(gate).requirePolicy).parameter(0).toEqualTypeOf<PolicyInput<VercelClaims>>()
    // @ts-expect-error the gate comes first
    requirePolicy({ environment: 'production' })
  })

  it('refuses a misspelt claim on a router route', () => {
    const router = new Router<State<VercelClaims>>()
    // @ts-expect-error `enviroment` is not a Vercel claim
    router.delete('/projects/:id', requirePolicy(gate, { not: { enviroment: 'preview' } }), (ctx) => {
      ctx.status = 204
    })
  })
})
