import Router from '@koa/router'
import {
  type Auth,
  createGate,
  type OidcAuth,
  type VercelAuth,
  type VercelClaims,
  vercel,
} from '@oidc-gate/core'
import Koa, { type Middleware } from 'koa'
import { describe, expectTypeOf, it } from 'vitest'
import { oidcGate, requirePolicy, type State } from '../src/index.js'

const gate = createGate({ issuers: [vercel({ team: 'acme' })] })

describe('ctx.state.auth', () => {
  it('is typed from the gate on an app chained from app.use(oidcGate())', () => {
    new Koa().use(oidcGate(gate)).use((ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<VercelAuth | undefined>()
      expectTypeOf(ctx.state.auth?.claims.project_id).toEqualTypeOf<string | undefined>()
    })
  })

  it('is inferred from GateOptions too', () => {
    expectTypeOf(oidcGate({ issuers: [vercel({ team: 'acme' })] })).toEqualTypeOf<
      Middleware<State<VercelClaims>>
    >()
  })

  it('is typed from State<C> on a router', () => {
    const router = new Router<State<VercelClaims>>()
    router.get('/', requirePolicy<VercelClaims>({ environment: 'production' }), (ctx) => {
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

describe('requirePolicy()', () => {
  it('checks claim names when typed with the claims', () => {
    requirePolicy<VercelClaims>({ environment: 'production' })
    // @ts-expect-error `enviroment` is not a Vercel claim
    requirePolicy<VercelClaims>({ enviroment: 'production' })
    requirePolicy({ 'realm_access.roles': { includes: 'admin' } })
  })
})
