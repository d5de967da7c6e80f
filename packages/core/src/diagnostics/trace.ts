/**
 * The tracing channel around `gate.authenticate()` and `gate.verify()` (DESIGN §6.1): an APM subscribed
 * to `oidc-gate:authenticate` sees `start`, `end`, then `error` for a refusal, `asyncStart` and
 * `asyncEnd`, with the outcome and the duration, and binds its async context through the `start`
 * channel's stores as with any `TracingChannel`. With no subscriber, a call costs five `hasSubscribers`
 * reads and builds nothing.
 */

import type { Auth } from '../auth.js'
import { GateError, type GateErrorCode } from '../errors.js'
import { gateChannels, publish, type TracingChannels } from './channels.js'

/**
 * How an authentication ended: an `Auth` (`success`), a refusal (`failure`), or no credentials under
 * `optional: true` (`none`). The values of ASP.NET Core's `aspnetcore.authentication.result`.
 *
 * @example
 * ```ts
 * const result: AuthenticateResult = trace.result ?? 'failure'
 * ```
 */
export type AuthenticateResult = 'success' | 'failure' | 'none'

/**
 * The message of the `oidc-gate:authenticate` tracing channel. One object per call goes through every
 * event of that call; the outcome fields are set before `error` / `asyncStart`. It never holds the token,
 * the request, or the claims: unlike `TracingChannel.tracePromise()`, `result` is the outcome's name,
 * not the returned `Auth` (which carries the token).
 *
 * @example
 * ```ts
 * import { tracingChannel } from 'node:diagnostics_channel'
 * import type { AuthenticateTrace } from '@oidc-gate/core'
 *
 * tracingChannel<object, AuthenticateTrace>('oidc-gate:authenticate').subscribe({
 *   start() {},
 *   end() {},
 *   asyncStart() {},
 *   error() {},
 *   asyncEnd(trace) {
 *     console.log(trace.result, trace.reason, trace.durationMs) // 'failure' 'exp' 0.42
 *   },
 * })
 * ```
 */
export interface AuthenticateTrace {
  /** `'request'` for `gate.authenticate()`, `'token'` for `gate.verify()`. */
  readonly kind: 'request' | 'token'
  /** The outcome, set when the call settles. */
  result?: AuthenticateResult
  /** The verified token's issuer (`success`). */
  issuer?: string
  /** The issuer profile's name, e.g. `vercel` (`success`). */
  profile?: string
  /** `true` when a mock mode produced the `Auth` (`success`). */
  mock?: boolean
  /** The refusal's stable code, e.g. `ERR_INVALID_TOKEN` (`failure`). */
  code?: GateErrorCode
  /** The refusal's HTTP status (`failure`). */
  status?: number
  /** The failed check, e.g. `exp` (`failure`). */
  reason?: string
  /** Time from the call to its outcome, milliseconds (`performance.now()`). */
  durationMs?: number
  /** The `GateError` of a refusal, as `TracingChannel` publishes it on `error`. */
  error?: unknown
}

type Authenticate = (subject: never, options?: never) => Promise<unknown>

/** Whether anyone listens on a channel of `tracingChannel('oidc-gate:authenticate')` now. */
export function tracing(): boolean {
  const channels = gateChannels()?.authenticate
  return channels !== undefined && listened(channels)
}

// Read one by one: an APM may subscribe to some of the five channels only.
const listened = ({ start, end, asyncStart, asyncEnd, error }: TracingChannels): boolean =>
  start.hasSubscribers ||
  end.hasSubscribers ||
  asyncStart.hasSubscribers ||
  asyncEnd.hasSubscribers ||
  error.hasSubscribers

/**
 * Wraps `run` (the gate's `authenticate` or `verify`) in the tracing channel. On a runtime without
 * `node:diagnostics_channel`, returns `run` itself.
 */
export function traced<F extends Authenticate>(kind: AuthenticateTrace['kind'], run: F): F {
  const channels = gateChannels()?.authenticate
  if (channels === undefined) return run
  const call = run as unknown as (subject: unknown, options: unknown) => Promise<Auth | undefined>
  return ((subject: unknown, options: unknown) => {
    if (!listened(channels)) return call(subject, options)
    return trace(channels, { kind }, () => call(subject, options))
  }) as unknown as F
}

function trace(
  channels: TracingChannels,
  context: AuthenticateTrace,
  run: () => Promise<Auth | undefined>,
): Promise<Auth | undefined> {
  const started = performance.now()
  const settled = (): void => {
    context.durationMs = performance.now() - started
  }
  let ran = false
  const body = (): Promise<Auth | undefined> => {
    ran = true
    try {
      return run().then(
        (auth) => {
          settled()
          describeSuccess(context, auth)
          publish(channels.asyncStart, context)
          publish(channels.asyncEnd, context)
          return auth
        },
        (caught: unknown) => {
          settled()
          describeFailure(context, caught)
          publish(channels.error, context)
          publish(channels.asyncStart, context)
          publish(channels.asyncEnd, context)
          throw caught
        },
      )
    } finally {
      publish(channels.end, context)
    }
  }
  const { start } = channels
  if (typeof start.runStores !== 'function') {
    publish(start, context)
    return body()
  }
  try {
    return start.runStores(context, body)
  } catch (caught) {
    // The gate never throws synchronously, traced or not: a store that failed to bind runs the call
    // untraced; anything thrown once it ran becomes the rejection.
    return ran ? Promise.reject(caught) : body()
  }
}

function describeSuccess(context: AuthenticateTrace, auth: Auth | undefined): void {
  if (auth === undefined) {
    context.result = 'none'
    return
  }
  context.result = 'success'
  context.issuer = auth.issuer
  context.profile = auth.profile
  if (auth.mock === true) context.mock = true
}

function describeFailure(context: AuthenticateTrace, caught: unknown): void {
  context.result = 'failure'
  context.error = caught
  if (caught instanceof GateError) {
    context.code = caught.code
    context.status = caught.status
    context.reason = caught.reason
  }
}
