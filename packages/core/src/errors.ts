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

/** Options shared by every `GateError`. */
export interface GateErrorOptions {
  /** The `realm` auth-param of the challenge. Default: none. */
  readonly realm?: string | undefined
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
  readonly reason: string
  /** The RFC 6750 `error` code, if the challenge carries one. */
  readonly error: string | undefined
  /** The `realm` of the challenge; the gate sets it from its `realm` option. */
  realm: string | undefined
  /** Frameworks that look at `expose` show the message to the client: it holds no secrets. */
  readonly expose = true

  protected constructor(
    message: string,
    reason: string,
    error: string | undefined,
    options: GateErrorOptions | undefined,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    Object.defineProperty(this, BRAND, { value: true })
    this.reason = reason
    this.error = error
    this.realm = options?.realm
  }

  /** Alias of `status`, for frameworks that read `statusCode`. */
  get statusCode(): number {
    return this.status
  }

  /** Response headers: `WWW-Authenticate` (RFC 6750 §3), and `Retry-After` for 503. */
  get headers(): Record<string, string> {
    const params: string[] = []
    if (this.realm !== undefined) params.push(`realm="${sanitize(this.realm)}"`)
    if (this.error !== undefined) {
      params.push(`error="${this.error}"`, `error_description="${sanitize(this.message)}"`)
    }
    const scope = this.challengeScope()
    if (scope.length > 0) params.push(`scope="${sanitize(scope.join(' '))}"`)
    return { 'www-authenticate': params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}` }
  }

  protected challengeScope(): readonly string[] {
    return []
  }
}

/**
 * No credentials, or a scheme the gate does not accept (e.g. `Basic`): 401 with a bare challenge
 * (RFC 6750 §3.1 says such a response should carry no error code).
 */
export class CredentialsMissingError extends GateError {
  readonly code = 'ERR_CREDENTIALS_MISSING'
  readonly status = 401
  constructor(reason: 'missing' | 'unsupported-scheme' = 'missing', options?: GateErrorOptions) {
    super('authentication required', reason, undefined, options)
  }
}

/** A malformed request (RFC 6750 `invalid_request`): 400. */
export class InvalidRequestError extends GateError {
  readonly code = 'ERR_INVALID_REQUEST'
  readonly status = 400
  constructor(reason: string, description: string, options?: GateErrorOptions) {
    super(description, reason, 'invalid_request', options)
  }
}

/** The token is not acceptable (RFC 6750 `invalid_token`): 401. */
export class InvalidTokenError extends GateError {
  readonly code = 'ERR_INVALID_TOKEN'
  readonly status = 401
  constructor(reason: string, description: string, options?: GateErrorOptions) {
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
