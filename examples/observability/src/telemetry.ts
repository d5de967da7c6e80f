/**
 * The gate as OpenTelemetry metrics, named after the authentication conventions of ASP.NET Core
 * (`aspnetcore.authentication.authenticate.duration`, `aspnetcore.authorization.attempts`) in this
 * library's own namespace, `oidc_gate.` (see docs/observability.md for why):
 *
 * - `oidc_gate.authentication.authenticate.duration`: histogram, seconds, one per `gate.authenticate()`
 *   or `gate.verify()`, with `oidc_gate.authentication.result` (`success`, `failure`, `none`), and
 *   `error.type` (the refusal's code) on failures. Fed by the `oidc-gate:authenticate` tracing channel,
 *   which times the call.
 * - `oidc_gate.authorization.attempts`: counter, one per policy applied to a verified token, with
 *   `oidc_gate.authorization.policy` (the policy's label) and `oidc_gate.authorization.result`
 *   (`success`, `failure`). Fed by the `policy.allowed` / `policy.denied` events.
 */

import { tracingChannel } from 'node:diagnostics_channel'
import { AUTHENTICATE_CHANNEL, type AuthenticateTrace, type GateEvent } from '@oidc-gate/core'
import type { Meter } from '@opentelemetry/api'

/** What {@link gateMetrics} returns. */
export interface GateMetrics {
  /** Pass to `createGate({ onEvent })` (or call from your own listener): counts authorization attempts. */
  readonly onEvent: (event: GateEvent) => void
  /** Stops listening to the tracing channel. */
  close(): void
}

/** Boundaries for durations that range from a cached token (µs) to a JWKS fetch (tens of ms), seconds. */
const BOUNDARIES = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]

/**
 * Records the gate's metrics with `meter`.
 *
 * @example
 * ```ts
 * const metrics = gateMetrics(meterProvider.getMeter('oidc-gate'))
 * const gate = createGate({ issuers, onEvent: metrics.onEvent })
 * ```
 */
export function gateMetrics(meter: Meter): GateMetrics {
  const duration = meter.createHistogram('oidc_gate.authentication.authenticate.duration', {
    unit: 's',
    description: 'The duration of authentications by oidc-gate (token verification and policies).',
    advice: { explicitBucketBoundaries: BOUNDARIES },
  })
  const attempts = meter.createCounter('oidc_gate.authorization.attempts', {
    unit: '{attempt}',
    description: 'Policies applied by oidc-gate to verified tokens.',
  })
  const channel = tracingChannel<unknown, AuthenticateTrace>(AUTHENTICATE_CHANNEL)
  const handlers = {
    start() {},
    end() {},
    asyncStart() {},
    error() {},
    asyncEnd(trace: AuthenticateTrace) {
      if (trace.durationMs === undefined || trace.result === undefined) return
      duration.record(trace.durationMs / 1000, {
        'oidc_gate.authentication.result': trace.result,
        ...(trace.code === undefined ? {} : { 'error.type': trace.code }),
      })
    },
  }
  channel.subscribe(handlers)
  return {
    onEvent(event) {
      if (event.type !== 'policy.allowed' && event.type !== 'policy.denied') return
      attempts.add(1, {
        'oidc_gate.authorization.policy': event.policy,
        'oidc_gate.authorization.result': event.type === 'policy.allowed' ? 'success' : 'failure',
      })
    },
    close: () => channel.unsubscribe(handlers),
  }
}
