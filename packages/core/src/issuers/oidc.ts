/**
 * The generic OIDC / OAuth 2 access token profile: JWT access tokens of RFC 9068.
 */

import { type Algorithm, ASYMMETRIC_ALGORITHMS, checkAlgorithms } from '../algorithms.js'
import type { AccessTokenClaims } from '../claims.js'
import { mediaType } from '../jws.js'
import { checkUrl } from '../url.js'
import { optionalNumber, optionalString, optionalStringArray, requiredString } from '../validate-claims.js'
import {
  audiences,
  type IssuerProfile,
  initialKeys,
  type KeySetOptions,
  knownOptions,
  seconds,
} from './profile.js'

/** Options of {@link oidc}. */
export interface OidcOptions extends KeySetOptions {
  /** The issuer identifier, exactly as in the tokens' `iss` (no normalisation). Required. */
  readonly issuer: string
  /**
   * This API's audience (resource indicator): `aud` must contain it (one of them, for an array). Required,
   * unless the gate has `protectedResource`: its `resource` is then the audience (RFC 8707).
   */
  readonly audience?: string | readonly string[]
  /**
   * The issuer's JWKS URL. Default: read from the issuer's metadata (discovery): OpenID Connect
   * Discovery `<issuer>/.well-known/openid-configuration`, else RFC 8414
   * `/.well-known/oauth-authorization-server` inserted before the issuer's path. The metadata is used
   * only when its `issuer` is this very string (SECURITY K4), and is cached and refreshed like the
   * JWKS (the gate's `jwks` options). Required with `jwks`.
   */
  readonly jwksUri?: string
  /**
   * The algorithm allow-list. Default: every asymmetric JWS algorithm (`RS256`, `RS384`, `RS512`,
   * `PS256`, `PS384`, `PS512`, `ES256`, `ES384`, `ES512`, `EdDSA`, `Ed25519`), so an issuer signing with
   * ES256 or EdDSA works with no option. Each key still verifies with exactly one algorithm: its JWK
   * `alg`, else the first algorithm of this list that fits its type (an RSA key without `alg` is RS256
   * under the default order). `none` and `HS*` are refused.
   */
  readonly algorithms?: readonly Algorithm[]
  /**
   * The required `typ`, compared as a media type. Default `at+jwt` (RFC 9068 §4). Set it to `false` only
   * for an issuer that does not type its access tokens, and then give it its own audience.
   */
  readonly typ?: string | false
  /** Claims that must be present besides `iss exp aud sub client_id iat jti`. Default none. */
  readonly requiredClaims?: readonly string[]
  /** Largest accepted token lifetime (`exp − iat`), seconds. Default 86400 (24 h). */
  readonly maxTokenLifetime?: number
  /** Largest accepted token age (`now − iat`), seconds. Default: no limit beyond `exp`. */
  readonly maxTokenAge?: number
}

const NO_AUDIENCE: readonly string[] = Object.freeze([])

const OPTIONS = [
  'issuer',
  'audience',
  'jwksUri',
  'algorithms',
  'typ',
  'requiredClaims',
  'maxTokenLifetime',
  'maxTokenAge',
  'jwks',
  'jwksFetch',
]

/**
 * Accept OAuth 2 access tokens in the JWT profile of RFC 9068 from one issuer. Without `jwksUri`, the
 * keys are found through the issuer's metadata (discovery) when first needed, or at `gate.warmup()`.
 * Several issuers side by side are selected by exact `iss`, each with its own audience and algorithms;
 * for many issuers of one kind (one per tenant), see `oidcTenants()`.
 *
 * @example
 * ```ts
 * import { createGate, oidc } from '@oidc-gate/core'
 *
 * const gate = createGate({
 *   issuers: [oidc({ issuer: 'https://auth.example.com/', audience: 'https://api.example.com' })],
 *   policy: { scope: { includes: 'todos:read' } },
 * })
 * await gate.warmup() // metadata, then keys: the first request waits for nothing
 * ```
 */
export function oidc(options: OidcOptions): IssuerProfile<AccessTokenClaims> {
  if (options === null || typeof options !== 'object') throw new TypeError('oidc() needs an options object')
  knownOptions('oidc', options, OPTIONS)
  const issuer = checkUrl('oidc(): issuer', options.issuer)
  const jwksUri = options.jwksUri === undefined ? undefined : checkUrl('oidc(): jwksUri', options.jwksUri)
  const typ = options.typ ?? 'at+jwt'
  if (typ !== false && (typeof typ !== 'string' || typ.length === 0)) {
    throw new TypeError('oidc(): typ must be a media type such as "at+jwt", or false')
  }
  const keys = initialKeys('oidc', options)
  if (keys !== undefined && jwksUri === undefined) {
    throw new TypeError('oidc(): jwks needs jwksUri (configured keys are not combined with discovery)')
  }
  const expectedTyp = typ === false ? undefined : mediaType(typ)
  const required = options.requiredClaims ?? []
  if (!Array.isArray(required) || !required.every((c) => typeof c === 'string' && c.length > 0)) {
    throw new TypeError('oidc(): requiredClaims must be an array of claim names')
  }
  return Object.freeze<IssuerProfile<AccessTokenClaims>>({
    profile: 'oidc',
    targets: Object.freeze([
      {
        issuer,
        ...(jwksUri === undefined ? {} : { jwksUri }),
        ...(keys === undefined ? {} : { initialKeys: keys }),
      },
    ]),
    // No audience: the gate's protected resource, or a TypeError naming `audience` from createGate().
    audiences: options.audience === undefined ? NO_AUDIENCE : audiences('oidc(): audience', options.audience),
    algorithms: checkAlgorithms('oidc(): algorithms', options.algorithms ?? ASYMMETRIC_ALGORITHMS),
    maxTokenLifetime: seconds('oidc(): maxTokenLifetime', options.maxTokenLifetime, 86_400),
    maxTokenAge:
      options.maxTokenAge === undefined ? undefined : seconds('oidc(): maxTokenAge', options.maxTokenAge, 0),
    claimNames: undefined,
    acceptsTyp: (value) =>
      expectedTyp === undefined || (typeof value === 'string' && mediaType(value) === expectedTyp),
    checkClaims(claims) {
      requiredString(claims, 'client_id')
      requiredString(claims, 'jti')
      for (const name of required) {
        if (claims[name] === undefined) requiredString(claims, name)
      }
      optionalNumber(claims, 'auth_time')
      optionalString(claims, 'acr')
      optionalStringArray(claims, 'amr')
      for (const name of ['groups', 'roles', 'entitlements'] as const) optionalStringArray(claims, name)
      const scp = claims.scp
      if (scp !== undefined && typeof scp !== 'string') optionalStringArray(claims, 'scp')
    },
  })
}
