/**
 * A hardened GET of a JSON document from a configured URL (SECURITY K6): a timeout covering headers and
 * body, a response size cap enforced on the declared length and on the bytes read, no redirects followed,
 * no cookies or credentials sent. Used for the JWKS; the same caps fit discovery metadata.
 */

/** The caps of one fetch. */
export interface FetchLimits {
  /** Timeout of the whole fetch, headers and body, in ms. */
  readonly timeoutDuration: number
  /** Largest accepted response body, in bytes. */
  readonly maxResponseSize: number
}

/** A fetched JSON document and the header that decides how long it may be cached. */
export interface FetchedJson {
  readonly body: unknown
  readonly cacheControl: string | null
}

/** What {@link fetchJson} asks for. */
export interface FetchJsonRequest extends FetchLimits {
  /** The document's name in error messages, e.g. `JWKS`. */
  readonly what: string
  /** The `Accept` header. */
  readonly accept: string
  /** Aborts the fetch from outside (the key source closing). */
  readonly signal?: AbortSignal
}

/**
 * GETs `url` and parses its body as JSON, within the caps. Only a 200 is accepted: a redirect is refused
 * like any other status.
 * @throws Error with a short message naming what failed (`timeout`, `JWKS answered HTTP 302`,
 * `JWKS response too large`, `JWKS is not JSON`, or the network error).
 *
 * @example
 * ```ts
 * const { body, cacheControl } = await fetchJson('https://issuer.example/jwks', {
 *   what: 'JWKS', accept: 'application/jwk-set+json, application/json', timeoutDuration: 5000, maxResponseSize: 262_144,
 * })
 * ```
 */
export async function fetchJson(url: string, request: FetchJsonRequest): Promise<FetchedJson> {
  const { what, signal } = request
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, request.timeoutDuration)
  const forward = (): void => controller.abort()
  signal?.addEventListener('abort', forward, { once: true })
  try {
    const response = await fetch(url, {
      signal: controller.signal,
      redirect: 'manual',
      credentials: 'omit',
      headers: { accept: request.accept },
    })
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {})
      throw new Error(`${what} answered HTTP ${response.status}`)
    }
    const text = await readCapped(response, request.maxResponseSize, what)
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new Error(`${what} is not JSON`)
    }
    return { body, cacheControl: response.headers.get('cache-control') }
  } catch (error) {
    if (timedOut) throw new Error('timeout', { cause: error })
    throw error
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', forward)
  }
}

async function readCapped(response: Response, cap: number, what: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > cap) {
    await response.body?.cancel().catch(() => {})
    throw new Error(`${what} response too large`)
  }
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > cap) {
      await reader.cancel().catch(() => {})
      throw new Error(`${what} response too large`)
    }
    chunks.push(value)
  }
  const all = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(all)
}

/**
 * A one-line description of a fetch failure and its cause, for events and logs.
 *
 * @example
 * ```ts
 * describeFailure(new Error('fetch failed', { cause: new Error('connect ECONNREFUSED') }))
 * // 'fetch failed: connect ECONNREFUSED'
 * ```
 */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    if (error.message === 'timeout') return 'timeout'
    const cause = (error as { cause?: unknown }).cause
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message
  }
  return String(error)
}
