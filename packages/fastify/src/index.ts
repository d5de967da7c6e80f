/**
 * Fastify 5 glue for `@oidc-gate/core`: a `fastify-plugin` whose `onRequest` hook hands the request to the
 * core's request edge and stores the result in `request.auth`; route `config.policy` is compiled with the
 * gate when the route is declared. A refusal is answered with the core's response (or thrown to
 * Fastify's error handler with `errors: 'framework'`). Every decision is the core's adapter kit.
 */

import {
  type AccessTokenClaims,
  type AdapterKit,
  type AdapterOptions,
  type Auth,
  adapterKit,
  answerOrThrow,
  type Gate,
  type GateOptions,
  type GateResponse,
  type GateSource,
  type IssuerProfile,
  type PolicyInput,
  routeGuard,
  splitPluginOptions,
  type VercelClaims,
} from '@oidc-gate/core'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
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
 * Options of {@link oidcGate}: `optional` and `errors` (see `AdapterOptions` of `@oidc-gate/core`).
 *
 * @example
 * ```ts
 * await app.register(oidcGate(gate, { optional: true, errors: 'framework' }))
 * ```
 */
export type OidcGateOptions = AdapterOptions

/**
 * The options of `app.register(oidcGate, options)`: the gate (`{ gate }`) or its options, plus
 * `optional` and `errors`.
 */
export type OidcGatePluginOptions = (GateOptions | { readonly gate: Gate<AnyClaims> }) & OidcGateOptions

const META = { name: '@oidc-gate/fastify', fastify: '5.x' }

// biome-ignore lint/suspicious/noExplicitAny: implementation signatures only; the overloads carry the claims type.
type AnyClaims = any

/**
 * A plugin that authenticates every request of the context it is registered in (and its children) and
 * stores the verified token in `request.auth`. Register it the Fastify way, `app.register(oidcGate,
 * options)`, or build it first, `app.register(oidcGate(gateOrOptions, options))`; the gate options are
 * validated at boot. Routes may add `config: { policy }`, compiled with the gate's claim names when the
 * route is declared. A refusal is answered at once with its status, `WWW-Authenticate` (or
 * `Retry-After`) and the JSON body `{ "error", "error_description" }`; with `errors: 'framework'` it is
 * thrown to the error handler (`setErrorHandler`). Authenticated responses get `Cache-Control: no-store`
 * unless the handler sets its own.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify'
 * import { vercel } from '@oidc-gate/core'
 * import { oidcGate } from '@oidc-gate/fastify'
 *
 * const app = Fastify()
 * await app.register(oidcGate, { issuers: [vercel({ team: 'acme', teamId: 'team_1234567890abcdefghijklmn' })] })
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
// Last: the signature TypeScript checks `app.register(oidcGate, options)` against.
export function oidcGate(instance: FastifyInstance, options: OidcGatePluginOptions): Promise<void>
export function oidcGate(
  first: FastifyInstance | Gate | GateOptions,
  options?: OidcGateOptions | OidcGatePluginOptions,
): FastifyPluginAsync | Promise<void> {
  // app.register(oidcGate, options): the kit is built inside the async setup, so that a bad option rejects
  // the registration at boot instead of throwing inside Fastify's loader.
  if (isFastify(first)) {
    return setup(first, () => adapterKit(...splitPluginOptions(options as OidcGatePluginOptions), 'fastify'))
  }
  const kit = adapterKit<AnyClaims>(first, options as OidcGateOptions, 'fastify')
  return fp(async (fastify: FastifyInstance) => setup(fastify, () => kit), META)
}
fp(oidcGate as unknown as FastifyPluginAsync, META)

async function setup(fastify: FastifyInstance, makeKit: () => AdapterKit<AnyClaims>): Promise<void> {
  const kit = makeKit()
  // Nested contexts inherit the decorator of an outer registration.
  if (!fastify.hasRequestDecorator('auth')) fastify.decorateRequest('auth', null)
  fastify.addHook('onRoute', (route) => {
    const policy = route.config?.policy
    if (policy !== undefined) route.config = { ...route.config, policy: kit.gate.compilePolicy(policy) }
  })
  fastify.addHook('onRequest', async (request, reply) => {
    kit.attach(request)
    const policy = request.routeOptions.config.policy as Parameters<typeof kit.node>[2]
    const admit = (auth: Auth | undefined) => {
      if (auth === undefined || reply.sent) return
      request.auth = auth as RequestAuth
      reply.headers(kit.headersFor(auth))
    }
    // Once a reply was sent (a hook that answered first), a refusal is neither written nor thrown.
    return kit.settle<unknown>(kit.node(request.raw, request.url, policy), admit, (error) =>
      reply.sent ? reply : send(reply, answerOrThrow(request, error)),
    )
  })
}

/**
 * A route hook (`preHandler` or `onRequest`): the verified token must also satisfy `policy`. Use it in a
 * context where `oidcGate()` is registered, and pass that gate: the policy is compiled now with the
 * gate's claim names, so a malformed policy or a misspelt claim name throws at boot (route
 * `config: { policy }` does the same). A refusal is a 403 `insufficient_scope`; a request let through
 * without credentials by `optional: true` is a 401. Refusals are answered as `oidcGate()` answers them.
 *
 * @example
 * ```ts
 * app.delete('/projects/:id', { preHandler: requirePolicy(gate, { environment: 'production' }) }, async () => null)
 * ```
 */
export function requirePolicy<C>(
  source: GateSource<C>,
  policy: PolicyInput<C>,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const check = routeGuard(source, policy)
  return async (request, reply) => {
    const answer = check(request, request.auth as Auth<C> | null)
    return answer === undefined ? undefined : send(reply, answer)
  }
}

function send(reply: FastifyReply, answer: GateResponse): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).send(answer.body)
}

const isFastify = (value: unknown): value is FastifyInstance =>
  typeof (value as FastifyInstance | null | undefined)?.addHook === 'function'
