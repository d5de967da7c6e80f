/**
 * The per-request path of a gate (SECURITY §1): credentials → verified token (from the cache, or
 * parsed, keyed and signature-checked) → sender constraint → policies → admitted. Every failure leaves
 * as a `GateError` with the gate's challenge settings; nothing unexpected becomes a crash.
 */

import type { Auth } from '../auth.js'
import { producerOf } from '../auth-stamp.js'
import type { TokenCache } from '../cache.js'
import type { GateDpop } from '../dpop/sender-constraint.js'
import type { GateRequest } from '../edge/request.js'
import { GateError, type GateErrorOptions, InvalidTokenError } from '../errors.js'
import type { EventListener } from '../events.js'
import { type Credentials, checkTokenGrammar } from '../extract.js'
import type { CompiledPolicy } from '../policy/types.js'
import { type VerifyContext, verifyToken } from '../verify.js'
import type { GatePolicies } from './policies.js'

/** What the pipeline needs from the gate. */
export interface PipelineContext {
  readonly verify: VerifyContext
  readonly cache: TokenCache | undefined
  readonly policies: GatePolicies
  readonly clock: () => number
  readonly emit: EventListener
  /** Whether anyone listens now (`onEvent`, a diagnostics subscriber): only then is `verified` built. */
  readonly listening: () => boolean
  readonly challenge: GateErrorOptions
  /** The sender-constraint step: bearer tokens, DPoP proofs (SECURITY §1 step 8). */
  readonly dpop: GateDpop
  /** A mock mode (../mock/): builds the `Auth` in place of `verifyToken`; the gate then caches nothing. */
  readonly mock?: typeof verifyToken | undefined
}

/** The steps of one request, shared by `authenticate()`, `verify()` and `authorize()`. */
export interface Pipeline {
  /**
   * Verifies and admits `credentials`. A cache hit is answered without an async function or a second
   * promise: the common case of a function reusing its token costs a Map lookup and the policies.
   * `grammar`: credentials read from a request, whose b64token grammar is checked on a cache miss (a
   * cached token passed it when it was verified).
   */
  run(
    credentials: Credentials,
    request: GateRequest | undefined,
    policy: unknown,
    grammar?: boolean,
  ): Promise<Auth>
  /**
   * {@link run}, answering a cache hit with the `Auth` itself rather than a promise of it; anything else
   * (a verification, a refusal) is the promise `run` returns. Never throws.
   */
  runNow(
    credentials: Credentials,
    request: GateRequest | undefined,
    policy: unknown,
    grammar?: boolean,
  ): Auth | Promise<Auth>
  /** Whether `auth` was produced by this gate (not set on the request by another middleware). */
  produced(auth: Auth): boolean
  /** Turns anything thrown on the request path into a `GateError` carrying the gate's challenge. */
  fail(caught: unknown): never
  /** {@link fail} as a rejected promise. */
  rejected(caught: unknown): Promise<never>
}

/** Builds the request path of a gate. */
export function createPipeline(ctx: PipelineContext): Pipeline {
  const { cache, policies, clock, emit, listening } = ctx

  const admit = (auth: Auth, policy: CompiledPolicy | undefined, cached: boolean): Auth => {
    policies.enforce(auth, policies.gate, policy)
    policies.enforce(auth, policy)
    if (listening())
      emit({ type: 'verified', issuer: auth.issuer, kid: auth.header.kid, sub: auth.claims.sub, cached })
    return auth
  }

  const verifyAndAdmit = async (
    credentials: Credentials,
    request: GateRequest | undefined,
    policy: CompiledPolicy | undefined,
    now: number,
  ): Promise<Auth> => {
    try {
      // Both steps are synchronous in the common case (key cached, bearer token): no await, no extra tick.
      const result = (ctx.mock ?? verifyToken)(credentials.token, ctx.verify, now)
      const verified = result instanceof Promise ? await result : result
      cache?.set(credentials.token, verified, now)
      const bound = ctx.dpop.constrain(verified.auth, credentials, request, now)
      const constrained = bound instanceof Promise ? await bound : bound
      return admit(constrained, policy, false)
    } catch (caught) {
      return fail(caught)
    }
  }

  const fail = (caught: unknown): never => {
    // Anything unexpected on the request path is still a refusal, never a crash.
    const error =
      caught instanceof GateError
        ? caught
        : new InvalidTokenError('verification-failed', 'token could not be verified', { cause: caught })
    error.challenge = ctx.challenge
    emit({ type: 'rejected', code: error.code, status: error.status, reason: error.reason })
    throw error
  }

  const rejected = (caught: unknown): Promise<never> => {
    try {
      return fail(caught)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  const runNow: Pipeline['runNow'] = (credentials, request, perRequest, grammar) => {
    let policy: CompiledPolicy | undefined
    let now: number
    try {
      policy = policies.forRequest(perRequest as CompiledPolicy | undefined)
    } catch (mistake) {
      // A per-request policy that does not compile is the caller's mistake, not the token's: it leaves
      // as the `TypeError` naming it (through an adapter, the framework's 500), never as a 401.
      return Promise.reject(mistake)
    }
    try {
      now = clock()
      const hit = cache?.get(credentials.token, now)
      if (hit !== undefined) {
        // The cache holds the token's verification, never a proof: the sender constraint runs again.
        const constrained = ctx.dpop.constrain(hit.auth, credentials, request, now)
        if (constrained === hit.auth) return admit(hit.auth, policy, true)
        return Promise.resolve(constrained).then((auth) => admit(auth, policy, true), rejected)
      }
      if (grammar === true) checkTokenGrammar(credentials.token, ctx.challenge)
    } catch (caught) {
      return rejected(caught)
    }
    return verifyAndAdmit(credentials, request, policy, now)
  }

  return {
    run: (credentials, request, policy, grammar) => promised(runNow(credentials, request, policy, grammar)),
    runNow,
    // Every `Auth` of this gate is stamped with its verification context (../auth-stamp.ts).
    produced: (auth) => producerOf(auth) === ctx.verify,
    fail,
    rejected,
  }
}

/** `value` as a promise: itself when it is one. */
export function promised<T>(value: T | Promise<T>): Promise<T> {
  return value instanceof Promise ? value : Promise.resolve(value)
}
