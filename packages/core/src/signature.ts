/**
 * Signature verification with Web Crypto (RFC 7515 §5.2), the portable path that runs on Node and on edge
 * runtimes. The algorithm comes from the key, which is pinned to exactly one algorithm; the token's `alg`
 * has already been checked to equal it.
 */

import { ALGORITHMS } from './algorithms.js'
import { InvalidTokenError } from './errors.js'
import type { VerificationKey } from './keys.js'

const ascii = new TextEncoder()

/** Verifies `signature` over `signingInput` with `key`. @throws InvalidTokenError (`signature`) */
export async function verifySignature(
  key: VerificationKey,
  signingInput: string,
  signature: Uint8Array,
): Promise<void> {
  const spec = ALGORITHMS[key.alg]
  // ECDSA and EdDSA signatures have one exact length (raw R‖S, RFC 7518 §3.4); RSA checks its own.
  if (
    signature.length === 0 ||
    (spec.signatureLength !== undefined && signature.length !== spec.signatureLength)
  ) {
    throw new InvalidTokenError('signature', 'signature invalid')
  }
  let ok: boolean
  try {
    ok = await crypto.subtle.verify(
      spec.verify,
      key.key,
      signature as Uint8Array<ArrayBuffer>,
      ascii.encode(signingInput),
    )
  } catch {
    ok = false
  }
  if (!ok) throw new InvalidTokenError('signature', 'signature invalid')
}
