/**
 * Tells which signature path the core took without reaching into it: the Web Crypto path calls
 * `crypto.subtle.verify` once per signature, the `node:crypto` path never does (key import goes through
 * `importKey` on both). The probe wraps the method and counts; the original still does the work.
 */

import type { CryptoPath } from './input.js'

/** Counts `crypto.subtle.verify` calls from now on. */
export interface CryptoProbe {
  /** The path seen so far: `webcrypto` once a verify call went through Web Crypto, else `node`. */
  observed(): CryptoPath | 'unobservable'
}

/** Installs the probe on this realm's `crypto.subtle`. */
export function installCryptoProbe(): CryptoProbe {
  const subtle = globalThis.crypto.subtle
  const original = subtle.verify
  let calls = 0
  try {
    Object.defineProperty(subtle, 'verify', {
      configurable: true,
      writable: true,
      value: function verify(this: SubtleCrypto, ...args: Parameters<SubtleCrypto['verify']>) {
        calls++
        return original.apply(this, args)
      },
    })
  } catch {
    return { observed: () => 'unobservable' }
  }
  return { observed: () => (calls > 0 ? 'webcrypto' : 'node') }
}
