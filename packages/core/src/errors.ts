/**
 * The `GateError` family: every refusal of a request, with its HTTP form (RFC 6750 §3, RFC 9110).
 *
 * Each error carries `status`/`statusCode`, `headers` (with `WWW-Authenticate`) and `expose: true`, so the
 * default error handlers of Express, Fastify and Koa answer correctly without extra code. Descriptions
 * name the failed check only: never the token, a key or an expected value.
 */

/** Stable error codes. They never change between releases. */
export type GateErrorCode =
  | 'ERR_CREDENTIALS_MISSING'
  | 'ERR_INVALID_REQUEST'
  | 'ERR_INVALID_TOKEN'
  | 'ERR_INSUFFICIENT_SCOPE'
  | 'ERR_KEYS_UNAVAILABLE'
  | 'ERR_INVALID_DPOP_PROOF'
  | 'ERR_USE_DPOP_NONCE'
  | 'ERR_REPLAY_STORE_UNAVAILABLE'

/** Why a request carried no usable credentials (401 with a bare challenge). */
export type CredentialsReason = 'missing' | 'unsupported-scheme'

/** Why a request was malformed (400 `invalid_request`). */
export type RequestReason =
  | 'multiple-authorization'
  | 'missing-token'
  | 'malformed-credentials'
  | 'multiple-methods'
  | 'malformed-host'
  | 'multiple-dpop'
  /** A WebSocket upgrade's `Sec-WebSocket-Protocol` that cannot be used (see `websocketGate()`). */
  | 'websocket-protocol'

/** The claims the built-in profiles check by name: their names are the `reason` of such a refusal. */
export const CLAIM_REASONS = [
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'nbf',
  'lifetime',
  'act',
  'cnf',
  'jti',
  'client_id',
  'auth_time',
  'acr',
  'amr',
  'groups',
  'roles',
  'entitlements',
  'scope',
  'scp',
  'owner',
  'owner_id',
  'project',
  'project_id',
  'environment',
  'user_id',
  'plan',
  'custom_environment_id',
] as const

/**
 * Which claim check failed: the claim's name for the claims the built-in profiles check, else
 * `required-claim` (a claim named in `oidc({ requiredClaims })`).
 */
export type ClaimReason = (typeof CLAIM_REASONS)[number] | 'required-claim'

/** Why a token was refused (401 `invalid_token`). */
export type TokenReason =
  | 'malformed'
  | 'token-size'
  | 'duplicate-member'
  | 'alg'
  | 'typ'
  | 'crit'
  | 'b64'
  | 'cty'
  | 'kid'
  | 'signature'
  | 'verification-failed'
  /** The `auth` handed to `gate.authorize()` was not produced by this gate. */
  | 'foreign-auth'
  | ClaimReason

/**
 * The failed check of a refusal, a short stable identifier for logs and metrics: the `reason` of every
 * `GateError`.
 */
export type GateErrorReason =
  | CredentialsReason
  | RequestReason
  | TokenReason
  | 'policy'
  | 'jwks-unavailable'
  | DpopReason

/** An authentication scheme the gate can answer a challenge for. */
export type AuthScheme = 'Bearer' | 'DPoP'

/**
 * How a refusal's `WWW-Authenticate` is written: which schemes are challenged and with what parameters.
 * The gate fills it from its own options before an error leaves it.
 */
export interface ChallengeOptions {
  /** The `realm` auth-param of every challenge. Default: none. */
  readonly realm?: string | undefined
  /**
   * When set, a `DPoP` challenge with `algs="…"` is written beside the `Bearer` one (RFC 9449 §7.1);
   * with `dpopOnly`, it replaces it. Default: none (Bearer only).
   */
  readonly dpopAlgorithms?: readonly string[] | undefined
  /** Only the `DPoP` scheme is accepted (`dpop: { mode: 'required' }`). Default `false`. */
  readonly dpopOnly?: boolean | undefined
  /** The RFC 9728 protected-resource metadata URL, as `resource_metadata="…"`. Default: none. */
  readonly resourceMetadata?: string | undefined
}

/** Options shared by every `GateError`. */
export interface GateErrorOptions extends ChallengeOptions {
  /** The underlying error, for logs. Never part of the HTTP response. */
  readonly cause?: unknown
}

/**
 * Base class of every error the gate throws for a refused request.
 *
 * @example
 * ```ts
 * try {
 *   await gate.authenticate(request)
 * } catch (error) {
 *   if (error instanceof GateError) return new Response(null, { status: error.status, headers: error.headers })
 *   throw error
 * }
 * ```
 */
export abstract class GateError extends Error {
  /**
   * `error instanceof GateError` holds across copies of this package (two versions installed side by side,
   * or a bundled and an external copy): errors carry a global brand. Subclasses keep ordinary `instanceof`.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // `this` is the class on the right of `instanceof`: only GateError itself trusts the brand.
    // biome-ignore lint/complexity/noThisInStatic: subclasses inherit this method, `this` tells them apart.
    if (this === GateError) return isGateError(value)
    // biome-ignore lint/complexity/noThisInStatic: the ordinary prototype check for subclasses.
    return Function.prototype[Symbol.hasInstance].call(this, value)
  }

  /** Stable, machine-readable code. */
  abstract readonly code: GateErrorCode
  /** HTTP status code of the answer. */
  abstract readonly status: number
  /**
   * Which check failed, as a short stable identifier (`exp`, `aud`, `signature`, `multiple-authorization`,
   * …). Suitable for logs and metrics.
   */
  readonly reason: GateErrorReason
  /** The RFC 6750 / RFC 9449 `error` code, if the challenge carries one. */
  readonly error: string | undefined
  /** The scheme whose challenge carries the error code. Default `Bearer`. */
  readonly scheme: AuthScheme = 'Bearer'
  /**
   * How the challenge is written (realm, DPoP, resource metadata); the gate sets it from its options.
   * Kept as one object so the gate can attach it without copying the error.
   */
  challenge: ChallengeOptions
  /** Frameworks that look at `expose` show the message to the client: it holds no secrets. */
  readonly expose = true

  protected constructor(
    message: string,
    reason: GateErrorReason,
    error: string | undefined,
    options: GateErrorOptions | undefined,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    Object.defineProperty(this, BRAND, { value: true })
    this.reason = reason
    this.error = error
    this.challenge = options ?? NO_CHALLENGE_OPTIONS
  }

  /** The `realm` of the challenge; the gate sets it from its `realm` option. */
  get realm(): string | undefined {
    return this.challenge.realm
  }
  set realm(realm: string | undefined) {
    this.challenge = { ...this.challenge, realm }
  }

  /** Alias of `status`, for frameworks that read `statusCode`. */
  get statusCode(): number {
    return this.status
  }

  /**
   * Response headers: `WWW-Authenticate` (RFC 6750 §3, RFC 9449 §7.1), `Retry-After` for 503, and
   * whatever a subclass adds (`DPoP-Nonce`).
   */
  get headers(): Record<string, string> {
    return { 'www-authenticate': this.renderChallenge() }
  }

  /** The scopes a 403 names in `scope="…"`. */
  protected challengeScope(): readonly string[] {
    return []
  }

  /**
   * One challenge per accepted scheme; the error code goes in the challenge of the scheme it concerns
   * (RFC 9449 §7.1), the other scheme gets a bare challenge.
   */
  private renderChallenge(): string {
    const { realm, dpopAlgorithms, dpopOnly, resourceMetadata } = this.challenge
    const common: string[] = []
    if (realm !== undefined) common.push(`realm="${sanitize(realm)}"`)
    const errorParams: string[] = []
    if (this.error !== undefined) {
      errorParams.push(`error="${this.error}"`, `error_description="${sanitize(this.message)}"`)
    }
    const scope = this.challengeScope()
    if (scope.length > 0) errorParams.push(`scope="${sanitize(scope.join(' '))}"`)
    const tail = resourceMetadata === undefined ? [] : [`resource_metadata="${sanitize(resourceMetadata)}"`]
    const render = (scheme: AuthScheme, extra: readonly string[]): string => {
      const own = scheme === this.scheme || dpopOnly === true ? errorParams : []
      const params = [...common, ...own, ...extra, ...tail]
      return params.length === 0 ? scheme : `${scheme} ${params.join(', ')}`
    }
    if (dpopAlgorithms === undefined) return render('Bearer', [])
    const dpop = render('DPoP', [`algs="${sanitize(dpopAlgorithms.join(' '))}"`])
    return dpopOnly === true ? dpop : `${render('Bearer', [])}, ${dpop}`
  }
}

const NO_CHALLENGE_OPTIONS: ChallengeOptions = Object.freeze({})

/**
 * No credentials, or a scheme the gate does not accept (e.g. `Basic`): 401 with a bare challenge
 * (RFC 6750 §3.1 says such a response should carry no error code).
 */
export class CredentialsMissingError extends GateError {
  readonly code = 'ERR_CREDENTIALS_MISSING'
  readonly status = 401
  constructor(reason: CredentialsReason = 'missing', options?: GateErrorOptions) {
    super('authentication required', reason, undefined, options)
  }
}

/** A malformed request (RFC 6750 `invalid_request`): 400. */
export class InvalidRequestError extends GateError {
  readonly code = 'ERR_INVALID_REQUEST'
  readonly status = 400
  constructor(reason: RequestReason, description: string, options?: GateErrorOptions) {
    super(description, reason, 'invalid_request', options)
  }
}

/** The token is not acceptable (RFC 6750 `invalid_token`): 401. */
export class InvalidTokenError extends GateError {
  readonly code = 'ERR_INVALID_TOKEN'
  readonly status = 401
  constructor(reason: TokenReason, description: string, options?: GateErrorOptions) {
    super(description, reason, 'invalid_token', options)
  }
}

/** A valid token that a policy refuses (RFC 6750 `insufficient_scope`): 403. */
export class InsufficientScopeError extends GateError {
  readonly code = 'ERR_INSUFFICIENT_SCOPE'
  readonly status = 403
  /** The scopes the refused rule asked for, if it was about scopes. */
  readonly scope: readonly string[]
  constructor(scope: readonly string[] = [], options?: GateErrorOptions) {
    super('the token does not grant access to this resource', 'policy', 'insufficient_scope', options)
    this.scope = scope
  }

  protected override challengeScope(): readonly string[] {
    return this.scope
  }
}

/** No key could be obtained for the token's issuer (JWKS down and nothing cached): 503 with `Retry-After`. */
export class KeysUnavailableError extends GateError {
  readonly code = 'ERR_KEYS_UNAVAILABLE'
  readonly status = 503
  /** Seconds after which a retry may succeed. */
  readonly retryAfter: number
  constructor(retryAfter: number, options?: GateErrorOptions) {
    super('signing keys are unavailable', 'jwks-unavailable', undefined, options)
    this.retryAfter = retryAfter
  }

  override get headers(): Record<string, string> {
    return { 'retry-after': String(this.retryAfter) }
  }
}

const BRAND = Symbol.for('oidc-gate.GateError')

/**
 * Whether `value` is a {@link GateError}, from this copy of the package or another one.
 *
 * @example
 * ```ts
 * if (isGateError(error)) return new Response(null, { status: error.status, headers: error.headers })
 * ```
 */
export function isGateError(value: unknown): value is GateError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true
}

/** Quoted auth-param values allow `%x20-21 / %x23-5B / %x5D-7E` only (RFC 6750 §3): replace the rest. */
function sanitize(value: string): string {
  let out = ''
  for (let i = 0; i < value.length && out.length < 200; i++) {
    const c = value.charCodeAt(i)
    out += c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c ? value[i] : '_'
  }
  return out
}

/** Which DPoP check failed (RFC 9449 §4.3, §8, §11.1): the `reason` of the DPoP errors below. */
export type DpopReason =
  /** The `DPoP` scheme was used without a `DPoP` header. */
  | 'dpop-missing'
  /** More than 4 KiB. */
  | 'dpop-size'
  /** Not one compact JWS with strict base64url, UTF-8 and JSON. */
  | 'dpop-malformed'
  | 'dpop-typ'
  | 'dpop-alg'
  /** Another header member is unacceptable (`crit`, `b64`, …). */
  | 'dpop-header'
  /** The `jwk` header is missing, private, symmetric, weak or does not fit `alg`. */
  | 'dpop-jwk'
  | 'dpop-signature'
  | 'dpop-jti'
  | 'dpop-htm'
  | 'dpop-htu'
  | 'dpop-iat'
  | 'dpop-ath'
  /** No `nonce`, or one this server did not issue recently (answered as `use_dpop_nonce`). */
  | 'dpop-nonce'
  /** The proof's `jti` was already used with this key. */
  | 'dpop-replay'
  /** The replay store could not answer (503). */
  | 'replay-store-unavailable'

/** The DPoP proof is not acceptable (RFC 9449 §7.1 `invalid_dpop_proof`): 401 with a `DPoP` challenge. */
export class InvalidDpopProofError extends GateError {
  readonly code = 'ERR_INVALID_DPOP_PROOF'
  readonly status = 401
  override readonly scheme: AuthScheme = 'DPoP'
  constructor(reason: DpopReason, description: string, options?: GateErrorOptions) {
    super(description, reason, 'invalid_dpop_proof', options)
  }
}

/**
 * The token's `cnf.jkt` is not the thumbprint of the proof key (RFC 9449 §7.1: `invalid_token` in the
 * `DPoP` challenge, reason `cnf`): 401.
 */
export class DpopBindingError extends InvalidTokenError {
  override readonly scheme: AuthScheme = 'DPoP'
  constructor(options?: GateErrorOptions, description = 'DPoP key binding mismatch') {
    super('cnf', description, options)
  }
}

/**
 * The proof lacks a nonce this server issued recently (RFC 9449 §9 `use_dpop_nonce`): 401 with a fresh
 * nonce in `DPoP-Nonce` for the client's next proof.
 */
export class UseDpopNonceError extends GateError {
  readonly code = 'ERR_USE_DPOP_NONCE'
  readonly status = 401
  override readonly scheme: AuthScheme = 'DPoP'
  /** The nonce the client must put in its next proof, sent as `DPoP-Nonce`. */
  readonly nonce: string
  constructor(nonce: string, description: string, options?: GateErrorOptions) {
    super(description, 'dpop-nonce', 'use_dpop_nonce', options)
    this.nonce = nonce
  }

  override get headers(): Record<string, string> {
    // A response carrying a nonce must not be cached (RFC 9449 §8.2); browser clients may read both
    // headers once the application allows their origin (RFC 9449 §7.1, §8).
    return {
      ...super.headers,
      'dpop-nonce': this.nonce,
      'cache-control': 'no-store',
      'access-control-expose-headers': 'WWW-Authenticate, DPoP-Nonce',
    }
  }
}

/**
 * The replay store could not record a proof (Redis down, in-memory store full): 503 with `Retry-After`.
 * Answered instead of accepting a proof that might be a replay.
 */
export class ReplayStoreUnavailableError extends GateError {
  readonly code = 'ERR_REPLAY_STORE_UNAVAILABLE'
  readonly status = 503
  /** Seconds after which a retry may succeed. */
  readonly retryAfter: number
  constructor(retryAfter: number, options?: GateErrorOptions) {
    super('the replay store is unavailable', 'replay-store-unavailable', undefined, options)
    this.retryAfter = retryAfter
  }

  override get headers(): Record<string, string> {
    return { 'retry-after': String(this.retryAfter) }
  }
}
