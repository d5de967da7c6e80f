/**
 * JWK thumbprints (RFC 7638): the key a DPoP-bound token names in `cnf.jkt` (RFC 9449 §6.1).
 */

import { sha256 } from '#crypto'
import { encodeBase64url } from '../base64url.js'

/** The members RFC 7638 §3.2 and RFC 8037 §2 hash, in lexicographic order, per key type. */
const REQUIRED_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
}

/**
 * The JSON text RFC 7638 §3 hashes: the required members only, in lexicographic order, without
 * whitespace. Never the JWK as received: member order or extra members (`alg`, `kid`, `d`) would change
 * the value. Returns `undefined` for a key type without thumbprint rules or a missing member.
 */
export function thumbprintInput(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const members = typeof jwk.kty === 'string' ? REQUIRED_MEMBERS[jwk.kty] : undefined
  if (members === undefined) return undefined
  const parts: string[] = []
  for (const name of members) {
    const value = jwk[name]
    if (typeof value !== 'string') return undefined
    parts.push(`"${name}":${JSON.stringify(value)}`)
  }
  return `{${parts.join(',')}}`
}

/** base64url(SHA-256(`text`)). */
export async function sha256Base64url(text: string): Promise<string> {
  return hashText(text)
}

/**
 * base64url(SHA-256(`text`)), synchronously where the platform hashes synchronously (Node): the request
 * path then takes no extra promise turn.
 */
export function hashText(text: string): string | Promise<string> {
  const digest = sha256(text)
  return digest instanceof Uint8Array ? encodeBase64url(digest) : digest.then(encodeBase64url)
}

/**
 * The RFC 7638 SHA-256 thumbprint of a public RSA, EC or OKP JWK, base64url-encoded: the value of
 * `cnf.jkt` for tokens bound to that key.
 *
 * @example
 * ```ts
 * import { jwkThumbprint } from '@oidc-gate/core'
 *
 * const jkt = await jwkThumbprint({ kty: 'EC', crv: 'P-256', x: '…', y: '…' })
 * ```
 * @throws TypeError when `jwk` is not an RSA, EC or OKP key with its required members as strings.
 */
export async function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): Promise<string> {
  const input = jwk !== null && typeof jwk === 'object' ? thumbprintInput(jwk) : undefined
  if (input === undefined) {
    throw new TypeError('jwkThumbprint: jwk must be an RSA, EC or OKP key with its required members')
  }
  return sha256Base64url(input)
}
