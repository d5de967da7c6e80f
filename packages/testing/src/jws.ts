/**
 * Raw compact JWS serialisation (RFC 7515 §7.1). Unlike jose's signers it adds nothing and checks
 * nothing, so tests can build tokens with odd headers (`crit`, wrong `alg`, duplicate members).
 */
import { base64url } from 'jose'
import type { SigningKey, TestIssuerAlgorithm } from './keys.js'

const SIGN_PARAMS: Record<TestIssuerAlgorithm, AlgorithmIdentifier | RsaPssParams | EcdsaParams> = {
  RS256: { name: 'RSASSA-PKCS1-v1_5' },
  PS256: { name: 'RSA-PSS', saltLength: 32 },
  ES256: { name: 'ECDSA', hash: 'SHA-256' },
  EdDSA: { name: 'Ed25519' },
}

const encoder = new TextEncoder()

/**
 * Signs `header` and `payload` into a compact JWS with `key`. The header is serialised as given; a string
 * payload is used verbatim as the JWS payload, an object is `JSON.stringify`-ed. The signature is always
 * computed with the key's own algorithm, whatever `header.alg` says.
 *
 * @example
 * ```ts
 * const jws = await signCompact({ alg: 'RS256', kid: key.kid }, '{"sub":"a","sub":"b"}', key)
 * ```
 */
export async function signCompact(
  header: Record<string, unknown>,
  payload: Record<string, unknown> | string,
  key: SigningKey,
): Promise<string> {
  const protectedHeader = base64url.encode(JSON.stringify(header))
  const body = base64url.encode(typeof payload === 'string' ? payload : JSON.stringify(payload))
  const signingInput = `${protectedHeader}.${body}`
  const signature = await crypto.subtle.sign(
    SIGN_PARAMS[key.alg],
    key.privateKey,
    encoder.encode(signingInput),
  )
  return `${signingInput}.${base64url.encode(new Uint8Array(signature))}`
}
