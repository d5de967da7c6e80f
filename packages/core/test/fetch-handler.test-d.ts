/** `protect()` keeps the runtime's handler signature and types `auth` by the gate's issuers. */

import { describe, expectTypeOf, it } from 'vitest'
import {
  type AccessTokenClaims,
  createGate,
  type Gate,
  type OidcAuth,
  oidc,
  protect,
  type VercelAuth,
  type VercelClaims,
  vercel,
} from '../src/index.js'

declare const gate: Gate<VercelClaims>

describe('protect()', () => {
  it('types auth by the gate and request as a Fetch Request by default', () => {
    const handler = protect(gate, (request, auth) => {
      expectTypeOf(request).toEqualTypeOf<Request>()
      expectTypeOf(auth).toEqualTypeOf<VercelAuth>()
      return new Response(auth.vercel.projectId)
    })
    expectTypeOf(handler).parameters.toEqualTypeOf<[Request]>()
    expectTypeOf(handler).returns.toEqualTypeOf<Promise<Response>>()
  })

  it('makes auth possibly undefined with optional: true only', () => {
    protect(
      gate,
      (_request, auth) => {
        expectTypeOf(auth).toEqualTypeOf<VercelAuth | undefined>()
        return new Response()
      },
      { optional: true },
    )
    protect(
      gate,
      (_request, auth) => {
        expectTypeOf(auth).toEqualTypeOf<VercelAuth>()
        return new Response()
      },
      { optional: false },
    )
    const optional = Math.random() > 0.5
    protect(
      gate,
      (_request, auth) => {
        expectTypeOf(auth).toEqualTypeOf<VercelAuth | undefined>()
        return new Response()
      },
      { optional },
    )
  })

  it("keeps the runtime's extra arguments (a Workers module's env and ctx, Next.js' route context)", () => {
    interface Env {
      readonly SECRET: string
    }
    const fetch = protect(
      gate,
      (_request: Request, _auth, env: Env, ctx: { waitUntil(p: Promise<unknown>): void }) => {
        expectTypeOf(env.SECRET).toEqualTypeOf<string>()
        ctx.waitUntil(Promise.resolve())
        return new Response()
      },
    )
    expectTypeOf(fetch).parameters.toEqualTypeOf<[Request, Env, { waitUntil(p: Promise<unknown>): void }]>()
  })

  it('types auth by the issuers of gate options', () => {
    protect(
      {
        issuers: [
          oidc({ issuer: 'https://as.example', audience: 'api', jwksUri: 'https://as.example/jwks' }),
        ],
      },
      (_request, auth) => {
        expectTypeOf(auth).toEqualTypeOf<OidcAuth<AccessTokenClaims>>()
        return new Response()
      },
    )
  })

  it('refuses a policy on a claim the profile does not have', () => {
    const vercelGate = createGate({ issuers: [vercel({ team: 'acme' })] })
    // @ts-expect-error `enviroment` is not a Vercel claim.
    protect(vercelGate, () => new Response(), { policy: { enviroment: 'production' } })
  })
})
