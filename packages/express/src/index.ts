/**
 * Express 4 and 5 glue for `@oidc-gate/core`: build the neutral request, call the gate, put the result in
 * `req.auth`, hand refusals to `next(err)` so Express's own error handler answers with the `GateError`'s
 * status and headers. Every decision is the core's.
 */

import {
  type AccessTokenClaims,
  type Auth,
  compilePolicy,
  createGate,
  type Gate,
  type GateOptions,
  type IssuerProfile,
  type PolicyInput,
  type VercelClaims,
} from '@oidc-gate/core'
import type { RequestHandler } from 'express'

/**
 * Register the claims type of your issuers once, and `req.auth` and `requirePolicy()` are typed from it.
 * Without it, `req.auth` is an `Auth` to narrow on `auth.profile`.
 *
 * @example
 * ```ts
 * import type { VercelClaims } from '@oidc-gate/core'
 *
 * declare module '@oidc-gate/express' {
 *   interface Register {
 *     claims: VercelClaims
 *   }
 * }
 * // req.auth?.claims.project_id is a string, req.auth?.vercel.projectId too
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: declaration merging target, filled in by applications.
export interface Register {}

type Claims = Register extends { claims: infer C } ? C : VercelClaims | AccessTokenClaims
type PolicyClaims = Register extends { claims: infer C } ? C : Record<string, unknown>

/**
 * The type of `req.auth`: `Auth` of the claims in {@link Register}, else of every profile.
 *
 * @example
 * ```ts
 * const auth: RequestAuth | undefined = req.auth
 * if (auth?.profile === 'vercel') auth.vercel.projectId
 * ```
 */
export type RequestAuth = Auth<Claims>

declare global {
  namespace Express {
    interface Request {
      /**
       * The verified token, set by `oidcGate()`. `undefined` before it runs, and after it when
       * `optional: true` let a request without credentials through.
       */
      auth?: RequestAuth
    }
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
   * When `true`, a request without bearer credentials passes with `req.auth` unset; credentials that are
   * present but bad still fail. Default `false`.
   */
  readonly optional?: boolean
}

// The gate that authenticated a request, for `requirePolicy()` further down the chain.
// A symbol slot rather than a WeakMap: no ephemeron for the garbage collector to trace per request.
const GATE = Symbol('oidc-gate.gate')
type GateSlot = { [GATE]?: Gate }

/**
 * Middleware that authenticates every request after it and stores the verified token in `req.auth`.
 * Takes a gate from `createGate()` or the options to build one (validated now: a mistake throws at boot).
 * A refusal goes to `next(err)` as a `GateError` with `status` and `headers` (`WWW-Authenticate`,
 * `Retry-After`), which Express's default error handler answers with. Authenticated responses get
 * `Cache-Control: no-store` unless the handler sets its own.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { vercel } from '@oidc-gate/core'
 * import { oidcGate } from '@oidc-gate/express'
 *
 * const app = express()
 * app.use(oidcGate({ issuers: [vercel({ team: 'acme' })], policy: { project_id: 'prj_123' } }))
 * app.get('/whoami', (req, res) => res.json({ project: req.auth?.vercel?.projectId }))
 * ```
 */
export function oidcGate<C>(gate: Gate<C>, options?: OidcGateOptions): RequestHandler
export function oidcGate<P extends IssuerProfile>(
  gateOptions: GateOptions<P>,
  options?: OidcGateOptions,
): RequestHandler
export function oidcGate(gateOrOptions: Gate | GateOptions, options: OidcGateOptions = {}): RequestHandler {
  const gate = 'authenticate' in gateOrOptions ? gateOrOptions : (createGate(gateOrOptions) as Gate)
  const optional = options.optional === true
  const authenticateOptions = { optional }
  return function oidcGate(req, res, next) {
    ;(req as GateSlot)[GATE] = gate
    const request = {
      method: req.method,
      url: req.originalUrl,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
    }
    // Express 4 does not await middleware: settle the promise here, calling `next` exactly once.
    gate.authenticate(request, authenticateOptions).then((auth) => {
      if (auth !== undefined) {
        req.auth = auth as RequestAuth
        res.setHeader('cache-control', 'no-store')
      }
      next()
    }, next)
  }
}

/**
 * Middleware for one route: the verified token must also satisfy `policy`. Mount it after `oidcGate()`.
 * The policy is compiled now, so a malformed one throws at boot; to also check claim names against the
 * gate's issuers, pass `gate.compilePolicy(policy)`. A refusal is a 403 `insufficient_scope`; a request
 * let through without credentials by `optional: true` is a 401.
 *
 * @example
 * ```ts
 * app.delete('/projects/:id', requirePolicy({ environment: 'production' }), (req, res) => res.sendStatus(204))
 * ```
 */
export function requirePolicy(policy: PolicyInput<PolicyClaims>): RequestHandler {
  const compiled = compilePolicy(policy as PolicyInput<Record<string, unknown>>)
  return function requirePolicy(req, _res, next) {
    const gate = (req as GateSlot)[GATE]
    if (gate === undefined) {
      next(new Error('requirePolicy() needs oidcGate() earlier in the middleware chain'))
      return
    }
    try {
      gate.authorize(req.auth, compiled)
    } catch (error) {
      next(error)
      return
    }
    next()
  }
}
