import Router from '@koa/router'
import {
  type Auth,
  createGate,
  type OidcAuth,
  oidc,
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

describe('requirePolicy()', () => {
  it('checks claim names against the gate’s claims', () => {
    requirePolicy(gate, { environment: 'production' })
    // @ts-expect-error `enviroment` is not a Vercel claim
    requirePolicy(gate, { enviroment: 'production' })
    // @ts-expect-error `enviroment` is not a Vercel claim
    requirePolicy(gate, { not: { enviroment: 'preview' } })
    // @ts-expect-error the gate comes first
    requirePolicy({ environment: 'production' })
  })

  it('checks them on oidcGate().requirePolicy(), and with the middleware as the source', () => {
    const auth = oidcGate(gate)
    auth.requirePolicy({ environment: 'production' })
    requirePolicy(auth, { project_id: 'prj_1' })
    // @ts-expect-error `enviroment` is not a Vercel claim
    auth.requirePolicy({ enviroment: 'production' })
    // @ts-expect-error `enviroment` is not a Vercel claim
    requirePolicy(auth, { enviroment: 'production' })
  })

  it('accepts any claim path for an access-token gate', () => {
    const tokens = createGate({
      issuers: [oidc({ issuer: 'https://as.example', audience: 'api', jwksUri: 'https://as.example/jwks' })],
    })
    requirePolicy(tokens, { 'realm_access.roles': { includes: 'admin' } })
  })
})
