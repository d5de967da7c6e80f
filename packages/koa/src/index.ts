/**
 * Koa 2 and 3 glue for `@oidc-gate/core`: build the neutral request, call the gate, put the result in
 * `ctx.state.auth`. Client errors (4xx) are answered here exactly as Koa's `ctx.onerror` would answer the
 * thrown `GateError`, but without emitting `error` on the app: an `app.on('error')` logger sees server
 * problems, not every bad token. A 503 (keys unavailable) is thrown, so it reaches that logger and Koa's
 * default handler answers it with `Retry-After`. Every decision is the core's.
 */

import {
  type AccessTokenClaims,
  type Auth,
  type ClaimsOf,
  compilePolicy,
  createGate,
  type Gate,
  type GateOptions,
  type IssuerProfile,
  isGateError,
  type PolicyInput,
  type VercelClaims,
} from '@oidc-gate/core'
import type { Context, Middleware } from 'koa'

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
 * Options of {@link oidcGate}.
 *
 * @example
 * ```ts
 * app.use(oidcGate(gate, { optional: true }))
 * ```
 */
export interface OidcGateOptions {
  /**
   * When `true`, a request without bearer credentials passes with `ctx.state.auth` unset; credentials
   * that are present but bad still fail. Default `false`.
   */
  readonly optional?: boolean
}

// The gate that authenticated a request, for `requirePolicy()` further down the chain.
// A symbol slot rather than a WeakMap: no ephemeron for the garbage collector to trace per request.
const GATE = Symbol('oidc-gate.gate')
type GateSlot = { [GATE]?: Gate }

/**
 * Middleware that authenticates every request after it and stores the verified token in
 * `ctx.state.auth`. Takes a gate from `createGate()` or the options to build one (validated now: a
 * mistake throws at boot). A refusal answers with the status, `WWW-Authenticate` and the description as
 * text. Authenticated responses get `Cache-Control: no-store` unless the handler sets its own.
 *
 * @example
 * ```ts
 * import Koa from 'koa'
 * import { vercel } from '@oidc-gate/core'
 * import { oidcGate } from '@oidc-gate/koa'
 *
 * const app = new Koa()
 * app.use(oidcGate({ issuers: [vercel({ team: 'acme' })], policy: { environment: 'production' } }))
 * app.use((ctx) => {
 *   ctx.body = { project: ctx.state.auth?.vercel?.projectId }
 * })
 * ```
 */
export function oidcGate<C>(gate: Gate<C>, options?: OidcGateOptions): Middleware<State<C>>
export function oidcGate<P extends IssuerProfile>(
  gateOptions: GateOptions<P>,
  options?: OidcGateOptions,
): Middleware<State<ClaimsOf<P>>>
export function oidcGate(
  gateOrOptions: Gate | GateOptions,
  options: OidcGateOptions = {},
): Middleware<State> {
  const gate = 'authenticate' in gateOrOptions ? gateOrOptions : (createGate(gateOrOptions) as Gate)
  const optional = options.optional === true
  const authenticateOptions = { optional }
  return async function oidcGate(ctx, next) {
    ;(ctx as GateSlot)[GATE] = gate
    const request = {
      method: ctx.method,
      url: ctx.originalUrl,
      headers: ctx.headers,
      rawHeaders: ctx.req.rawHeaders,
    }
    let auth: Auth | undefined
    try {
      auth = await gate.authenticate(request, authenticateOptions)
    } catch (error) {
      return answer(ctx, error)
    }
    if (auth !== undefined) {
      ctx.state.auth = auth
      ctx.set('cache-control', 'no-store')
    }
    await next()
  }
}

/**
 * Middleware for one route: the verified token must also satisfy `policy`. Use it after `oidcGate()`.
 * The policy is compiled now, so a malformed one throws at boot; type it with `requirePolicy<VercelClaims>`
 * to have TypeScript check claim names, or pass `gate.compilePolicy(policy)`. A refusal is a 403
 * `insufficient_scope`; a request let through without credentials by `optional: true` is a 401.
 *
 * @example
 * ```ts
 * router.delete('/projects/:id', requirePolicy<VercelClaims>({ environment: 'production' }), (ctx) => {
 *   ctx.status = 204
 * })
 * ```
 */
export function requirePolicy<C = Record<string, unknown>>(policy: PolicyInput<C>): Middleware<State> {
  const compiled = compilePolicy(policy as PolicyInput<Record<string, unknown>>)
  return async function requirePolicy(ctx, next) {
    const gate = (ctx as GateSlot)[GATE]
    if (gate === undefined)
      throw new Error('requirePolicy() needs oidcGate() earlier in the middleware chain')
    try {
      gate.authorize(ctx.state.auth, compiled)
    } catch (error) {
      return answer(ctx, error)
    }
    await next()
  }
}

/** Answers an exposed client error as `ctx.onerror` would, without the app's `error` event; throws the rest. */
function answer(ctx: Context, caught: unknown): void {
  if (!isGateError(caught) || caught.status >= 500) throw caught
  const error = caught
  ctx.status = error.status
  ctx.set(error.headers)
  ctx.body = error.message
}
