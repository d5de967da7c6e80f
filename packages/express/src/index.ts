/**
 * Express 4 and 5 glue for `@oidc-gate/core`: hand the request to the core's request edge, put the
 * result in `req.auth`, write the core's answer to a refusal (or pass it to `next(err)` with
 * `errors: 'framework'`). Every decision is the core's adapter kit.
 */

import {
  type AccessTokenClaims,
  type AdapterOptions,
  type Auth,
  adapterKit,
  answerFor,
  type ClaimsOf,
  type Gate,
  type GateOptions,
  type GateResponse,
  type GateSource,
  type IssuerProfile,
  type PolicyInput,
  routeGuard,
  sendNode,
  type VercelClaims,
} from '@oidc-gate/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'

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
// biome-ignore lint/suspicious/noExplicitAny: implementation signatures only; the overloads carry the claims type.
type AnyClaims = any

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
 * Options of {@link oidcGate}: `optional` and `errors` (see `AdapterOptions` of `@oidc-gate/core`).
 *
 * @example
 * ```ts
 * app.use(oidcGate(gate, { optional: true, errors: 'framework' }))
 * ```
 */
export type OidcGateOptions = AdapterOptions

/** The middleware {@link oidcGate} returns: a `RequestHandler` that also carries its gate. */
export interface OidcGateMiddleware<C> extends RequestHandler {
  /** The gate this middleware authenticates with. */
  readonly gate: Gate<C>
  /** {@link requirePolicy} bound to this middleware's gate. */
  requirePolicy(policy: PolicyInput<C>): RequestHandler
}

/**
 * Middleware that authenticates every request after it and stores the verified token in `req.auth`.
 * Takes a gate from `createGate()` or the options to build one (validated now: a mistake throws at boot).
 * A refusal is answered at once with its status, `WWW-Authenticate` (or `Retry-After`) and the JSON body
 * `{ "error", "error_description" }`, logging nothing; with `errors: 'framework'` it goes to `next(err)`
 * instead, as a `GateError` with `status` and `headers`. Authenticated responses get
 * `Cache-Control: no-store` unless the handler sets its own.
 *
 * @example
 * ```ts
 * import express from 'express'
 * import { vercel } from '@oidc-gate/core'
 * import { oidcGate } from '@oidc-gate/express'
 *
 * const app = express()
 * const auth = oidcGate({ issuers: [vercel({ team: 'acme', teamId: 'team_1234567890abcdefghijklmn' })] })
 * app.use(auth)
 * app.get('/whoami', (req, res) => res.json({ project: req.auth?.vercel?.projectId }))
 * app.post('/deploy', auth.requirePolicy({ environment: 'production' }), (req, res) => res.sendStatus(204))
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
  const kit = adapterKit<AnyClaims>(gateOrOptions, options, 'express')
  const { gate } = kit
  const pass = (req: Request, res: Response, next: NextFunction, auth: Auth | undefined): void => {
    if (res.headersSent) return
    if (auth !== undefined) {
      req.auth = auth as RequestAuth
      kit.writeHeaders(auth, res)
    }
    next()
  }
  const middleware: RequestHandler = (req, res, next) => {
    kit.attach(req)
    // A cached token is known at once: go on in this tick. Otherwise settle here, calling `next` once
    // (Express 4 does not await middleware): nothing is written once an answer was sent (a timeout
    // middleware answered first), and nothing escapes as an unhandled rejection.
    const settled = kit.settle(
      kit.node(req, req.originalUrl),
      (auth) => pass(req, res, next, auth),
      (error) => refuse(req, res, next, error),
    )
    if (settled instanceof Promise) settled.catch(next)
  }
  const bound = (policy: PolicyInput<AnyClaims>) => requirePolicy(gate, policy)
  return Object.assign(middleware, { gate, requirePolicy: bound })
}

/**
 * Middleware for one route: the verified token must also satisfy `policy`. Mount it after `oidcGate()`
 * and pass that gate (or the middleware `oidcGate()` returned): the policy is compiled now with the
 * gate's claim names, so a malformed policy or a misspelt claim name throws at boot. A refusal is a 403
 * `insufficient_scope`; a request let through without credentials by `optional: true`, or whose
 * `req.auth` another middleware set, is a 401. Refusals are answered as `oidcGate()` answers them.
 *
 * @example
 * ```ts
 * app.delete('/projects/:id', requirePolicy(gate, { environment: 'production' }), (req, res) => res.sendStatus(204))
 * ```
 */
export function requirePolicy<C>(source: GateSource<C>, policy: PolicyInput<C>): RequestHandler {
  const check = routeGuard(source, policy)
  return (req, res, next) => {
    let answer: GateResponse | undefined
    try {
      answer = check(req, req.auth as Auth<C> | undefined)
    } catch (error) {
      return res.headersSent ? undefined : next(error)
    }
    if (answer === undefined) next()
    else sendNode(res, answer)
  }
}

/** Writes the core's answer to a refusal, or hands the error to Express (`errors: 'framework'`). */
function refuse(req: Request, res: Response, next: NextFunction, error: unknown): void {
  if (res.headersSent) return
  const answer = answerFor(req, error)
  if (answer === undefined) next(error)
  else sendNode(res, answer)
}
