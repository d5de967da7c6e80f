/**
 * Parsing of a JWS in the compact serialization (RFC 7515 §7.1, RFC 7519 §7.2): exactly three segments,
 * strict base64url, fatal UTF-8, JSON objects without duplicate members, bounded nesting. Nothing parsed
 * here is trusted until the signature is verified.
 */

import { type Algorithm, isAlgorithm } from './algorithms.js'
import { decodeBase64url } from './base64url.js'
import type { JsonValue } from './claims.js'
import { InvalidTokenError } from './errors.js'
import { JsonParseError, parseJson } from './json.js'

/** The protected header of a verified token. */
export interface JoseHeader {
  readonly alg: Algorithm
  readonly typ?: string
  readonly kid?: string
  readonly [member: string]: JsonValue | undefined
}

/** A parsed, not yet verified, compact JWS. */
export interface ParsedJws {
  readonly header: Readonly<Record<string, JsonValue>>
  readonly claims: Readonly<Record<string, JsonValue>>
  /** `BASE64URL(header) || '.' || BASE64URL(payload)`, the signed bytes as a string. */
  readonly signingInput: string
  readonly signature: Uint8Array
  /** `BASE64URL(header)`, as received. */
  readonly encodedHeader: string
  /** The remembered header this one matched, if any (see {@link rememberVerifiedHeader}). */
  readonly knownHeader: KnownHeader | undefined
}

/** A header of a verified token, by its encoded form. */
interface KnownHeader {
  /** `BASE64URL(header)`, as a string of its own (not a slice of a token, which compares slowly). */
  readonly encoded: string
  readonly header: Readonly<Record<string, JsonValue>>
}

/** Longest `kid` accepted (SECURITY P11). */
export const MAX_KID_LENGTH = 256

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

// Tokens of one issuer share a handful of headers (one per signing key): the parsed header of a token
// whose signature verified is kept by its exact encoded form, and the next token with the same bytes
// skips decoding it. Parsing is a pure function of those bytes, so a hit returns exactly what parsing
// would; only verified headers get in, and the map is emptied when full, so it stays small.
const verifiedHeaders = new Map<string, KnownHeader>()
const MAX_VERIFIED_HEADERS = 64
// The most recent one, compared in place: no hashing of a fresh slice when one key signs everything.
let recent: KnownHeader | undefined

/**
 * Splits and decodes a compact JWS.
 * @throws InvalidTokenError with reason `malformed` (segments, base64url, UTF-8, JSON) or `duplicate-member`.
 */
export function parseCompactJws(token: string): ParsedJws {
  const first = token.indexOf('.')
  const second = first === -1 ? -1 : token.indexOf('.', first + 1)
  if (first <= 0 || second === -1 || second === first + 1 || token.indexOf('.', second + 1) !== -1) {
    throw malformed('a JWS has exactly three segments')
  }
  if (second === token.length - 1) throw new InvalidTokenError('signature', 'signature missing')
  const encodedHeader = token.slice(0, first)
  const knownHeader =
    recent !== undefined && first === recent.encoded.length && token.startsWith(recent.encoded)
      ? recent
      : verifiedHeaders.get(encodedHeader)
  const header = knownHeader?.header ?? decodeObject(token, 0, first, 'header')
  const claims = decodeObject(token, first + 1, second, 'payload')
  const signature = decodeBase64url(token, second + 1)
  if (signature === undefined) throw malformed('signature is not base64url')
  return { header, claims, signingInput: token.slice(0, second), signature, encodedHeader, knownHeader }
}

/**
 * Remembers the header of `jws`, whose signature verified, so that later tokens with the same encoded
 * header skip parsing it. The header is deep-frozen.
 *
 * @example
 * ```ts
 * const jws = parseCompactJws(token)
 * // … key found, signature verified …
 * rememberVerifiedHeader(jws)
 * ```
 */
export function rememberVerifiedHeader(jws: ParsedJws): void {
  if (jws.knownHeader !== undefined) {
    recent = jws.knownHeader
    return
  }
  // Joined anew: a string of its own, which `startsWith` compares fast and which keeps no token alive.
  const known = { encoded: [...jws.encodedHeader].join(''), header: deepFreeze(jws.header) }
  if (verifiedHeaders.size >= MAX_VERIFIED_HEADERS) verifiedHeaders.clear()
  verifiedHeaders.set(known.encoded, known)
  recent = known
}

/**
 * Freezes `value` and every object in it; returns it.
 *
 * @example
 * ```ts
 * const claims = deepFreeze(parseJson(text) as Record<string, JsonValue>)
 * ```
 */
export function deepFreeze<T extends Readonly<Record<string, JsonValue>> | readonly JsonValue[]>(
  value: T,
): T {
  Object.freeze(value)
  // `for…in` allocates no array of values; members that are not objects need no call.
  for (const name in value) {
    const member = (value as Readonly<Record<string, JsonValue>>)[name]
    if (member !== null && typeof member === 'object' && !Object.isFrozen(member)) deepFreeze(member)
  }
  return value
}

function decodeObject(
  token: string,
  start: number,
  end: number,
  part: 'header' | 'payload',
): Readonly<Record<string, JsonValue>> {
  const bytes = decodeBase64url(token, start, end)
  if (bytes === undefined) throw malformed(`${part} is not base64url`)
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw malformed(`${part} is not UTF-8`)
  }
  let value: JsonValue
  try {
    value = parseJson(text)
  } catch (error) {
    if (error instanceof JsonParseError && error.problem === 'duplicate') {
      throw new InvalidTokenError('duplicate-member', `${part} has duplicate member names`)
    }
    throw malformed(`${part} is not JSON`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw malformed(`${part} is not a JSON object`)
  }
  return value
}

/** What a profile requires of the header. */
export interface HeaderRules {
  readonly algorithms: readonly Algorithm[]
  /** Accepts or refuses the `typ` member (which may be absent). */
  readonly typ: (typ: JsonValue | undefined) => boolean
}

/**
 * Checks a parsed header (SECURITY P6–P11, A1–A3): `alg` in the allow-list (case-sensitive), `typ` per
 * profile, no `crit` (no extension is understood), no unencoded payload (`b64`), no nested JWT (`cty`),
 * no JWE members, `kid` a bounded string. `jku`, `x5u`, `jwk` and `x5c` are ignored: keys only ever come
 * from the issuer's configured JWKS.
 */
export function checkHeader(header: Readonly<Record<string, JsonValue>>, rules: HeaderRules): JoseHeader {
  const alg = header.alg
  if (!isAlgorithm(alg) || !rules.algorithms.includes(alg)) {
    throw new InvalidTokenError('alg', 'algorithm not allowed')
  }
  if (header.crit !== undefined) throw new InvalidTokenError('crit', 'unsupported critical header parameter')
  if (header.b64 !== undefined && header.b64 !== true) {
    throw new InvalidTokenError('b64', 'unencoded payload not allowed')
  }
  if (header.enc !== undefined || header.zip !== undefined) {
    throw new InvalidTokenError('malformed', 'JWE is not accepted')
  }
  if (typeof header.cty === 'string' && mediaType(header.cty) === 'jwt') {
    throw new InvalidTokenError('cty', 'nested JWT not accepted')
  }
  const kid = header.kid
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH)) {
    throw new InvalidTokenError('kid', 'invalid kid')
  }
  if (!rules.typ(header.typ)) throw new InvalidTokenError('typ', 'unexpected token type')
  return header as JoseHeader
}

/**
 * Normalises a `typ`/`cty` value as a media type (RFC 7515 §4.1.9): case-insensitive, and the
 * `application/` prefix is optional.
 */
export function mediaType(value: string): string {
  const lower = value.toLowerCase()
  return lower.startsWith('application/') ? lower.slice(12) : lower
}

function malformed(description: string): InvalidTokenError {
  return new InvalidTokenError('malformed', description)
}
