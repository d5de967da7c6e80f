/**
 * The checks on a fetched metadata document before anything in it is used (SECURITY K1, K4, K5): its
 * `issuer` is identical to the configured issuer, and its `jwks_uri` is an absolute `https:` URL.
 */

import { isLoopbackHost } from '../url.js'

/** The longest value quoted from a document in an error message. */
const QUOTE = 120

/** `value` as JSON, cut to a readable length, for error messages and events. */
function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > QUOTE ? `${text.slice(0, QUOTE)}…` : text
}

/**
 * Checks a metadata document fetched for `issuer` and returns its `jwks_uri`.
 *
 * - `issuer` must be the very string configured: no case folding, no trailing-slash normalisation
 *   (OIDC Discovery §4.3, RFC 8414 §3.3). Otherwise the document is not used.
 * - `jwks_uri` must be an absolute URL without credentials or fragment, `https:`; `http:` only on a
 *   loopback host, and only for an issuer that is itself `http:` on loopback (a local issuer), so a
 *   remote issuer's document can neither downgrade the key fetch nor point it at this machine in clear.
 *   A query is allowed (some issuers select a key set with one).
 *
 * @throws Error naming what is wrong, e.g. `metadata issuer "https://a.example/" is not the configured
 * issuer "https://a.example"`.
 *
 * @example
 * ```ts
 * checkMetadata({ issuer: 'https://a.example', jwks_uri: 'https://a.example/keys' }, 'https://a.example')
 * // 'https://a.example/keys'
 * ```
 */
export function checkMetadata(body: unknown, issuer: string): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new Error('metadata is not a JSON object')
  }
  const document = body as Record<string, unknown>
  if (document.issuer !== issuer) {
    throw new Error(`metadata issuer ${quote(document.issuer)} is not the configured issuer ${quote(issuer)}`)
  }
  const jwksUri = document.jwks_uri
  if (typeof jwksUri !== 'string' || jwksUri.length === 0) throw new Error('metadata has no jwks_uri')
  let url: URL
  try {
    url = new URL(jwksUri)
  } catch {
    throw new Error(`metadata jwks_uri ${quote(jwksUri)} is not a URL`)
  }
  const localIssuer = issuer.startsWith('http:')
  const allowed =
    url.protocol === 'https:' || (url.protocol === 'http:' && localIssuer && isLoopbackHost(url.hostname))
  if (!allowed) throw new Error(`metadata jwks_uri ${quote(jwksUri)} must use https:`)
  if (url.username !== '' || url.password !== '') {
    throw new Error(`metadata jwks_uri ${quote(jwksUri)} must not contain credentials`)
  }
  if (url.hash !== '' || jwksUri.includes('#')) {
    throw new Error(`metadata jwks_uri ${quote(jwksUri)} must not contain a fragment`)
  }
  return jwksUri
}
