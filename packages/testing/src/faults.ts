/**
 * Fault injection for the key endpoints (JWKS and discovery): slow, failing, garbage, oversized and
 * reset responses, to exercise a verifier's timeouts, size caps and stale-if-error behaviour.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * A fault the key endpoints (JWKS and discovery, both layouts) answer with, set with
 * {@link TestIssuer.setFault}. Requests still count in `issuer.requests`. `on` narrows it to some of
 * them (see {@link FaultTarget}); by default every key endpoint answers with it.
 *
 * - `delay`: wait `ms` milliseconds (a non-negative integer), then answer normally.
 * - `status`: answer `status` (an integer from 200 to 599) with a small JSON body.
 * - `invalid-json`: answer 200 `application/json` with the truncated body `{"keys":[`.
 * - `oversized`: answer 200 with valid-looking JSON of exactly `bytes` bytes (integer, at least 32,
 *   default 1 MiB = 1 048 576); sent with `Content-Length` unless `chunked` is true (default false), in
 *   which case it is streamed with chunked transfer encoding and no length.
 * - `reset`: destroy the connection without any response.
 * - `redirect`: answer `status` (301, 302, 303, 307 or 308; default 302) with `Location: location`.
 *
 * @example
 * ```ts
 * issuer.setFault({ kind: 'delay', ms: 2_000 })
 * issuer.setFault({ kind: 'status', status: 503 })
 * issuer.setFault({ kind: 'status', status: 404, on: 'openid-configuration' }) // RFC 8414 metadata only
 * issuer.setFault({ kind: 'redirect', location: 'http://127.0.0.1:9/jwks', on: 'discovery' })
 * issuer.setFault({ kind: 'oversized', bytes: 5 * 1024 * 1024, chunked: true })
 * issuer.setFault(null) // back to normal
 * ```
 */
export type Fault = (
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'invalid-json' }
  | { readonly kind: 'oversized'; readonly bytes?: number; readonly chunked?: boolean }
  | { readonly kind: 'reset' }
  | { readonly kind: 'redirect'; readonly location: string; readonly status?: 301 | 302 | 303 | 307 | 308 }
) & { readonly on?: FaultTarget }

/**
 * The endpoints a fault applies to: `jwks`, `discovery` (both metadata documents), or one of them,
 * `openid-configuration` (OpenID Connect Discovery) or `oauth-authorization-server` (RFC 8414).
 *
 * @example
 * ```ts
 * const target: FaultTarget = 'openid-configuration'
 * ```
 */
export type FaultTarget = 'jwks' | 'discovery' | 'openid-configuration' | 'oauth-authorization-server'

const FAULT_TARGETS: readonly string[] = [
  'jwks',
  'discovery',
  'openid-configuration',
  'oauth-authorization-server',
]
const REDIRECT_STATUSES: readonly unknown[] = [301, 302, 303, 307, 308]

/**
 * Whether `fault` applies to `endpoint`: the JWKS, or one of the two metadata documents.
 *
 * @example
 * ```ts
 * faultApplies({ kind: 'reset', on: 'discovery' }, 'oauth-authorization-server') // true
 * ```
 */
export function faultApplies(
  fault: Fault,
  endpoint: 'jwks' | 'openid-configuration' | 'oauth-authorization-server',
): boolean {
  const { on } = fault
  return on === undefined || on === endpoint || (on === 'discovery' && endpoint !== 'jwks')
}

/** Default size of the `oversized` fault's body: 1 MiB. */
export const DEFAULT_OVERSIZED_BYTES = 1024 * 1024

const MAX_OVERSIZED_BYTES = 512 * 1024 * 1024
const MIN_OVERSIZED_BYTES = 32

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function onlyKeys(fault: Record<string, unknown>, allowed: readonly string[]): void {
  for (const name of Object.keys(fault)) {
    if (!allowed.includes(name))
      throw new TypeError(`setFault: unknown member "${name}" for kind ${fault.kind}`)
  }
}

/**
 * Checks a fault, throwing a `TypeError` naming the bad member; returns a frozen copy.
 *
 * @example
 * ```ts
 * const fault = validateFault({ kind: 'status', status: 500 })
 * ```
 */
export function validateFault(fault: unknown): Fault | null {
  if (fault === null) return null
  if (!isRecord(fault)) throw new TypeError('setFault: fault must be an object or null')
  const { on, ...rest } = fault
  if (on !== undefined && !FAULT_TARGETS.includes(on as string)) {
    throw new TypeError(`setFault: on must be one of ${FAULT_TARGETS.map((t) => `'${t}'`).join(', ')}`)
  }
  const checked = validateKind(rest)
  return Object.freeze(on === undefined ? checked : { ...checked, on: on as FaultTarget })
}

function validateKind(fault: Record<string, unknown>): Fault {
  switch (fault.kind) {
    case 'delay':
      onlyKeys(fault, ['kind', 'ms'])
      if (!Number.isSafeInteger(fault.ms) || (fault.ms as number) < 0) {
        throw new TypeError('setFault: delay.ms must be a non-negative integer number of milliseconds')
      }
      return Object.freeze({ kind: 'delay', ms: fault.ms as number })
    case 'status':
      onlyKeys(fault, ['kind', 'status'])
      if (
        !Number.isSafeInteger(fault.status) ||
        (fault.status as number) < 200 ||
        (fault.status as number) > 599
      ) {
        throw new TypeError('setFault: status.status must be an integer from 200 to 599')
      }
      return Object.freeze({ kind: 'status', status: fault.status as number })
    case 'invalid-json':
    case 'reset':
      onlyKeys(fault, ['kind'])
      return Object.freeze({ kind: fault.kind })
    case 'oversized': {
      onlyKeys(fault, ['kind', 'bytes', 'chunked'])
      const bytes = fault.bytes ?? DEFAULT_OVERSIZED_BYTES
      if (
        !Number.isSafeInteger(bytes) ||
        (bytes as number) < MIN_OVERSIZED_BYTES ||
        (bytes as number) > MAX_OVERSIZED_BYTES
      ) {
        throw new TypeError(
          `setFault: oversized.bytes must be an integer from ${MIN_OVERSIZED_BYTES} to ${MAX_OVERSIZED_BYTES}`,
        )
      }
      if (fault.chunked !== undefined && typeof fault.chunked !== 'boolean') {
        throw new TypeError('setFault: oversized.chunked must be a boolean')
      }
      return Object.freeze({ kind: 'oversized', bytes: bytes as number, chunked: fault.chunked === true })
    }
    case 'redirect': {
      onlyKeys(fault, ['kind', 'location', 'status'])
      if (typeof fault.location !== 'string' || !/^[\x21-\x7e]+$/.test(fault.location)) {
        throw new TypeError('setFault: redirect.location must be a URL (printable ASCII)')
      }
      const status = fault.status ?? 302
      if (!REDIRECT_STATUSES.includes(status)) {
        throw new TypeError('setFault: redirect.status must be 301, 302, 303, 307 or 308')
      }
      return Object.freeze({
        kind: 'redirect',
        location: fault.location,
        status: status as 301 | 302 | 303 | 307 | 308,
      })
    }
    default:
      throw new TypeError(
        "setFault: fault.kind must be one of 'delay', 'status', 'invalid-json', 'oversized', 'reset', 'redirect'",
      )
  }
}

/**
 * Valid JSON of exactly `bytes` bytes that looks like a JWKS: `{"keys":[],"padding":"AAAA…"}`.
 *
 * @example
 * ```ts
 * oversizedBody(1024).length === 1024
 * ```
 */
export function oversizedBody(bytes: number): string {
  const head = '{"keys":[],"padding":"'
  const tail = '"}'
  return head + 'A'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail
}

const CHUNK = 64 * 1024

function streamBody(res: ServerResponse, body: string): void {
  let offset = 0
  const pump = (): void => {
    while (offset < body.length && !res.destroyed) {
      const chunk = body.slice(offset, offset + CHUNK)
      offset += chunk.length
      if (!res.write(chunk)) {
        res.once('drain', pump)
        return
      }
    }
    if (!res.destroyed) res.end()
  }
  pump()
}

/** Timers of pending `delay` faults, so closing the issuer can cancel them. */
export type PendingTimers = Set<ReturnType<typeof setTimeout>>

/**
 * Answers `req` according to `fault`; `answer` sends the normal response (called after a `delay`).
 *
 * @example
 * ```ts
 * applyFault(fault, req, res, () => sendJwks(res), timers)
 * ```
 */
export function applyFault(
  fault: Fault,
  req: IncomingMessage,
  res: ServerResponse,
  answer: () => void,
  timers: PendingTimers,
): void {
  switch (fault.kind) {
    case 'delay': {
      const timer = setTimeout(() => {
        timers.delete(timer)
        if (!res.destroyed && !res.headersSent) answer()
      }, fault.ms)
      timers.add(timer)
      return
    }
    case 'status': {
      const body = JSON.stringify({ error: 'injected_fault', status: fault.status })
      res.writeHead(fault.status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      })
      res.end(body)
      return
    }
    case 'invalid-json': {
      const body = '{"keys":['
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      res.end(body)
      return
    }
    case 'oversized': {
      const body = oversizedBody(fault.bytes ?? DEFAULT_OVERSIZED_BYTES)
      if (fault.chunked === true) {
        res.writeHead(200, { 'content-type': 'application/json' })
        if (req.method === 'HEAD') res.end()
        else streamBody(res, body)
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length })
        res.end(body)
      }
      return
    }
    case 'reset':
      req.socket.destroy()
      return
    case 'redirect':
      res.writeHead(fault.status ?? 302, { location: fault.location, 'content-length': 0 })
      res.end()
      return
  }
}
