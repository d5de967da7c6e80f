/**
 * The adapter kit: everything the framework adapters share, so each of them only translates (DESIGN §1).
 * A gate from options or an instance, the adapter options, the per-request gate slot, route policies
 * compiled with the gate's claim names, and one call per request that builds the neutral request,
 * authenticates it and never throws synchronously.
 */

import type { Auth } from '../auth.js'
import { authenticatedHeaders, NO_STORE, writeAuthenticatedHeaders } from '../dpop/response-headers.js'
import { type FetchRequestLike, fromFetch } from '../edge/fetch.js'
import { fromNode, type NodeRequestLike } from '../edge/node.js'
import type { GateRequest } from '../edge/request.js'
import { type GateResponse, toResponse } from '../edge/response.js'
import { type GateError, isGateError } from '../errors.js'
import { type AuthenticateNow, authenticateNowOf } from '../gate/authenticate-now.js'
import { createGate } from '../gate/create-gate.js'
import type { Gate, GateOptions, PolicyInput } from '../gate/types.js'
import type { CompiledPolicy } from '../policy/types.js'

/** Options every adapter's `oidcGate()` takes, besides the gate. */
export interface AdapterOptions {
  /**
   * When `true`, a request without credentials passes with no `auth`; credentials that are present but
   * bad still fail. Default `false`.
   */
  readonly optional?: boolean | undefined
  /**
   * Who answers a refusal. `'respond'`: the adapter answers at once with the status, `WWW-Authenticate`
   * (and `Retry-After`) and the JSON body `{ "error", "error_description" }`, the same in every
   * framework, logging nothing. `'framework'`: the `GateError` goes to the framework's own error
   * handling (Express error middleware, Fastify `setErrorHandler`, Koa `app.on('error')` and try/catch,
   * Hono `onError`); it carries `status`, `headers` and `expose`, so the defaults still answer correctly.
   * Default `'respond'`.
   */
  readonly errors?: 'respond' | 'framework' | undefined
}

const ADAPTER_OPTIONS = ['optional', 'errors']

/** A gate, or anything that carries one (the middleware `oidcGate()` returns). */
export type GateSource<C> = Gate<C> | { readonly gate: Gate<C> }

/** What an adapter builds once, in its `oidcGate()`. */
export interface AdapterKit<C> {
  /** The gate: the one passed in, or built from the options (validated now). */
  readonly gate: Gate<C>
  /** Whether refusals go to the framework's error handling instead of being answered here. */
  readonly delegate: boolean
  /**
   * Records on the framework's request object that this adapter handled it, for `requirePolicy()` and
   * {@link answerFor} further down the chain. Only an adapter with `optional: true` or `errors:
   * 'framework'` writes anything: a request without a mark whose `auth` this gate produced went through
   * an adapter with the defaults.
   */
  attach(carrier: object): void
  /**
   * The answer to write for `error`, or `undefined` when it goes to the framework instead (with
   * `errors: 'framework'`, or when it is not a `GateError`, i.e. not a refusal but a bug). A request
   * the gate answers itself (its protected-resource metadata) is always answered here.
   */
  answer(error: unknown): GateResponse | undefined
  /** Headers of every authenticated response: `Cache-Control: no-store` (RFC 6750 §5.3). */
  readonly headers: Readonly<Record<string, string>>
  /** The headers of the response to `auth`: {@link headers}, and `DPoP-Nonce` when a new one is due. */
  headersFor(auth: Auth): Readonly<Record<string, string>>
  /**
   * Authenticates a Node request: the `Auth` itself when the answer is known at once (a cached token;
   * `undefined` for a request let through by `optional`), else a promise of it. Await it, or test for a
   * promise: an adapter that goes on synchronously spares the framework a tick on every cached request.
   * A refusal is a rejected promise with a `GateError`; a request of the gate's protected-resource
   * metadata rejects with an answer that {@link answer} turns into the 200 to write, so adapters write it
   * the way they write a refusal. Never throws.
   */
  node(req: NodeRequestLike, url?: string, policy?: CompiledPolicy): Authenticated<C>
  /** Authenticates a Fetch request, as {@link node} does. Never throws. */
  fetch(request: FetchRequestLike, policy?: CompiledPolicy): Authenticated<C>
  /**
   * For Fetch frameworks that may run on Node (Hono on @hono/node-server): authenticates Node's request
   * when the server hands it over in the framework's `env` (every raw `Authorization` line is seen, no
   * Fetch `Headers` is built), else the Fetch `Request`, which `request()` returns (asked for only then: a
   * framework may build it on first access).
   */
  either(env: NodeServerEnv | undefined, request: () => FetchRequestLike): Authenticated<C>
  /**
   * Writes {@link headersFor}(auth): on Node's response (its `writeHead` merges them under the handler's
   * own headers, and nothing is written once it was sent), or with a `set(name, value)` function.
   */
  writeHeaders(auth: Auth, target: NodeResponseHeaders | ((name: string, value: string) => unknown)): void
  /**
   * Goes on with what {@link node}, {@link fetch} or {@link either} returned: `onAuth(auth)` at once for
   * an answer known at once (a cached token), else when the promise settles, and `onRefusal(error)` for a
   * refusal. Returns what they return, or a promise of it when it had to wait.
   */
  settle<R>(
    result: Authenticated<C>,
    onAuth: (auth: Auth<C> | undefined) => R,
    onRefusal: (error: unknown) => R,
  ): R | Promise<R>
}

/**
 * What {@link AdapterKit.node} returns: the `Auth` (or `undefined`, with `optional`) when it is known at
 * once, else a promise of it.
 */
export type Authenticated<C> = Auth<C> | undefined | Promise<Auth<C> | undefined>

/**
 * The `env` a Node server gives a Fetch framework (@hono/node-server's `c.env`): Node's own request and
 * response, for {@link AdapterKit.either} and {@link AdapterKit.writeHeaders}.
 */
export interface NodeServerEnv {
  readonly incoming?: NodeRequestLike | undefined
  readonly outgoing?: NodeResponseHeaders | undefined
}

/** The part of Node's `ServerResponse` {@link AdapterKit.writeHeaders} uses. */
export interface NodeResponseHeaders {
  readonly headersSent: boolean
  setHeader(name: string, value: string): unknown
}

/**
 * Builds the shared part of an adapter from `oidcGate(gateOrOptions, options)`. Misconfiguration (a bad
 * gate option, an unknown adapter option) throws a `TypeError` now, at boot.
 *
 * @example
 * ```ts
 * const kit = adapterKit(gateOrOptions, options, 'express')
 * // A cached token goes on at once; otherwise when the verification settles.
 * kit.settle(kit.node(req, req.originalUrl), onAuth, onRefusal)
 * ```
 */
export function adapterKit<C>(
  gateOrOptions: Gate<C> | GateOptions,
  options: AdapterOptions | undefined,
  adapter: string,
): AdapterKit<C> {
  if (gateOrOptions === null || typeof gateOrOptions !== 'object') {
    throw new TypeError(`oidcGate() (${adapter}) needs a gate from createGate() or the options to build one`)
  }
  const gate = isGate<C>(gateOrOptions) ? gateOrOptions : (createGate(gateOrOptions) as unknown as Gate<C>)
  for (const key of Object.keys(options ?? {})) {
    if (!ADAPTER_OPTIONS.includes(key))
      throw new TypeError(`oidcGate() (${adapter}): unknown option "${key}"`)
  }
  const optional = options?.optional ?? false
  if (typeof optional !== 'boolean')
    throw new TypeError(`oidcGate() (${adapter}): optional must be a boolean`)
  const errors = options?.errors ?? 'respond'
  if (errors !== 'respond' && errors !== 'framework') {
    throw new TypeError(`oidcGate() (${adapter}): errors must be "respond" or "framework"`)
  }
  const plain = { optional }
  // Another gate-like object (a wrapped copy of a gate, a test double): its own `authenticate`, whatever
  // kind of promise it returns, as a native one.
  const authenticate: AuthenticateNow<C> =
    authenticateNowOf(gate) ?? ((request, opts) => Promise.resolve(gate.authenticate(request, opts ?? {})))
  const call = (request: GateRequest, policy: CompiledPolicy | undefined) =>
    authenticate(request, policy === undefined ? plain : { optional, policy })
  const delegate = errors === 'framework'
  const marks = optional || delegate
  if (marks) markingKits++
  const kit: AdapterKit<C> = {
    gate,
    delegate,
    headers: NO_STORE,
    headersFor: authenticatedHeaders,
    attach(carrier) {
      if (marks) (carrier as Carrier)[SLOT] = kit as AdapterKit<unknown>
      // An earlier adapter's mark (nested gates) must not decide how this one's refusals are answered.
      // Looked for only once some adapter marks: a missing property is a slow lookup on Express's `req`.
      else if (markingKits > 0 && (carrier as Carrier)[SLOT] !== undefined)
        (carrier as Carrier)[SLOT] = undefined
    },
    answer: (error) => {
      if (delegate) return error instanceof ServedByGate ? error.response : undefined
      return defaultAnswer(error)
    },
    node: (req, url, policy) =>
      served(gate, req.method ?? 'GET', url ?? req.url ?? '/') ?? call(fromNode(req, gate, url), policy),
    fetch: (request, policy) =>
      served(gate, request.method, request.url) ?? call(fromFetch(request, gate), policy),
    either: (env, request) =>
      env?.incoming?.rawHeaders === undefined ? kit.fetch(request()) : kit.node(env.incoming),
    settle: (result, onAuth, onRefusal) =>
      result instanceof Promise ? result.then(onAuth, onRefusal) : onAuth(result),
    writeHeaders(auth, target) {
      if (typeof target === 'function') writeAuthenticatedHeaders(auth, { setHeader: target })
      else if (!target.headersSent) writeAuthenticatedHeaders(auth, target)
    },
  }
  return kit
}

/**
 * A request the gate answers itself instead of authenticating it: its protected-resource metadata
 * (RFC 9728), public even behind a global `oidcGate()`. It leaves `node()` / `fetch()` the way refusals
 * do, so every adapter writes it with the code that writes a refusal, whatever `errors` says.
 */
class ServedByGate {
  constructor(readonly response: GateResponse) {}
}

/** The answer of an adapter with `errors: 'respond'` (the default); `undefined` for what is not a refusal. */
function defaultAnswer(error: unknown): GateResponse | undefined {
  if (error instanceof ServedByGate) return error.response
  return isGateError(error) ? toResponse(error) : undefined
}

function served<C>(gate: Gate<C>, method: string, target: string): Promise<never> | undefined {
  if (gate.protectedResource === undefined) return undefined
  const response = gate.protectedResource.respond(method, target)
  return response === undefined ? undefined : Promise.reject(new ServedByGate(response))
}

/**
 * Splits the options of a plugin registered the framework's way (`app.register(oidcGate, options)`):
 * `{ gate, optional, errors }` or the gate's own options mixed with `optional` / `errors`.
 */
export function splitPluginOptions<C>(
  options: (Partial<GateOptions> & AdapterOptions & { readonly gate?: Gate<C> }) | undefined,
): [Gate<C> | GateOptions, AdapterOptions] {
  const { gate, optional, errors, ...gateOptions } = options ?? {}
  const adapterOptions = {
    ...(optional === undefined ? {} : { optional }),
    ...(errors === undefined ? {} : { errors }),
  }
  if (gate !== undefined) {
    if (Object.keys(gateOptions).length > 0) {
      const names = Object.keys(gateOptions).join('", "')
      throw new TypeError(`oidcGate(): pass either { gate } or the gate options, not both (got "${names}")`)
    }
    return [gate, adapterOptions]
  }
  return [gateOptions as GateOptions, adapterOptions]
}

/**
 * A route policy for `requirePolicy()`, compiled now with the gate's claim names: a typo in a claim name
 * (even inside `not`, where it would otherwise make the rule always pass) throws at boot.
 *
 * @example
 * ```ts
 * const compiled = routePolicy(gate, { environment: 'production' })
 * ```
 */
export function routePolicy<C>(source: GateSource<C>, policy: PolicyInput<C>): CompiledPolicy {
  const gate = gateOf(source)
  if (gate === undefined) {
    throw new TypeError(
      'requirePolicy(gate, policy): the first argument must be the gate or the oidcGate() middleware',
    )
  }
  return gate.compilePolicy(policy)
}

function gateOf<C>(source: GateSource<C> | undefined): Gate<C> | undefined {
  if (source === null || (typeof source !== 'object' && typeof source !== 'function')) return undefined
  if (isGate<C>(source)) return source
  const inner = (source as { gate?: unknown }).gate
  return inner !== undefined && isGate<C>(inner) ? inner : undefined
}

function isGate<C>(value: unknown): value is Gate<C> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Gate<C>).authenticate === 'function' &&
    typeof (value as Gate<C>).authorize === 'function'
  )
}

// The adapter that handled a request, for `requirePolicy()` further down the chain. A symbol slot
// rather than a WeakMap: no ephemeron for the garbage collector to trace per request.
const SLOT = Symbol.for('oidc-gate.adapter')
// How many adapters built in this process mark the requests they handle.
let markingKits = 0
type Carrier = { [SLOT]?: AdapterKit<unknown> | undefined }

/**
 * The check of one route's `requirePolicy(gate, policy)`, built at boot (the policy compiled with the
 * gate's claim names). Per request it returns `undefined` when the token satisfies the policy, the
 * answer to write when it does not, and throws what goes to the framework instead (`errors:
 * 'framework'`, or a misplaced `requirePolicy()`). Every adapter's `requirePolicy()` is this check.
 *
 * @example
 * ```ts
 * const check = routeGuard(gate, { environment: 'production' })
 * const answer = check(req, req.auth) // undefined: go on
 * ```
 */
export function routeGuard<C>(
  source: GateSource<C>,
  policy: PolicyInput<C>,
): (carrier: object, auth: Auth<C> | undefined | null) => GateResponse | undefined {
  const compiled = routePolicy(source, policy)
  const gate = gateOf(source) as Gate<C>
  return (carrier, auth) => {
    try {
      authorizeRequest(carrier, gate, auth, compiled)
      return undefined
    } catch (error) {
      return answerOrThrow(carrier, error)
    }
  }
}

/**
 * Applies a route policy to a request that went through `oidcGate()`.
 * @throws GateError (401, 403); a plain `Error` naming the mistake when no `oidcGate()` ran before (no
 * `auth`, and no mark of an adapter with `optional` or `errors: 'framework'`).
 */
export function authorizeRequest<C>(
  carrier: object,
  gate: Gate<C>,
  auth: Auth<C> | undefined | null,
  policy: CompiledPolicy,
): void {
  if ((auth === undefined || auth === null) && (carrier as Carrier)[SLOT] === undefined) {
    throw new Error('requirePolicy() needs oidcGate() earlier in the chain (or the plugin in this context)')
  }
  gate.authorize(auth ?? undefined, policy)
}

/**
 * The answer to a refusal raised after `oidcGate()` (by `requirePolicy()`), written the way that
 * `oidcGate()` was told to: `undefined` when the error goes to the framework. An adapter with the
 * defaults leaves no mark (see {@link AdapterKit.attach}), and its answer is the default one.
 */
export function answerFor(carrier: object, error: unknown): GateResponse | undefined {
  const kit = (carrier as Carrier)[SLOT]
  return kit === undefined ? defaultAnswer(error) : kit.answer(error)
}

/**
 * {@link answerFor}, for adapters that hand the framework an error by throwing it: the answer to write,
 * or `error` rethrown when it goes to the framework (`errors: 'framework'`, or not a refusal). A
 * framework whose error handling wants its own error type gets a refusal as `asFrameworkError(error,
 * answer)` instead, `answer` being the one the adapter would have written (Hono's `HTTPException`).
 * @throws the `error` it was given (or what `asFrameworkError` made of it), when there is no answer to write
 */
export function answerOrThrow(
  carrier: object,
  error: unknown,
  asFrameworkError?: (error: GateError, answer: GateResponse) => unknown,
): GateResponse {
  const answer = answerFor(carrier, error)
  if (answer !== undefined) return answer
  throw asFrameworkError !== undefined && isGateError(error)
    ? asFrameworkError(error, toResponse(error))
    : error
}
