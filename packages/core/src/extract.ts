/**
 * Credential extraction from an HTTP request (RFC 6750 §2.1 and §3.1, RFC 9110 §11): exactly one
 * `Authorization` field line, a case-insensitive scheme, the b64token grammar, and a size cap applied
 * before anything is decoded.
 */

import { type GateRequest, isFieldName } from './edge/request.js'
import {
  type AuthScheme,
  CredentialsMissingError,
  type GateErrorOptions,
  InvalidRequestError,
  InvalidTokenError,
} from './errors.js'

/** The credential found in a request. */
export interface Credentials {
  /** The auth-scheme as defined (not as sent). */
  readonly scheme: AuthScheme
  /** The token, exactly as sent after the scheme and its spaces. */
  readonly token: string
}

/**
 * Reads the single `Authorization` field line of a request.
 * Returns `undefined` when the request has none.
 * @throws InvalidRequestError when there are several.
 */
export function readAuthorization(request: GateRequest, errorOptions?: GateErrorOptions): string | undefined {
  const raw = request.rawHeaders
  if (raw !== undefined) {
    let found: string | undefined
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i] as string
      if (isFieldName(name, 'authorization')) {
        if (found !== undefined) throw multiple(errorOptions)
        found = raw[i + 1] as string
      }
    }
    return found
  }
  const headers = request.headers
  if (typeof (headers as Headers).get === 'function') {
    // Fetch `Headers` joins repeated lines with ", ", which then fails the b64token grammar (400).
    return (headers as Headers).get('authorization') ?? undefined
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>
  const value = record.authorization ?? record.Authorization
  if (value === undefined || typeof value === 'string') return value
  if (value.length > 1) throw multiple(errorOptions)
  return value[0]
}

/** The schemes a gate accepts when nothing else is configured. */
const BEARER_ONLY: readonly AuthScheme[] = ['Bearer']

/**
 * Extracts the token of a request, sent with one of `schemes` (default `Bearer` only).
 *
 * - no `Authorization`, or a scheme not in `schemes` → 401 with a bare challenge;
 * - several `Authorization` lines, a scheme without a token, a token outside the b64token grammar, or
 *   a token both in the header and in the query → 400 `invalid_request`;
 * - a token longer than `maxTokenLength` → 401 `invalid_token`, before any decoding.
 *
 * The token is never read from the query string, the body, or `x-vercel-oidc-token` (on Vercel that header
 * carries the callee's own token, not the caller's).
 */
export function extractCredentials(
  request: GateRequest,
  maxTokenLength: number,
  errorOptions?: GateErrorOptions,
  schemes: readonly AuthScheme[] = BEARER_ONLY,
): Credentials {
  const credentials = readCredentials(request, maxTokenLength, errorOptions, schemes)
  checkTokenGrammar(credentials.token, errorOptions)
  return credentials
}

/**
 * {@link extractCredentials} without the b64token grammar check, which the gate runs only when the token
 * is not in its verified-token cache: a cached token verified as a compact JWS, whose characters are all
 * in the grammar, so the check could only pass again.
 */
export function readCredentials(
  request: GateRequest,
  maxTokenLength: number,
  errorOptions: GateErrorOptions | undefined,
  schemes: readonly AuthScheme[],
): Credentials {
  return parseCredentials(
    readAuthorization(request, errorOptions),
    request.url,
    maxTokenLength,
    errorOptions,
    schemes,
  )
}

/**
 * {@link readCredentials} for one gate's settings, remembering the last `Authorization` value it parsed:
 * a server sees the same token on request after request, and the same value gives the same credentials
 * (the same token string, which the verified-token cache then recognises without comparing characters).
 */
export function credentialsReader(
  maxTokenLength: number,
  errorOptions: GateErrorOptions | undefined,
  schemes: readonly AuthScheme[],
): (request: GateRequest) => Credentials {
  let lastValue: string | undefined
  let last: Credentials | undefined
  return (request) => {
    const value = readAuthorization(request, errorOptions)
    if (value === lastValue && last !== undefined && !hasQueryToken(request.url)) return last
    const credentials = parseCredentials(value, request.url, maxTokenLength, errorOptions, schemes)
    lastValue = value
    last = credentials
    return credentials
  }
}

function parseCredentials(
  value: string | undefined,
  url: string,
  maxTokenLength: number,
  errorOptions: GateErrorOptions | undefined,
  schemes: readonly AuthScheme[],
): Credentials {
  if (hasQueryToken(url)) {
    if (value !== undefined) {
      throw new InvalidRequestError(
        'multiple-methods',
        'more than one method used to send a token',
        errorOptions,
      )
    }
    throw new CredentialsMissingError('missing', errorOptions)
  }
  if (value === undefined || value.length === 0) throw new CredentialsMissingError('missing', errorOptions)

  // The scheme ends at the first SP or HTAB. Only SP may separate it from the token (RFC 9110 §11.2), but
  // `Bearer<TAB>token` still names the Bearer scheme: it is a malformed request (400, SECURITY H5), not an
  // unsupported scheme (401 with a bare challenge). The tab then fails the b64token grammar below.
  let space = value.indexOf(' ')
  const tab = value.indexOf('\t')
  if (tab !== -1 && (space === -1 || tab < space)) space = tab
  const sent = space === -1 ? value : value.slice(0, space)
  const scheme = schemeOf(sent, schemes)
  if (scheme === undefined) throw new CredentialsMissingError('unsupported-scheme', errorOptions)
  let start = space === -1 ? value.length : space
  while (start < value.length && value.charCodeAt(start) === 0x20) start++
  if (start === value.length) {
    throw new InvalidRequestError('missing-token', `the ${scheme} scheme needs a token`, errorOptions)
  }
  const length = value.length - start
  if (length > maxTokenLength) {
    throw new InvalidTokenError('token-size', 'token too large', errorOptions)
  }
  return { scheme, token: start === 0 ? value : value.slice(start) }
}

/**
 * Refuses a token outside the b64token grammar (RFC 6750 §2.1) with 400 `invalid_request`.
 * @throws InvalidRequestError
 */
export function checkTokenGrammar(token: string, errorOptions: GateErrorOptions | undefined): void {
  if (!B64TOKEN.test(token)) {
    throw new InvalidRequestError('malformed-credentials', 'malformed Authorization header', errorOptions)
  }
}

/** The accepted scheme `sent` names, compared case-insensitively (RFC 9110 §11.1). */
function schemeOf(sent: string, schemes: readonly AuthScheme[]): AuthScheme | undefined {
  for (const scheme of schemes) {
    if (sent === scheme) return scheme
  }
  for (const scheme of schemes) {
    if (sent.length === scheme.length && sent.toLowerCase() === scheme.toLowerCase()) return scheme
  }
  return undefined
}

/**
 * `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750 §2.1). The two
 * classes share no character, so the expression cannot backtrack: one linear pass, in native code.
 */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

function hasQueryToken(url: string): boolean {
  const q = url.indexOf('?')
  if (q === -1) return false
  let at = url.indexOf('access_token=', q + 1)
  while (at !== -1) {
    const before = url.charCodeAt(at - 1)
    if (before === 0x3f || before === 0x26) return true // '?' or '&'
    at = url.indexOf('access_token=', at + 1)
  }
  return false
}

function multiple(errorOptions: GateErrorOptions | undefined): InvalidRequestError {
  return new InvalidRequestError('multiple-authorization', 'multiple Authorization headers', errorOptions)
}
