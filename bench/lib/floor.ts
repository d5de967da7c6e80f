/**
 * The "node:crypto minimal JWT floor": the least a correct JWT verifier must do, written directly on
 * node:crypto with a prepared `KeyObject`: split, base64url decode via Buffer (after a character check,
 * so the lenient Buffer decoder cannot accept junk), JSON.parse of header and payload, `crypto.verify`,
 * and the `alg`, `exp`, `iss` and `aud` checks. No key lookup, no caching, no framework.
 */
import { type KeyObject, verify } from 'node:crypto'

const B64URL = /^[A-Za-z0-9_-]+$/

export interface FloorOptions {
  readonly key: KeyObject
  readonly alg: 'RS256' | 'ES256'
  readonly issuer: string
  readonly audience: string
}

export type FloorVerifier = (token: string) => Record<string, unknown>

export function createFloorVerifier(options: FloorOptions): FloorVerifier {
  const { alg, issuer, audience } = options
  // Prepared once: the key and, for ECDSA, the JOSE signature format (raw R‖S).
  const key = alg === 'ES256' ? { key: options.key, dsaEncoding: 'ieee-p1363' as const } : options.key
  return (token) => {
    const a = token.indexOf('.')
    const b = token.indexOf('.', a + 1)
    if (a <= 0 || b <= a + 1 || b === token.length - 1 || token.indexOf('.', b + 1) !== -1) {
      throw new Error('malformed')
    }
    const h = token.slice(0, a)
    const p = token.slice(a + 1, b)
    const s = token.slice(b + 1)
    if (!B64URL.test(h) || !B64URL.test(p) || !B64URL.test(s)) throw new Error('bad base64url')
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'))
    if (header === null || typeof header !== 'object' || header.alg !== alg) throw new Error('alg')
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'))
    if (claims === null || typeof claims !== 'object') throw new Error('claims')
    const ok = verify('sha256', Buffer.from(token.slice(0, b), 'latin1'), key, Buffer.from(s, 'base64url'))
    if (!ok) throw new Error('signature')
    const now = Math.floor(Date.now() / 1000)
    if (typeof claims.exp !== 'number' || claims.exp <= now) throw new Error('exp')
    if (claims.iss !== issuer) throw new Error('iss')
    const aud = claims.aud
    if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) throw new Error('aud')
    return claims
  }
}
