/**
 * Hono 4 glue for `@oidc-gate/core`: build the neutral request from the Fetch `Request`, call the gate,
 * put the result in `c.var.auth`, and turn refusals into `HTTPException`s that carry the RFC 6750 response,
 * so `app.onError`'s default answers correctly. Web-standard only: runs on Node, Bun, Deno and edge
 * runtimes. Every decision is the core's.
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
import type { MiddlewareHandler } from 'hono'
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
 * Options of {@link oidcGate}.
 *
 * @example
 * ```ts
 * app.use(oidcGate(gate, { optional: true }))
 * ```
 */
export interface OidcGateOptions {
  /**
   * When `true`, a request without bearer credentials passes with `c.var.auth` `undefined`; credentials
   * that are present but bad still fail. Default `false`.
   */
  readonly optional?: boolean
}

// The gate that authenticated a request, for `requirePolicy()` further down the chain.
/** The part of Node's `IncomingMessage` that @hono/node-server passes as `c.env.incoming`. */
interface NodeIncoming {
  readonly url?: string
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly rawHeaders?: readonly string[]
}

// A symbol slot rather than a WeakMap: no ephemeron for the garbage collector to trace per request.
const GATE = Symbol('oidc-gate.gate')
type GateSlot = { [GATE]?: Gate }

/**
 * Middleware that authenticates every request after it and stores the verified token in `c.var.auth`.
 * Takes a gate from `createGate()` or the options to build one (validated now: a mistake throws at boot).
 * A refusal throws an `HTTPException` whose response has the status, `WWW-Authenticate` (or
 * `Retry-After`) and a small JSON body (`{ error, error_description }`, empty without an error code); its
 * `cause` is the `GateError`. Authenticated responses get `Cache-Control: no-store` unless the handler
 * sets its own. Duplicate `Authorization` lines arrive joined by `, ` (Fetch `Headers`) and answer 400.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { vercel } from '@oidc-gate/core'
 * import { oidcGate } from '@oidc-gate/hono'
 *
 * const app = new Hono()
 * app.get('/whoami', oidcGate({ issuers: [vercel({ team: 'acme' })] }), (c) =>
 *   c.json({ project: c.var.auth?.vercel.projectId }),
 * )
 * ```
 */
export function oidcGate<C>(
  gate: Gate<C>,
  options?: OidcGateOptions,
): MiddlewareHandler<{ Variables: Variables<C> }>
export function oidcGate<P extends IssuerProfile>(
  gateOptions: GateOptions<P>,
  options?: OidcGateOptions,
): MiddlewareHandler<{ Variables: Variables<ClaimsOf<P>> }>
export function oidcGate(
  gateOrOptions: Gate | GateOptions,
  options: OidcGateOptions = {},
): MiddlewareHandler {
  const gate = 'authenticate' in gateOrOptions ? gateOrOptions : (createGate(gateOrOptions) as Gate)
  const optional = options.optional === true
  const authenticateOptions = { optional }
  return async function oidcGate(c, next) {
    ;(c as GateSlot)[GATE] = gate
    // On Node (@hono/node-server) read Node's request: no Fetch Headers to build, and every raw
    // `Authorization` line is seen. Elsewhere, the Web-standard request.
    const incoming = (c.env as { incoming?: NodeIncoming } | undefined)?.incoming
    const request =
      incoming?.rawHeaders !== undefined
        ? {
            method: c.req.method,
            url: incoming.url ?? '/',
            headers: incoming.headers,
            rawHeaders: incoming.rawHeaders,
          }
        : { method: c.req.method, url: c.req.url, headers: c.req.raw.headers }
    const auth = await gate.authenticate(request, authenticateOptions).catch(toHttpException)
    if (auth !== undefined) {
      c.set('auth', auth)
      c.header('cache-control', 'no-store')
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
 * app.delete('/projects/:id', requirePolicy<VercelClaims>({ environment: 'production' }), (c) => c.body(null, 204))
 * ```
 */
export function requirePolicy<C = Record<string, unknown>>(policy: PolicyInput<C>): MiddlewareHandler {
  const compiled = compilePolicy(policy as PolicyInput<Record<string, unknown>>)
  return async function requirePolicy(c, next) {
    const gate = (c as GateSlot)[GATE]
    if (gate === undefined)
      throw new Error('requirePolicy() needs oidcGate() earlier in the middleware chain')
    try {
      gate.authorize(c.get('auth'), compiled)
    } catch (error) {
      toHttpException(error)
    }
    await next()
  }
}

/** Gives a `GateError` (all the gate throws) the form Hono's error handler answers with. */
function toHttpException(caught: unknown): never {
  if (!isGateError(caught)) throw caught
  const error = caught
  const headers = new Headers(error.headers)
  let body: string | null = null
  if (error.error !== undefined) {
    body = JSON.stringify({ error: error.error, error_description: error.message })
    headers.set('content-type', 'application/json')
  }
  const res = new Response(body, { status: error.status, headers })
  throw new HTTPException(error.status as ContentfulStatusCode, { res, message: error.message, cause: error })
}
