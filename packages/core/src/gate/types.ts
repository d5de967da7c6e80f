/**
 * The public shape of a gate: its options and its methods. Built by `createGate()` (./create-gate.ts).
 */

import type { Auth } from '../auth.js'
import type { TokenCacheOptions } from '../cache.js'
import type { AccessTokenClaims, VercelClaims } from '../claims.js'
import type { GateDpopOptions } from '../dpop/sender-constraint.js'
import type { EdgeOptions, EdgeSettings } from '../edge/origin.js'
import type { GateRequest } from '../edge/request.js'
import type { EventListener } from '../events.js'
import type { IssuerProfile } from '../issuers/profile.js'
import type { KeySourceOptions } from '../keys/index.js'
import type { MockOptions } from '../mock/options.js'
import type { CompiledPolicy, Policy, PolicyDecision } from '../policy/types.js'
import type { ProtectedResourceOptions } from '../resource/options.js'
import type { ProtectedResource } from '../resource/serve.js'

/** The claims type of an issuer profile. */
export type ClaimsOf<P> = P extends IssuerProfile<infer C> ? C : never

/** A policy as JSON, or compiled once with `gate.compilePolicy()` / `compilePolicy()`. */
export type PolicyInput<C> = Policy<C> | CompiledPolicy

/** Options of {@link createGate}. */
export interface GateOptions<P extends IssuerProfile = IssuerProfile> extends EdgeOptions {
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
  /**
   * A mock mode for local development, refused (`TypeError`) when `NODE_ENV=production`:
   * `{ identity: { ...claims } }` authenticates every request as that identity, typed and checked like
   * the issuer's real claims; `'decode-only'` checks every claim of real tokens but not their signature.
   * Each `Auth` gets `mock: true`; a `mock.enabled` event is emitted at construction. Prefer a real local
   * issuer (`oidc-gate dev-issuer`). Default: none.
   */
  readonly mock?: MockOptions<ClaimsOf<P>>
  /**
   * DPoP (RFC 9449): `mode` (`'allowed'`, `'required'`, `'disabled'`), the proof algorithms,
   * `proofMaxAge`, the `replayStore` and server `nonce`s. Default `{ mode: 'allowed' }`: `cnf.jkt`-bound
   * tokens need the `DPoP` scheme and a proof, other tokens work as bearer tokens.
   */
  readonly dpop?: GateDpopOptions
  /**
   * This API as an OAuth 2 protected resource (RFC 9728), as MCP servers must be: the adapters serve
   * the metadata at `/.well-known/oauth-protected-resource` (and the path-inserted URL), challenges
   * carry `resource_metadata`, and `oidc()` issuers without `audience` expect `aud` to contain
   * `resource`. Default: none.
   */
  readonly protectedResource?: ProtectedResourceOptions
  /**
   * The separator of hierarchical scopes in policies, e.g. `':'`: a granted `files` then satisfies a
   * required `files:read` (and `files:read:own`). Applies to `scopes` and to `includes` on `scope` /
   * `scp`. Default: none, scopes compare exactly (RFC 6749 §3.3).
   */
  readonly scopeHierarchy?: string
}

/** Per-request options of {@link Gate.authenticate} and {@link Gate.verify}. */
export interface AuthenticateOptions<C> {
  /** A policy for this request, checked after the gate-wide one. Compile it once for hot routes. */
  readonly policy?: PolicyInput<C> | undefined
}

/** Options of {@link Gate.authenticate}. */
export interface AuthenticateRequestOptions<C> extends AuthenticateOptions<C> {
  /**
   * When `true`, a request without credentials (no `Authorization`, or another scheme) resolves to
   * `undefined` instead of failing; credentials that are present but bad still fail. A request that
   * also names a `policy` still needs credentials (401 without them). Default `false`.
   */
  readonly optional?: boolean | undefined
}

/**
 * A configured gate. Create one per application with {@link createGate} and share it.
 */
export interface Gate<C = VercelClaims | AccessTokenClaims> {
  /**
   * Authenticates an HTTP request built by `fromNode()` / `fromFetch()`: extracts the token, verifies it
   * and applies the policies.
   * @throws GateError (400, 401, 403 or 503, with its `WWW-Authenticate`); a `TypeError` naming the
   * mistake when `options.policy` does not compile (a misspelt claim name): the caller's bug, not a refusal.
   */
  authenticate(
    request: GateRequest,
    options?: AuthenticateRequestOptions<C> & { readonly optional?: false },
  ): Promise<Auth<C>>
  /** With `optional: true`: resolves to `undefined` for a request without credentials. */
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
   * credentials); InvalidTokenError (401) when `auth` was not produced by this gate (another middleware's
   * `req.auth`); InsufficientScopeError (403) when the policy refuses the claims; a `TypeError` naming
   * the mistake when `policy` does not compile.
   */
  authorize(auth: Auth<C> | undefined, policy: PolicyInput<C>): void
  /** Compiles a policy with this gate's claim names (typos fail here), for reuse on every request. */
  compilePolicy(policy: PolicyInput<C>, label?: string): CompiledPolicy
  /**
   * The request-edge settings (`publicOrigin`, `trustProxy`) of this gate, for `fromNode(req, gate)` and
   * `fromFetch(request, gate)`.
   */
  readonly edge: EdgeSettings
  /**
   * The protected resource of the `protectedResource` option (its metadata, URL and the answer to a
   * request for it); `undefined` without that option.
   */
  readonly protectedResource: ProtectedResource | undefined
  /**
   * The gate's clock (its `clock` option, default `Date.now`), ms since the epoch, for timers that must
   * agree with the gate on time, such as `websocketGate(gate).closeOnExpiry()`.
   */
  readonly clock: () => number
  /** Fetches every issuer's keys now, so the first request does not wait. Rejects with a `GateError` (503). */
  warmup(): Promise<void>
  /** Aborts fetches in flight and stops timers. */
  close(): void
}
