/**
 * Fastify 5 glue for `@oidc-gate/core`: a `fastify-plugin` whose `onRequest` hook builds the neutral
 * request, calls the gate and stores the result in `request.auth`. Refusals are thrown as `GateError`s,
 * which Fastify's default error handler answers with their `statusCode` and `headers`. Every decision
 * is the core's.
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
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

/**
 * Register the claims type of your issuers once, and `request.auth`, route `config.policy` and
 * `requirePolicy()` are typed from it. Without it, `request.auth` is an `Auth` to narrow on `auth.profile`.
 *
 * @example
 * ```ts
 * import type { VercelClaims } from '@oidc-gate/core'
 *
 * declare module '@oidc-gate/fastify' {
 *   interface Register {
 *     claims: VercelClaims
 *   }
 * }
 * // request.auth?.claims.project_id is a string
 * ```
 */
// biome-ignore lint/suspicious/noEmptyInterface: declaration merging target, filled in by applications.
export interface Register {}

type Claims = Register extends { claims: infer C } ? C : VercelClaims | AccessTokenClaims
type PolicyClaims = Register extends { claims: infer C } ? C : Record<string, unknown>

/**
 * The type of `request.auth` (besides `null`): `Auth` of the claims in {@link Register}, else of every
 * profile.
 *
 * @example
 * ```ts
 * const auth: RequestAuth | null = request.auth
 * ```
 */
export type RequestAuth = Auth<Claims>

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The verified token, set by the `oidcGate()` plugin. `null` when `optional: true` let a request
     * without credentials through; absent (the decorator does not exist) outside the plugin's context.
     */
    auth: RequestAuth | null
  }
  interface FastifyContextConfig {
    /**
     * A policy this route's token must also satisfy, checked by the `oidcGate()` plugin of the route's
     * context. Compiled when the route is declared, with the gate's claim names: a bad one fails at boot.
     */
    policy?: PolicyInput<PolicyClaims>
  }
}

/**
 * Options of {@link oidcGate}.
 *
 * @example
 * ```ts
 * await app.register(oidcGate(gate, { optional: true }))
 * ```
 */
export interface OidcGateOptions {
  /**
   * When `true`, a request without bearer credentials passes with `request.auth` `null`; credentials that
   * are present but bad still fail. Default `false`.
   */
  readonly optional?: boolean
}

// The gate that authenticated a request, for `requirePolicy()` hooks.
// A symbol slot rather than a WeakMap: no ephemeron for the garbage collector to trace per request.
const GATE = Symbol('oidc-gate.gate')
type GateSlot = { [GATE]?: Gate }

/**
 * A plugin that authenticates every request of the context it is registered in (and its children) and
 * stores the verified token in `request.auth`. Registered inside an encapsulated plugin, it protects only
 * that plugin's routes. Takes a gate from `createGate()` or the options to build one (validated now).
 * Routes may add `config: { policy }`. Authenticated responses get `Cache-Control: no-store` unless the
 * handler sets its own.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { vercel } from '@oidc-gate/core'
 * import { oidcGate } from '@oidc-gate/fastify'
 *
 * const app = Fastify()
 * await app.register(oidcGate({ issuers: [vercel({ team: 'acme' })] }))
 * app.get('/deploy', { config: { policy: { environment: 'production' } } }, async (request) => ({
 *   project: request.auth?.vercel?.projectId,
 * }))
 * ```
 */
export function oidcGate<C>(gate: Gate<C>, options?: OidcGateOptions): FastifyPluginAsync
export function oidcGate<P extends IssuerProfile>(
  gateOptions: GateOptions<P>,
  options?: OidcGateOptions,
): FastifyPluginAsync
export function oidcGate(
  gateOrOptions: Gate | GateOptions,
  options: OidcGateOptions = {},
): FastifyPluginAsync {
  const gate = 'authenticate' in gateOrOptions ? gateOrOptions : (createGate(gateOrOptions) as Gate)
  const optional = options.optional === true
  const authenticateOptions = { optional }
  const plugin: FastifyPluginAsync = async (fastify) => {
    // Nested contexts inherit the decorator of an outer registration.
    if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null)
    fastify.addHook('onRoute', (route) => {
      const policy = route.config?.policy
      if (policy !== undefined) route.config = { ...route.config, policy: gate.compilePolicy(policy) }
    })
    fastify.addHook('onRequest', async (request, reply) => {
      ;(request as GateSlot)[GATE] = gate
      const { method, url, headers, raw } = request
      const auth = await gate.authenticate(
        { method, url, headers, rawHeaders: raw.rawHeaders },
        authenticateOptions,
      )
      const policy = request.routeOptions.config.policy
      if (policy !== undefined) gate.authorize(auth, policy)
      if (auth !== undefined) {
        request.auth = auth as RequestAuth
        reply.header('cache-control', 'no-store')
      }
    })
  }
  return fp(plugin, { name: '@oidc-gate/fastify', fastify: '5.x' })
}

/**
 * A route hook (`preHandler` or `onRequest`): the verified token must also satisfy `policy`. Use it in a
 * context where `oidcGate()` is registered. The policy is compiled now, so a malformed one throws at boot;
 * to also check claim names against the gate's issuers, pass `gate.compilePolicy(policy)` or use route
 * `config: { policy }`. A refusal is a 403 `insufficient_scope`; a request let through without
 * credentials by `optional: true` is a 401.
 *
 * @example
 * ```ts
 * app.delete('/projects/:id', { preHandler: requirePolicy({ environment: 'production' }) }, async () => null)
 * ```
 */
export function requirePolicy(policy: PolicyInput<PolicyClaims>): (request: FastifyRequest) => Promise<void> {
  const compiled = compilePolicy(policy as PolicyInput<Record<string, unknown>>)
  return async function requirePolicy(request) {
    const gate = (request as GateSlot)[GATE]
    if (gate === undefined)
      throw new Error('requirePolicy() needs the oidcGate() plugin in the route context')
    gate.authorize(request.auth ?? undefined, compiled)
  }
}
