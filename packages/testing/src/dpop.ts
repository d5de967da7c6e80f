/**
 * DPoP proofs (RFC 9449 §4) and key thumbprints for tests: what a DPoP client sends with each request.
 */
import { randomUUID } from 'node:crypto'
// jose's portable key type in declarations: the DOM lib's `CryptoKey` is not visible to Node projects.
import {
  base64url,
  calculateJwkThumbprint,
  exportJWK,
  type JWK,
  SignJWT,
  type CryptoKey as WebCryptoKey,
} from 'jose'

/** A key pair a DPoP client signs with, e.g. from jose's `generateKeyPair('ES256')`. */
export interface DpopKeyPair {
  readonly privateKey: WebCryptoKey
  readonly publicKey: WebCryptoKey
}

/**
 * Options of {@link createDpopProof}.
 *
 * @example
 * ```ts
 * const options: DpopProofOptions = { key, htm: 'GET', htu: 'http://127.0.0.1:3000/orders', accessToken }
 * ```
 */
export interface DpopProofOptions {
  /** The client's key pair; the public half goes into the proof's `jwk` header. */
  readonly key: DpopKeyPair
  /** `htm`: the request method. */
  readonly htm: string
  /** `htu`: the request URL (query and fragment are dropped, as RFC 9449 §4.2 asks). */
  readonly htu: string
  /** The access token the proof accompanies: sets `ath` = base64url(SHA-256(token)). Default: no `ath`. */
  readonly accessToken?: string
  /** `nonce`, as received in a `DPoP-Nonce` header. Default: none. */
  readonly nonce?: string
  /** `iat`, seconds since the epoch. Default: now. */
  readonly iat?: number
  /** `jti`. Default: a random UUID. */
  readonly jti?: string
  /** The JWS `alg`. Default: the key's (`ES256`, `EdDSA` for Ed25519, `RS256`, `PS256`, …). */
  readonly alg?: string
  /**
   * Header members added or overridden (`typ`, `jwk`, …) to build broken proofs; `undefined` removes one.
   * Default none.
   */
  readonly header?: Record<string, unknown>
  /** Claims added or overridden; `undefined` removes one. Default none. */
  readonly claims?: Record<string, unknown>
}

const encoder = new TextEncoder()

/**
 * Creates a signed DPoP proof JWT: header `{ typ: 'dpop+jwt', alg, jwk }`, claims `jti, htm, htu, iat`
 * and, when given, `ath` and `nonce`.
 *
 * @example
 * ```ts
 * import { generateKeyPair } from 'jose'
 * import { createDpopProof } from '@oidc-gate/testing'
 *
 * const key = await generateKeyPair('ES256')
 * const proof = await createDpopProof({ key, htm: 'GET', htu: `${url}/orders`, accessToken: token })
 * await fetch(`${url}/orders`, { headers: { authorization: `DPoP ${token}`, dpop: proof } })
 * ```
 */
export async function createDpopProof(options: DpopProofOptions): Promise<string> {
  const { key, htm, htu, accessToken, nonce } = options
  if (key === null || typeof key !== 'object' || !(key.privateKey instanceof CryptoKey)) {
    throw new TypeError('createDpopProof: options.key must be a key pair from generateKeyPair()')
  }
  if (typeof htm !== 'string' || typeof htu !== 'string') {
    throw new TypeError('createDpopProof: options.htm and options.htu must be strings')
  }
  const alg = options.alg ?? algorithmOf(key.privateKey)
  const header = withoutUndefined({ alg, typ: 'dpop+jwt', jwk: await publicJwk(key), ...options.header })
  const claims = withoutUndefined({
    jti: options.jti ?? randomUUID(),
    htm,
    htu: htu.replace(/[?#].*$/s, ''),
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ath: accessToken === undefined ? undefined : await accessTokenHash(accessToken),
    nonce,
    ...options.claims,
  })
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey)
}

/**
 * The RFC 7638 SHA-256 thumbprint of a key pair's public key: the `cnf.jkt` of tokens bound to it.
 *
 * @example
 * ```ts
 * const token = await issuer.mint({ cnf: { jkt: await dpopThumbprint(key) } })
 * ```
 */
export async function dpopThumbprint(key: DpopKeyPair | WebCryptoKey): Promise<string> {
  return calculateJwkThumbprint(await publicJwk(key), 'sha256')
}

/**
 * `ath`: base64url(SHA-256(ASCII(token))) (RFC 9449 §4.2).
 *
 * @example
 * ```ts
 * const ath = await accessTokenHash(token)
 * ```
 */
export async function accessTokenHash(token: string): Promise<string> {
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(token))))
}

async function publicJwk(key: DpopKeyPair | CryptoKey): Promise<JWK> {
  const publicKey = key instanceof CryptoKey ? key : key.publicKey
  const { kty, crv, x, y, n, e } = await exportJWK(publicKey)
  return withoutUndefined({ kty, crv, x, y, n, e }) as JWK
}

function algorithmOf(key: CryptoKey): string {
  const algorithm = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } }
  const bits = algorithm.hash?.name.replace('SHA-', '')
  switch (algorithm.name) {
    case 'ECDSA':
      return { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' }[algorithm.namedCurve ?? ''] ?? 'ES256'
    case 'Ed25519':
      return 'EdDSA'
    case 'RSASSA-PKCS1-v1_5':
      return `RS${bits ?? '256'}`
    case 'RSA-PSS':
      return `PS${bits ?? '256'}`
    default:
      throw new TypeError(`createDpopProof: unsupported key algorithm ${algorithm.name}; pass options.alg`)
  }
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(record)) if (value !== undefined) out[name] = value
  return out
}
