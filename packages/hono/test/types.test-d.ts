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
import { oidcGate, requirePolicy, type Variables } from '../src/index.js'

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
    expectTypeOf(oidcGate({ issuers: [vercel({ team: 'acme' })] })).toEqualTypeOf<
      MiddlewareHandler<{ Variables: Variables<VercelClaims> }>
    >()
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
  it('checks claim names when typed with the claims', () => {
    requirePolicy<VercelClaims>({ environment: 'production' })
    // @ts-expect-error `enviroment` is not a Vercel claim
    requirePolicy<VercelClaims>({ enviroment: 'production' })
    requirePolicy({ 'realm_access.roles': { includes: 'admin' } })
  })
})
