/**
 * `createGate`: options validated once, issuers and key sources built once, a per-request path that only
 * extracts, verifies and authorises.
 */

import type { Auth } from './auth.js'
import { resolveCacheOptions, TokenCache, type TokenCacheOptions } from './cache.js'
import type { AccessTokenClaims, VercelClaims } from './claims.js'
import {
  CredentialsMissingError,
  GateError,
  type GateErrorOptions,
  InsufficientScopeError,
  InvalidTokenError,
} from './errors.js'
import { type EventListener, emitter } from './events.js'
import { extractCredentials, type GateRequest } from './extract.js'
import type { IssuerProfile } from './issuers/profile.js'
import { type KeySourceOptions, RemoteKeySource, resolveKeySourceOptions } from './keys.js'
import { compilePolicy, isCompiledPolicy } from './policy/index.js'
import type { CompiledPolicy, Policy, PolicyDecision } from './policy/types.js'
import { type IssuerRuntime, verifyToken } from './verify.js'

/** The claims type of an issuer profile. */
export type ClaimsOf<P> = P extends IssuerProfile<infer C> ? C : never

/** A policy as JSON, or compiled once with `gate.compilePolicy()` / `compilePolicy()`. */
export type PolicyInput<C> = Policy<C> | CompiledPolicy

/** Options of {@link createGate}. */
export interface GateOptions<P extends IssuerProfile = IssuerProfile> {
  /** The accepted issuers, built with `vercel()` or `oidc()`. Tokens are matched to one by exact `iss`. */
  readonly issuers: readonly P[]
  /** A policy every authenticated request must satisfy (a refusal is 403). Default: none. */
  readonly policy?: PolicyInput<ClaimsOf<P>>
  /** The `realm` of `WWW-Authenticate` challenges. Default: none. */
  readonly realm?: string
  /** Allowed clock skew for `exp`, `nbf` and `iat`, seconds. Default 5. At most 300. */
  readonly clockTolerance?: number
  /** Longest accepted token, characters; checked before any decoding. Default 8192 (8 KiB). */
  readonly maxTokenLength?: number
  /** JWKS fetching and caching. */
  readonly jwks?: KeySourceOptions
  /**
   * The verified-token cache: a token verified once is not parsed nor its signature checked again until
   * it expires, its key leaves the JWKS, or `maxAge` passes; policies still run on every request.
   * `false` disables it. Default `{ maxEntries: 1000, maxAge: 600000 }`.
   */
  readonly cache?: TokenCacheOptions | false
  /** Receives structured events (verified, rejected, JWKS fetches, policy denials). Default: none. */
  readonly onEvent?: EventListener
  /** The clock, ms since the epoch, read once per request. For tests. Default `Date.now`. */
  readonly clock?: () => number
}

/** Per-request options of {@link Gate.authenticate} and {@link Gate.verify}. */
export interface AuthenticateOptions<C> {
  /** A policy for this request, checked after the gate-wide one. Compile it once for hot routes. */
  readonly policy?: PolicyInput<C> | undefined
}

/** Options of {@link Gate.authenticate}. */
export interface AuthenticateRequestOptions<C> extends AuthenticateOptions<C> {
  /**
   * When `true`, a request without bearer credentials (no `Authorization`, or another scheme) resolves
   * to `undefined` instead of failing; credentials that are present but bad still fail. A request that
   * also names a `policy` still needs credentials (401 without them). Default `false`.
   */
  readonly optional?: boolean | undefined
}

/**
 * A configured gate. Create one per application with {@link createGate} and share it.
 */
export interface Gate<C = VercelClaims | AccessTokenClaims> {
  /**
   * Authenticates an HTTP request: extracts the bearer token, verifies it and applies the policies.
   * @throws GateError (400, 401, 403 or 503, with its `WWW-Authenticate`).
   */
  authenticate(
    request: GateRequest,
    options?: AuthenticateRequestOptions<C> & { readonly optional?: false },
  ): Promise<Auth<C>>
  /** With `optional: true`: resolves to `undefined` for a request without bearer credentials. */
  authenticate(request: GateRequest, options: AuthenticateRequestOptions<C>): Promise<Auth<C> | undefined>
  /** Verifies a token that did not come in an `Authorization` header (queues, WebSockets, CLIs). */
  verify(token: string, options?: AuthenticateOptions<C>): Promise<Auth<C>>
  /**
   * Explains the decision of `policy` (default: the gate-wide policy) for a verified token: which rule
   * matched, or which rules failed and why. For logs and tools; never send it to the client.
   */
  explain(auth: Auth<C>, policy?: PolicyInput<C>): PolicyDecision
  /**
   * Applies a policy to an authenticated request, for per-route policies checked after authentication.
   * @throws CredentialsMissingError (401) when `auth` is `undefined` (optional authentication found no
   * credentials); InsufficientScopeError (403) when the policy refuses the claims.
   */
  authorize(auth: Auth<C> | undefined, policy: PolicyInput<C>): void
  /** Compiles a policy with this gate's claim names (typos fail here), for reuse on every request. */
  compilePolicy(policy: PolicyInput<C>, label?: string): CompiledPolicy
  /** Fetches every issuer's keys now, so the first request does not wait. Rejects with a `GateError` (503). */
  warmup(): Promise<void>
  /** Aborts fetches in flight and stops timers. */
  close(): void
}

const OPTIONS = [
  'issuers',
  'policy',
  'realm',
  'clockTolerance',
  'maxTokenLength',
  'jwks',
  'cache',
  'onEvent',
  'clock',
]

/**
 * Creates a gate. Every option is validated here: a mistake throws a `TypeError` naming the option.
 *
 * @example
 * ```ts
 * import { createGate, vercel } from '@oidc-gate/core'
 *
 * const gate = createGate({
 *   issuers: [vercel({ team: 'acme' })],
 *   policy: { project_id: 'prj_123', environment: ['production', 'preview'] },
 * })
 * const auth = await gate.authenticate({ method: req.method, url: req.url, headers: req.headers })
 * auth.vercel.projectId // 'prj_123'
 * ```
 */
export function createGate<P extends IssuerProfile>(options: GateOptions<P>): Gate<ClaimsOf<P>> {
  if (options === null || typeof options !== 'object')
    throw new TypeError('createGate() needs an options object')
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) throw new TypeError(`createGate(): unknown option "${key}"`)
  }
  const profiles = options.issuers
  if (!Array.isArray(profiles) || profiles.length === 0) {
    throw new TypeError('issuers must be a non-empty array of vercel() or oidc() profiles')
  }
  const clockTolerance = options.clockTolerance ?? 5
  if (typeof clockTolerance !== 'number' || !(clockTolerance >= 0 && clockTolerance <= 300)) {
    throw new TypeError('clockTolerance must be a number of seconds between 0 and 300')
  }
  const maxTokenLength = options.maxTokenLength ?? 8192
  if (!Number.isInteger(maxTokenLength) || maxTokenLength < 256 || maxTokenLength > 1_048_576) {
    throw new TypeError('maxTokenLength must be an integer between 256 and 1048576')
  }
  if (
    options.realm !== undefined &&
    (typeof options.realm !== 'string' || !/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(options.realm))
  ) {
    throw new TypeError('realm must be a string of printable ASCII without quotes or backslashes')
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw new TypeError('onEvent must be a function')
  }
  if (options.clock !== undefined && typeof options.clock !== 'function')
    throw new TypeError('clock must be a function')
  const clock = options.clock ?? Date.now
  const emit = emitter(options.onEvent)
  const listening = options.onEvent !== undefined
  const keyOptions = resolveKeySourceOptions(options.jwks)
  // Node loads its fetch implementation on first use (~30 ms); touching one of its classes loads it now,
  // at boot, instead of in the first request's JWKS fetch.
  void globalThis.Response
  const errorOptions: GateErrorOptions = { realm: options.realm }

  // One key source per JWKS URL, one runtime per accepted `iss`.
  const sources = new Map<string, RemoteKeySource>()
  const issuers = new Map<string, IssuerRuntime>()
  for (const [index, profile] of profiles.entries()) {
    if (profile === null || typeof profile !== 'object' || !Array.isArray(profile.targets)) {
      throw new TypeError(`issuers[${index}] must be built with vercel() or oidc()`)
    }
    for (const target of profile.targets) {
      if (issuers.has(target.issuer))
        throw new TypeError(`issuers[${index}]: issuer ${target.issuer} is configured twice`)
      // Targets of one profile share configured keys; a fetched JWKS is shared by URL.
      const sourceKey = target.initialKeys === undefined ? target.jwksUri : `${index} ${target.jwksUri}`
      let keys = sources.get(sourceKey)
      if (keys === undefined) {
        keys = new RemoteKeySource(
          target.jwksUri,
          profile.algorithms,
          keyOptions,
          emit,
          clock,
          target.initialKeys,
        )
        sources.set(sourceKey, keys)
      }
      issuers.set(target.issuer, { profile, target, keys })
    }
  }

  // Policies are checked against the claim names of the profiles when every profile has a closed set.
  const closed = profiles.every((p) => p.claimNames !== undefined)
  const claimNames = closed ? [...new Set(profiles.flatMap((p) => p.claimNames ?? []))] : undefined
  const vercelOnly = profiles.every((p) => p.profile === 'vercel')
  const compile = (policy: PolicyInput<ClaimsOf<P>>, label: string): CompiledPolicy => {
    if (isCompiledPolicy(policy)) return policy
    const compiled = compilePolicy(policy as Policy, {
      label,
      ...(claimNames === undefined ? {} : { claimNames }),
      ...(vercelOnly ? { profile: 'vercel' as const } : {}),
    })
    for (const message of compiled.warnings) emit({ type: 'policy.warning', message })
    return compiled
  }
  const gatePolicy = options.policy === undefined ? undefined : compile(options.policy, 'policy')
  // Per-request JSON policies are compiled once and remembered by identity.
  const compiledByObject = new WeakMap<object, CompiledPolicy>()
  const requestPolicy = (policy: PolicyInput<ClaimsOf<P>> | undefined): CompiledPolicy | undefined => {
    if (policy === undefined || isCompiledPolicy(policy)) return policy
    let compiled = compiledByObject.get(policy)
    if (compiled === undefined) {
      compiled = compile(policy, 'route policy')
      compiledByObject.set(policy, compiled)
    }
    return compiled
  }

  const context = { issuers, clockTolerance, maxTokenLength }
  const cacheOptions = resolveCacheOptions(options.cache)
  const cache = cacheOptions === undefined ? undefined : new TokenCache(cacheOptions)

  const authorize = (auth: Auth, policy: CompiledPolicy | undefined): void => {
    if (policy === undefined || policy.test(auth.claims as unknown as Record<string, unknown>)) return
    const decision = policy.explain(auth.claims as unknown as Record<string, unknown>)
    emit({
      type: 'policy.denied',
      issuer: auth.issuer,
      sub: auth.claims.sub,
      failures: decision.failures.map((f) => f.message),
    })
    throw new InsufficientScopeError(decision.missingScopes, errorOptions)
  }

  const admit = (auth: Auth, policy: CompiledPolicy | undefined, cached: boolean): Auth<ClaimsOf<P>> => {
    authorize(auth, gatePolicy)
    authorize(auth, policy)
    if (listening)
      emit({ type: 'verified', issuer: auth.issuer, kid: auth.header.kid, sub: auth.claims.sub, cached })
    return auth as Auth<ClaimsOf<P>>
  }

  const verifyAndAdmit = async (
    token: string,
    policy: CompiledPolicy | undefined,
    now: number,
  ): Promise<Auth<ClaimsOf<P>>> => {
    try {
      const verified = await verifyToken(token, context, now)
      cache?.set(token, verified, now)
      return admit(verified.auth, policy, false)
    } catch (caught) {
      return fail(caught)
    }
  }

  // A cache hit is answered without an async function or a second promise: the common case of a
  // function reusing its token costs a Map lookup and the policies.
  const run = (
    token: string,
    perRequest: AuthenticateOptions<ClaimsOf<P>> | undefined,
  ): Promise<Auth<ClaimsOf<P>>> => {
    let policy: CompiledPolicy | undefined
    let now: number
    try {
      policy = requestPolicy(perRequest?.policy)
      now = clock()
      const hit = cache?.get(token, now)
      if (hit !== undefined) return Promise.resolve(admit(hit.auth, policy, true))
    } catch (caught) {
      return rejected(caught)
    }
    return verifyAndAdmit(token, policy, now)
  }

  const rejected = (caught: unknown): Promise<never> => {
    try {
      return fail(caught)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  const fail = (caught: unknown): never => {
    // Anything unexpected on the request path is still a refusal, never a crash.
    const error =
      caught instanceof GateError
        ? caught
        : new InvalidTokenError('verification-failed', 'token could not be verified', { cause: caught })
    error.realm = options.realm
    emit({ type: 'rejected', code: error.code, status: error.status, reason: error.reason })
    throw error
  }

  const gate: Gate<ClaimsOf<P>> = {
    // The overloads of `Gate.authenticate` narrow the result on `optional`.
    authenticate: ((request: GateRequest, opts?: AuthenticateRequestOptions<ClaimsOf<P>>) => {
      let token: string
      try {
        token = extractCredentials(request, maxTokenLength, errorOptions).token
      } catch (error) {
        // Optional authentication lets anonymous requests through, unless this request needs a policy.
        if (
          opts?.optional === true &&
          opts.policy === undefined &&
          error instanceof CredentialsMissingError
        ) {
          return Promise.resolve(undefined)
        }
        return rejected(error)
      }
      return run(token, opts)
    }) as Gate<ClaimsOf<P>>['authenticate'],
    verify(token: string, opts?: AuthenticateOptions<ClaimsOf<P>>) {
      return run(token, opts)
    },
    explain(auth: Auth<ClaimsOf<P>>, policy?: PolicyInput<ClaimsOf<P>>): PolicyDecision {
      const compiled = policy === undefined ? gatePolicy : requestPolicy(policy)
      if (compiled === undefined) return { allowed: true, failures: [], missingScopes: [] }
      return compiled.explain(auth.claims as unknown as Record<string, unknown>)
    },
    authorize(auth: Auth<ClaimsOf<P>> | undefined, policy: PolicyInput<ClaimsOf<P>>): void {
      try {
        if (auth === undefined) throw new CredentialsMissingError('missing', errorOptions)
        authorize(auth as Auth, requestPolicy(policy))
      } catch (caught) {
        fail(caught)
      }
    },
    compilePolicy(policy: PolicyInput<ClaimsOf<P>>, label = 'route policy'): CompiledPolicy {
      return compile(policy, label)
    },
    async warmup(): Promise<void> {
      try {
        await Promise.all([...sources.values()].map((s) => s.warmup()))
      } catch (error) {
        if (error instanceof GateError) error.realm = options.realm
        throw error
      }
    },
    close(): void {
      for (const source of sources.values()) source.close()
    },
  }
  return Object.freeze(gate)
}
