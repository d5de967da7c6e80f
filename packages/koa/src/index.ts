/**
 * Koa 2 and 3 glue for `@oidc-gate/core`: hand the request to the core's request edge, put the result in
 * `ctx.state.auth`, answer a refusal with the core's response (or throw the `GateError` to Koa's error
 * handling with `errors: 'framework'`). Every decision is the core's adapter kit.
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
  type PolicyInput,
  routeGuard,
  type VercelClaims,
} from '@oidc-gate/core'
import type { Middleware, Next, ParameterizedContext } from 'koa'

/**
 * The state set by {@link oidcGate}, typed by the claims of the gate's issuers: use it as the app's or
 * the router's state type.
 *
 * @example
 * ```ts
 * import type { VercelClaims } from '@oidc-gate/core'
 *
 * const router = new Router<State<VercelClaims>>()
 * router.get('/', (ctx) => {
 *   ctx.body = ctx.state.auth?.claims.project_id
 * })
 * ```
 */
export interface State<C = VercelClaims | AccessTokenClaims> {
  /** The verified token; absent when `optional: true` let a request without credentials through. */
  auth?: Auth<C>
}

declare module 'koa' {
  interface DefaultState {
    /** The verified token, set by `oidcGate()` from `@oidc-gate/koa`. */
    auth?: Auth
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
export type OidcGateMiddleware<C> = Middleware<State<C>> & {
  /** The gate this middleware authenticates with. */
  readonly gate: Gate<C>
  /** {@link requirePolicy} bound to this middleware's gate. */
  requirePolicy(policy: PolicyInput<C>): Middleware<State<C>>
}

/**
 * Middleware that authenticates every request after it and stores the verified token in
 * `ctx.state.auth`. Takes a gate from `createGate()` or the options to build one (validated now: a
 * mistake throws at boot). A refusal is answered at once with its status, `WWW-Authenticate` (or
 * `Retry-After`) and the JSON body `{ "error", "error_description" }`, without Koa's `error` event; with
 * `errors: 'framework'` the `GateError` is thrown instead, for a try/catch upstream or `ctx.onerror`
 * (which answers with its `status`, `headers` and exposed message). Authenticated responses get
 * `Cache-Control: no-store` unless the handler sets its own.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { vercel } from '@oidc-gate/core'
 * import { oidcGate } from '@oidc-gate/koa'
 *
 * const app = new Koa()
 * app.use(oidcGate({ issuers: [vercel({ team: 'acme', teamId: 'team_1234567890abcdefghijklmn' })] }))
 * app.use((ctx) => {
 *   ctx.body = { project: ctx.state.auth?.vercel?.projectId }
 * })
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
  const kit = adapterKit<AnyClaims>(gateOrOptions, options, 'koa')
  const { gate } = kit
  const proceed = (
    ctx: ParameterizedContext<State>,
    next: Next,
    auth: Auth | undefined,
  ): Promise<unknown> => {
    if (auth !== undefined) {
      ctx.state.auth = auth
      kit.writeHeaders(auth, ctx.res)
    }
    return next()
  }
  const middleware: Middleware<State> = (ctx, next) => {
    kit.attach(ctx)
    // A cached token is known at once: go on without a promise of our own.
    return kit.settle<unknown>(
      kit.node(ctx.req, ctx.originalUrl),
      (auth) => proceed(ctx, next, auth),
      (error) => write(ctx, answerOrThrow(ctx, error)),
    )
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
 * router.delete('/projects/:id', requirePolicy(gate, { environment: 'production' }), (ctx) => {
 *   ctx.status = 204
 * })
 * ```
 */
export function requirePolicy<C>(source: GateSource<C>, policy: PolicyInput<C>): Middleware<State<C>> {
  const check = routeGuard(source, policy)
  return async (ctx, next) => {
    const answer = check(ctx, ctx.state.auth)
    if (answer !== undefined) return write(ctx, answer)
    await next()
  }
}

function write(ctx: ParameterizedContext<AnyClaims>, answer: GateResponse): void {
  ctx.status = answer.status
  ctx.set(answer.headers as Record<string, string>)
  ctx.body = answer.body
}
