import type { GateError } from '../errors.js'

/**
 * The framework-neutral request: what every adapter hands the gate, built by {@link fromNode} or
 * {@link fromFetch} (DESIGN §2.1).
 */

/** A header value as Node (`IncomingHttpHeaders`, `headersDistinct`) or a plain object holds it. */
export type HeaderValue = string | readonly string[] | undefined

/**
 * The framework-neutral request the gate authenticates. Build it with `fromNode()` or `fromFetch()`;
 * `headers` is either a Fetch `Headers` or Node's `IncomingHttpHeaders`.
 */
export interface GateRequest {
  /** The request method, e.g. `GET`. */
  readonly method: string
  /**
   * The request URL. `fromNode()` and `fromFetch()` make it absolute (scheme, host, path, query), as DPoP
   * and protected-resource metadata need; a path with query is still accepted for bearer tokens.
   */
  readonly url: string
  /** The request headers. */
  readonly headers: Headers | Readonly<Record<string, HeaderValue>>
  /**
   * Node's `IncomingMessage.rawHeaders` (`[name, value, name, value, …]`). Node keeps only the first of
   * several `Authorization` lines in `headers`; with `rawHeaders` the gate sees all of them and answers 400.
   */
  readonly rawHeaders?: readonly string[] | undefined
  /**
   * A refusal the request edge already decided (a malformed or repeated `Host`): `fromNode()` and
   * `fromFetch()` never throw, the gate answers it as its own (400 with the gate's challenge).
   */
  readonly refusal?: GateError | undefined
}

/**
 * Whether the field name `key`, as sent, is `name` (lower case). A line sent in lower case too (most
 * clients) is matched without a lower-case copy.
 */
export function isFieldName(key: string, name: string): boolean {
  return key.length === name.length && (key === name || key.toLowerCase() === name)
}

/**
 * Every value of the header `name` (lowercase): one entry per field line where the request shows them
 * (`rawHeaders`), else the one value `headers` holds. Fetch `Headers` join repeated lines with `", "`.
 */
export function headerLines(request: GateRequest, name: string): readonly string[] {
  const raw = request.rawHeaders
  if (raw !== undefined) {
    const found: string[] = []
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const key = raw[i] as string
      if (isFieldName(key, name)) found.push(raw[i + 1] as string)
    }
    return found
  }
  const headers = request.headers
  if (typeof (headers as Headers).get === 'function') {
    const value = (headers as Headers).get(name)
    return value === null ? [] : [value]
  }
  const value = (headers as Readonly<Record<string, HeaderValue>>)[name]
  if (value === undefined) return []
  return typeof value === 'string' ? [value] : value
}

/**
 * `request` with some fields replaced: a plain object with every field copied, where a spread would
 * miss a field read on access (the `headers` of `fromNode()`).
 */
export function withRequest(request: GateRequest, changes: Partial<GateRequest>): GateRequest {
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    rawHeaders: request.rawHeaders,
    refusal: request.refusal,
    ...changes,
  }
}
