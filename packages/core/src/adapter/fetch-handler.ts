/**
 * Fetch-style handlers, for runtimes with no framework: Next.js App Router route handlers, `Bun.serve`,
 * `Deno.serve`, a Workers module's `fetch`. `protect()` is an adapter like the four framework ones, over
 * the same kit (./kit.ts): the same refusals, the same `optional`, `errors` and route policies.
 */

import type { Auth } from '../auth.js'
import type { FetchRequestLike } from '../edge/fetch.js'
import type { ClaimsOf, Gate, GateOptions, PolicyInput } from '../gate/types.js'
import type { IssuerProfile } from '../issuers/profile.js'
import { type AdapterKit, type AdapterOptions, adapterKit } from './kit.js'

/**
 * Options of {@link protect}: `optional` and `errors` as for the framework adapters, and a `policy`.
 *
 * @example
 * ```ts
 * protect(gate, handler, { optional: true, policy: { environment: 'production' } })
 * ```
 */
export interface ProtectOptions<C> extends AdapterOptions {
  /**
   * A policy this handler's requests must satisfy besides the gate-wide one (a refusal is 403). Compiled
   * now with the gate's claim names: a misspelt claim throws at boot. A request without credentials is
   * refused (401) even with `optional: true`. Default: none.
   */
  readonly policy?: PolicyInput<C> | undefined
}

/**
 * A handler {@link protect} wraps: the request, the verified `auth`, then what the runtime passes.
 *
 * @example
 * ```ts
 * const handler: ProtectedHandler<Request, VercelAuth, [Env, ExecutionContext]> = (request, auth, env) =>
 *   Response.json({ project: auth.vercel.projectId })
 * ```
 */
export type ProtectedHandler<R, A, Rest extends unknown[]> = (
  request: R,
  auth: A,
  ...rest: Rest
) => Response | Promise<Response>

/**
 * What {@link protect} returns: a handler with the runtime's signature, plus its gate.
 *
 * @example
 * ```ts
 * const fetch: FetchHandler<Request, [], VercelClaims> = protect(gate, handler)
 * Bun.serve({ fetch })
 * fetch.gate.close()
 * ```
 */
export type FetchHandler<R, Rest extends unknown[], C> = ((
  request: R,
  ...rest: Rest
) => Promise<Response>) & {
  /** The gate this handler authenticates with. */
  readonly gate: Gate<C>
}

// biome-ignore lint/suspicious/noExplicitAny: implementation signature only; the overloads carry the types.
type AnyClaims = any

/**
 * Protects a Fetch handler: authenticates each request, then calls `handler(request, auth, ...rest)`
 * with the verified token. A refusal is answered with the status, `WWW-Authenticate` (and `Retry-After`)
 * and the JSON body `{ "error", "error_description" }` the framework adapters send; with
 * `errors: 'framework'` the returned handler rejects with the `GateError` instead, for a router of your
 * own. Authenticated responses get `Cache-Control: no-store` unless the handler set one (a `101` upgrade
 * is left untouched). Takes a gate from `createGate()` or the options to build one (validated now).
 *
 * @example
 * ```ts
 * // app/api/whoami/route.ts (Next.js App Router on Vercel)
 * import { createGate, protect, vercel } from '@oidc-gate/core'
 *
 * const gate = createGate({ issuers: [vercel({ team: 'acme', teamId: 'team_1234567890abcdefghijklmn' })] })
 * export const GET = protect(gate, (request, auth) => Response.json({ project: auth.vercel.projectId }))
 *
 * // Bun.serve({ fetch: protect(gate, handler) }) · Deno.serve(protect(gate, handler))
 * // export default { fetch: protect(gate, (request, auth, env, ctx) => …) } on Workers
 * ```
 */
export function protect<C, R extends FetchRequestLike = Request, Rest extends unknown[] = []>(
  gate: Gate<C>,
  handler: ProtectedHandler<R, Auth<C>, Rest>,
  options?: ProtectOptions<C> & { readonly optional?: false | undefined },
): FetchHandler<R, Rest, C>
/** With `optional: true` (or a boolean): `auth` is `undefined` for a request without credentials. */
export function protect<C, R extends FetchRequestLike = Request, Rest extends unknown[] = []>(
  gate: Gate<C>,
  handler: ProtectedHandler<R, Auth<C> | undefined, Rest>,
  options: ProtectOptions<C>,
): FetchHandler<R, Rest, C>
/** With the options of a gate to build. */
export function protect<
  P extends IssuerProfile,
  R extends FetchRequestLike = Request,
  Rest extends unknown[] = [],
>(
  gateOptions: GateOptions<P>,
  handler: ProtectedHandler<R, Auth<ClaimsOf<P>>, Rest>,
  options?: ProtectOptions<ClaimsOf<P>> & { readonly optional?: false | undefined },
): FetchHandler<R, Rest, ClaimsOf<P>>
/** With the options of a gate to build, and `optional: true` (or a boolean). */
export function protect<
  P extends IssuerProfile,
  R extends FetchRequestLike = Request,
  Rest extends unknown[] = [],
>(
  gateOptions: GateOptions<P>,
  handler: ProtectedHandler<R, Auth<ClaimsOf<P>> | undefined, Rest>,
  options: ProtectOptions<ClaimsOf<P>>,
): FetchHandler<R, Rest, ClaimsOf<P>>
export function protect(
  gateOrOptions: Gate<AnyClaims> | GateOptions,
  handler: ProtectedHandler<AnyClaims, AnyClaims, AnyClaims[]>,
  options?: ProtectOptions<AnyClaims>,
): FetchHandler<AnyClaims, AnyClaims[], AnyClaims> {
  const { policy, ...adapterOptions } = options ?? {}
  const kit = adapterKit<AnyClaims>(gateOrOptions, adapterOptions, 'protect')
  if (typeof handler !== 'function') throw new TypeError('protect(gate, handler): handler must be a function')
  const compiled = policy === undefined ? undefined : kit.gate.compilePolicy(policy, 'route policy')
  const protectedHandler = async (request: FetchRequestLike, ...rest: unknown[]): Promise<Response> => {
    let auth: Auth | undefined
    try {
      auth = await kit.fetch(request, compiled)
    } catch (error) {
      return refuse(kit, error)
    }
    const response = await handler(request, auth, ...rest)
    return auth === undefined ? response : withHeaders(response, kit.headersFor(auth))
  }
  return Object.assign(protectedHandler, { gate: kit.gate })
}

/** The core's answer as a `Response`; anything that is not a refusal (or `errors: 'framework'`) rethrown. */
function refuse(kit: AdapterKit<unknown>, error: unknown): Response {
  const answer = kit.answer(error)
  if (answer === undefined) throw error
  // An empty answer (HEAD, a preflight) has no body: a 204 must not be built with one.
  return new Response(answer.body === '' ? null : answer.body, answer)
}

/**
 * `headers` added to an authenticated response where the handler set none of them. A response with
 * immutable headers (`Response.redirect()`, a `fetch()` response passed through) is copied; a `101`
 * (a WebSocket upgrade in Deno, Bun or Workers) is never touched, since a copy would lose the socket.
 */
function withHeaders(response: Response, headers: Readonly<Record<string, string>>): Response {
  if (response.status === 101) return response
  let result = response
  for (const name in headers) {
    if (result.headers.has(name)) continue
    try {
      result.headers.set(name, headers[name] as string)
    } catch {
      result = new Response(result.body, result)
      result.headers.set(name, headers[name] as string)
    }
  }
  return result
}
