/**
 * The asymmetric JWS algorithms the gate verifies (RFC 7518 §3, RFC 8037), with the key type each one is
 * pinned to. MAC algorithms (`HS*`) and `none` are not in this table, so no configuration can enable them.
 */

/** A JWS algorithm the gate can verify. */
export type Algorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519'

/**
 * The Web Crypto parameters of `subtle.verify` for one algorithm, written out rather than taken from the
 * DOM lib (`AlgorithmIdentifier`, `RsaPssParams`, `EcdsaParams`), so the published declarations compile
 * for consumers without it (`lib: ["ES2022"]` with Node's or Workers' types).
 */
export interface VerifyParams {
  readonly name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS' | 'ECDSA' | 'Ed25519'
  /** RSA-PSS salt length in bytes (the hash length, RFC 7518 §3.5). */
  readonly saltLength?: number
  /** ECDSA hash. */
  readonly hash?: 'SHA-256' | 'SHA-384' | 'SHA-512'
}

/** How an algorithm maps to a key and to Web Crypto. */
export interface AlgorithmSpec {
  readonly kty: 'RSA' | 'EC' | 'OKP'
  /** Required curve for EC and OKP keys. */
  readonly crv?: string
  /** Exact signature length in bytes for ECDSA (raw R‖S) and EdDSA; RSA signatures are checked by Web Crypto. */
  readonly signatureLength?: number
  /** Web Crypto parameters for `subtle.verify`. */
  readonly verify: VerifyParams
}

/** Every supported algorithm and its key binding. */
export const ALGORITHMS: Readonly<Record<Algorithm, AlgorithmSpec>> = {
  RS256: { kty: 'RSA', verify: { name: 'RSASSA-PKCS1-v1_5' } },
  RS384: { kty: 'RSA', verify: { name: 'RSASSA-PKCS1-v1_5' } },
  RS512: { kty: 'RSA', verify: { name: 'RSASSA-PKCS1-v1_5' } },
  PS256: { kty: 'RSA', verify: { name: 'RSA-PSS', saltLength: 32 } },
  PS384: { kty: 'RSA', verify: { name: 'RSA-PSS', saltLength: 48 } },
  PS512: { kty: 'RSA', verify: { name: 'RSA-PSS', saltLength: 64 } },
  ES256: { kty: 'EC', crv: 'P-256', signatureLength: 64, verify: { name: 'ECDSA', hash: 'SHA-256' } },
  ES384: { kty: 'EC', crv: 'P-384', signatureLength: 96, verify: { name: 'ECDSA', hash: 'SHA-384' } },
  ES512: { kty: 'EC', crv: 'P-521', signatureLength: 132, verify: { name: 'ECDSA', hash: 'SHA-512' } },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', signatureLength: 64, verify: { name: 'Ed25519' } },
  Ed25519: { kty: 'OKP', crv: 'Ed25519', signatureLength: 64, verify: { name: 'Ed25519' } },
}

/**
 * Every supported algorithm, in the order that pins a JWK without `alg` (RSA keys to RS256 first): the
 * default allow-list of `oidc()`.
 *
 * @example
 * ```ts
 * oidc({ issuer, audience, jwksUri }).algorithms // ASYMMETRIC_ALGORITHMS
 * ```
 */
export const ASYMMETRIC_ALGORITHMS: readonly Algorithm[] = Object.freeze(
  Object.keys(ALGORITHMS) as Algorithm[],
)

/** Whether `value` names a supported algorithm (case-sensitive, RFC 7515 §4.1.1). */
export function isAlgorithm(value: unknown): value is Algorithm {
  return typeof value === 'string' && Object.hasOwn(ALGORITHMS, value)
}

/**
 * Validates a configured allow-list. Throws a `TypeError` naming `option` for `none`, MAC algorithms,
 * unknown names or an empty list.
 */
export function checkAlgorithms(option: string, value: unknown): readonly Algorithm[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(`${option} must be a non-empty array of JWS algorithm names`)
  }
  for (const alg of value) {
    if (typeof alg === 'string' && (alg.toLowerCase() === 'none' || /^HS\d+$/i.test(alg))) {
      throw new TypeError(
        `${option} must not contain "${alg}": only asymmetric algorithms verify tokens from a JWKS`,
      )
    }
    if (!isAlgorithm(alg)) {
      throw new TypeError(`${option} contains an unsupported algorithm: ${JSON.stringify(alg)}`)
    }
  }
  return Object.freeze([...new Set(value as Algorithm[])])
}
