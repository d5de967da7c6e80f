import {
  type Auth,
  createGate,
  type OidcAuth,
  oidc,
  type VercelAuth,
  type VercelClaims,
  vercel,
} from '@oidc-gate/core'
import { Hono, type MiddlewareHandler } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import { type OidcGateMiddleware, oidcGate, requirePolicy, type Variables } from '../src/index.js'

const gate = createGate({ issuers: [vercel({ team: 'acme' })] })

describe('c.var.auth', () => {
  it('is typed from the gate on the routes oidcGate() is chained into', () => {
    new Hono().get('/', oidcGate(gate), (c) => {
      expectTypeOf(c.var.auth).toEqualTypeOf<VercelAuth | undefined>()
      expectTypeOf(c.get('auth')).toEqualTypeOf<VercelAuth | undefined>()
      expectTypeOf(c.var.auth?.claims.project_id).toEqualTypeOf<string | undefined>()
      return c.text('ok')
    })
  })

  it('is inferred from GateOptions too', () => {
    const auth = oidcGate({ issuers: [vercel({ team: 'acme' })] })
    expectTypeOf(auth).toEqualTypeOf<OidcGateMiddleware<VercelClaims>>()
    expectTypeOf(auth).toExtend<MiddlewareHandler<{ Variables: Variables<VercelClaims> }>>()
  })

  it('is typed from Variables<C> declared on the app', () => {
    const app = new Hono<{ Variables: Variables<VercelClaims> }>()
    app.use(oidcGate(gate))
    app.get('/', (c) => {
      expectTypeOf(c.var.auth?.claims.project_id).toEqualTypeOf<string | undefined>()
      expectTypeOf(c.var.auth?.vercel.projectId).toEqualTypeOf<string | undefined>()
      return c.text('ok')
    })
  })

  it('is an Auth to narrow on profile in any app (ContextVariableMap)', () => {
    new Hono().get('/', (c) => {
      expectTypeOf(c.var.auth).toEqualTypeOf<Auth | undefined>()
      const auth = c.get('auth')
      if (auth?.profile === 'oidc') expectTypeOf(auth).toEqualTypeOf<OidcAuth>()
      return c.text('ok')
    })
  })

  it('is the union for a gate with both kinds of issuer', () => {
    const mixed = createGate({
      issuers: [
        vercel({ team: 'acme' }),
        oidc({ issuer: 'https://as.example', audience: 'api', jwksUri: 'https://as.example/jwks' }),
      ],
    })
    new Hono().get('/', oidcGate(mixed), (c) => {
      expectTypeOf(c.var.auth).toEqualTypeOf<VercelAuth | OidcAuth | undefined>()
      return c.text('ok')
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

  it('types c.var.auth on the routes it is chained into', () => {
    new Hono().get('/', requirePolicy(gate, { environment: 'production' }), (c) => {
      expectTypeOf(c.var.auth).toEqualTypeOf<VercelAuth | undefined>()
      return c.text('ok')
    })
  })
})
