/**
 * Hono 4 glue for `@oidc-gate/core`: hand the request to the core's request edge (Node's request on
 * @hono/node-server, the Fetch `Request` elsewhere), put the result in `c.var.auth`, answer a refusal with
 * the core's response (or throw it as an `HTTPException` for `app.onError` with `errors: 'framework'`).
 * Web-standard only: runs on Node, Bun, Deno and edge runtimes. Every decision is the core's.
 */

import {
  type AccessTokenClaims,
  type AdapterOptions,
  type Auth,
  adapterKit,
  answerOrThrow,
  type ClaimsOf,
  type Gate,
  type GateOptions,
  type GateResponse,
  type GateSource,
  type IssuerProfile,
  type NodeServerEnv,
  type PolicyInput,
  routeGuard,
  type VercelClaims,
} from '@oidc-gate/core'
import type { Context, MiddlewareHandler, Next } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * The context variables set by {@link oidcGate}, typed by the claims of the gate's issuers. `oidcGate()`
 * declares them on the routes it is chained into; for `app.use()`, declare them on the app.
 *
 * @example
 * ```ts
 * import type { VercelClaims } from '@oidc-gate/core'
 *
 * const app = new Hono<{ Variables: Variables<VercelClaims> }>()
 * app.use(oidcGate(gate))
 * app.get('/', (c) => c.text(c.var.auth?.claims.project_id ?? 'anonymous'))
 * ```
 */
export type Variables<C = VercelClaims | AccessTokenClaims> = {
  /** The verified token; `undefined` when `optional: true` let a request without credentials through. */
  auth: Auth<C> | undefined
}

declare module 'hono' {
  interface ContextVariableMap {
    /** The verified token, set by `oidcGate()` from `@oidc-gate/hono`. */
    auth: Auth | undefined
  }
}

/**
 * Options of {@link oidcGate}: `optional` and `errors` (see `AdapterOptions` of `@oidc-gate/core`).
 *
 * @example
 * ```ts
 * app.use(oidcGate(gate, { optional: true, errors: 'framework' }))
 * ```
 */
export type OidcGateOptions = AdapterOptions

// biome-ignore lint/suspicious/noExplicitAny: implementation signatures only; the overloads carry the claims type.
type AnyClaims = any

/** The middleware {@link oidcGate} returns, which also carries its gate. */
export type OidcGateMiddleware<C> = MiddlewareHandler<{ Variables: Variables<C> }> & {
  /** The gate this middleware authenticates with. */
  readonly gate: Gate<C>
  /** {@link requirePolicy} bound to this middleware's gate. */
  requirePolicy(policy: PolicyInput<C>): MiddlewareHandler<{ Variables: Variables<C> }>
}

/**
 * Middleware that authenticates every request after it and stores the verified token in `c.var.auth`.
 * Takes a gate from `createGate()` or the options to build one (validated now: a mistake throws at boot).
 * A refusal is answered at once with its status, `WWW-Authenticate` (or `Retry-After`) and the JSON body
 * `{ "error", "error_description" }`; with `errors: 'framework'` it is thrown as an `HTTPException`
 * carrying that response, whose `cause` is the `GateError`, for `app.onError`. Authenticated responses
 * get `Cache-Control: no-store` unless the handler sets its own.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { vercel } from '@oidc-gate/core'
 * import { oidcGate } from '@oidc-gate/hono'
 *
 * const auth = oidcGate({ issuers: [vercel({ team: 'acme', teamId: 'team_1234567890abcdefghijklmn' })] })
 * const app = new Hono()
 * app.get('/whoami', auth, (c) => c.json({ project: c.var.auth?.vercel.projectId }))
 * app.post('/deploy', auth, auth.requirePolicy({ environment: 'production' }), (c) => c.body(null, 204))
 * ```
 */
export function oidcGate<C>(gate: Gate<C>, options?: OidcGateOptions): OidcGateMiddleware<C>
export function oidcGate<P extends IssuerProfile>(
  gateOptions: GateOptions<P>,
  options?: OidcGateOptions,
): OidcGateMiddleware<ClaimsOf<P>>
export function oidcGate(
  gateOrOptions: Gate<AnyClaims> | GateOptions,
  options?: OidcGateOptions,
): OidcGateMiddleware<AnyClaims> {
  const kit = adapterKit<AnyClaims>(gateOrOptions, options, 'hono')
  const { gate } = kit
  const proceed = (c: Context, next: Next, auth: Auth | undefined): Promise<void> => {
    if (auth !== undefined) {
      c.set('auth', auth)
      kit.writeHeaders(auth, (c.env as NodeServerEnv | undefined)?.outgoing ?? c.header)
    }
    return next()
  }
  const middleware: MiddlewareHandler = (c, next) => {
    kit.attach(c)
    // A cached token is known at once: go on without a promise of our own. Both ways end in a promise
    // (`next()`'s, or the verification's), so the result is one.
    const result = kit.either(c.env as NodeServerEnv | undefined, () => c.req.raw)
    return kit.settle<Promise<void> | Response>(
      result,
      (auth) => proceed(c, next, auth),
      (error) => refuse(c, error),
    ) as Promise<Response | undefined>
  }
  const bound = (policy: PolicyInput<AnyClaims>) => requirePolicy(gate, policy)
  return Object.assign(middleware, { gate, requirePolicy: bound })
}

/**
 * Middleware for one route: the verified token must also satisfy `policy`. Use it after `oidcGate()` and
 * pass that gate (or the middleware `oidcGate()` returned): the policy is compiled now with the gate's
 * claim names, so a malformed policy or a misspelt claim name throws at boot. A refusal is a 403
 * `insufficient_scope`; a request let through without credentials by `optional: true` is a 401.
 * Refusals are answered as `oidcGate()` answers them.
 *
 * @example
 * ```ts
 * app.delete('/projects/:id', requirePolicy(gate, { environment: 'production' }), (c) => c.body(null, 204))
 * ```
 */
export function requirePolicy<C>(
  source: GateSource<C>,
  policy: PolicyInput<C>,
): MiddlewareHandler<{ Variables: Variables<C> }> {
  const check = routeGuard(source, policy)
  return async (c, next) => {
    let answer: GateResponse | undefined
    try {
      answer = check(c, c.get('auth') as Auth<C> | undefined)
    } catch (error) {
      return refuse(c, error)
    }
    if (answer !== undefined) return new Response(answer.body, answer)
    await next()
  }
}

/** The core's answer as a `Response`, or an `HTTPException` carrying it for `app.onError`. */
function refuse(c: Context, error: unknown): Response {
  const answer = answerOrThrow(c, error, (cause, res) => {
    return new HTTPException(res.status as ContentfulStatusCode, { res: new Response(res.body, res), cause })
  })
  return new Response(answer.body, answer)
}
