/**
 * Signature verification (RFC 7515 §5.2). The algorithm comes from the key, which is pinned to exactly
 * one algorithm; the token's `alg` has already been checked to equal it. The cryptography itself is in
 * `#crypto`: node:crypto on Node, Web Crypto elsewhere.
 */

import { ALGORITHMS } from './algorithms.js'
import { InvalidTokenError } from './errors.js'
import type { VerificationKey } from './keys/index.js'

/**
 * Verifies `signature` over `signingInput` with `key`. Synchronous when the back end is (Node).
 * @throws InvalidTokenError (`signature`)
 */
export function verifySignature(
  key: VerificationKey,
  signingInput: string,
  signature: Uint8Array,
): undefined | Promise<void> {
  const expected = ALGORITHMS[key.alg].signatureLength
  // ECDSA and EdDSA signatures have one exact length (raw R‖S, RFC 7518 §3.4); RSA checks its own.
  if (signature.length === 0 || (expected !== undefined && signature.length !== expected)) throw invalid()
  const ok = key.verify(signingInput, signature)
  if (ok === true) return undefined
  if (ok === false) throw invalid()
  return ok.then((valid) => {
    if (!valid) throw invalid()
  })
}

function invalid(): InvalidTokenError {
  return new InvalidTokenError('signature', 'signature invalid')
}
