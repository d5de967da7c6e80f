import {
  type Auth,
  createGate,
  type GateSource,
  type OidcAuth,
  oidc,
  type PolicyInput,
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

describe('requirePolicy(gate, policy)', () => {
  it('takes the gate, or the middleware carrying it, and a policy over the gate’s claims', () => {
    type Parameters = [GateSource<VercelClaims>, PolicyInput<VercelClaims>]
    expectTypeOf(requirePolicy<VercelClaims>).parameters.toEqualTypeOf<Parameters>()
    expectTypeOf(oidcGate(gate).requirePolicy).parameter(0).toEqualTypeOf<PolicyInput<VercelClaims>>()
    // @ts-expect-error the gate comes first
    requirePolicy({ environment: 'production' })
  })

  it('refuses a misspelt claim on a chained route, and types c.var.auth there', () => {
    const auth = oidcGate(gate)
    new Hono().get('/', auth, requirePolicy(auth, { environment: 'production' }), (c) => {
      expectTypeOf(c.var.auth).toEqualTypeOf<VercelAuth | undefined>()
      return c.text('ok')
    })
    // @ts-expect-error `enviroment` is not a Vercel claim
    new Hono().get('/', auth, auth.requirePolicy({ not: { enviroment: 'preview' } }), (c) => c.text('ok'))
  })

  it('accepts any claim path for an access-token gate', () => {
    const tokens = createGate({
      issuers: [oidc({ issuer: 'https://as.example', audience: 'api', jwksUri: 'https://as.example/jwks' })],
    })
    requirePolicy(tokens, { 'realm_access.roles': { includes: 'admin' } })
  })
})
