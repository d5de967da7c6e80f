/**
 * Structured events. The library never writes to the console: pass `onEvent` to `createGate` to log,
 * count or trace what the gate does.
 */

import { gateChannels, publish } from './diagnostics/channels.js'
import type { GateErrorCode } from './errors.js'

/** What caused a JWKS fetch. */
export type JwksFetchTrigger = 'warmup' | 'initial' | 'expired' | 'unknown-kid'

/** Every event the gate emits. */
export type GateEvent =
  | {
      readonly type: 'verified'
      readonly issuer: string
      readonly kid: string | undefined
      readonly sub: string
      /** Whether the verification came from the verified-token cache. */
      readonly cached: boolean
    }
  | {
      readonly type: 'rejected'
      readonly code: GateErrorCode
      readonly status: number
      /** The failed check (the error's `reason`). */
      readonly reason: string
    }
  | {
      readonly type: 'policy.denied'
      /** The refusing policy's label: `policy` (gate-wide), `route policy`, or `compilePolicy(p, label)`'s. */
      readonly policy: string
      readonly issuer: string
      readonly sub: string
      /** Human-readable reasons, one per failed rule. Never sent to the client. */
      readonly failures: readonly string[]
    }
  /** A policy admitted a verified token (one event per policy applied; emitted only when someone listens). */
  | {
      readonly type: 'policy.allowed'
      readonly policy: string
      readonly issuer: string
      readonly sub: string
    }
  | { readonly type: 'policy.warning'; readonly message: string }
  | {
      readonly type: 'jwks.fetch'
      readonly jwksUri: string
      readonly trigger: JwksFetchTrigger
      readonly ok: boolean
      /** Usable keys in the response (when `ok`). */
      readonly keys?: number
      /** Why the fetch failed (when not `ok`). */
      readonly error?: string
      readonly durationMs: number
    }
  | {
      readonly type: 'jwks.key-ignored'
      readonly jwksUri: string
      readonly kid: string | undefined
      readonly reason: string
    }
  | { readonly type: 'jwks.stale-served'; readonly jwksUri: string; readonly staleForMs: number }
  | { readonly type: 'jwks.refetch-throttled'; readonly jwksUri: string; readonly waitMs: number }
  /**
   * One metadata document of an issuer configured without `jwksUri` was fetched (OpenID Connect
   * Discovery, then RFC 8414), and used or not.
   */
  | {
      readonly type: 'discovery.fetch'
      /** The configured issuer. */
      readonly issuer: string
      /** The metadata URL fetched. */
      readonly url: string
      readonly trigger: JwksFetchTrigger
      readonly ok: boolean
      /** The `jwks_uri` the document names (when `ok`). */
      readonly jwksUri?: string
      /**
       * Why the document was not used (when not `ok`): the fetch failed, or the document is unusable,
       * e.g. `metadata issuer "https://a.example/" is not the configured issuer "https://a.example"`.
       */
      readonly error?: string
      readonly durationMs: number
    }
  /**
   * The tenant resolver of `oidcTenants()` threw, rejected, timed out or returned something that is not
   * tenant options: the request was refused with 503.
   */
  | {
      readonly type: 'tenant.resolve-failed'
      /** The token's unverified `iss` (at most 200 characters). */
      readonly issuer: string
      readonly error: string
    }
  /** A resolved tenant issuer left the live set (`oidcTenants({ maxIssuers })`); its keys were dropped. */
  | { readonly type: 'tenant.evicted'; readonly issuer: string }
  /** A DPoP proof's `jti` was used before with the same key: the request was refused. */
  | { readonly type: 'replay.detected'; readonly jkt: string }
  /** The replay store failed: the request was refused with 503 (or let through with `failOpen`). */
  | { readonly type: 'replay.store-error'; readonly error: string }
  /**
   * The gate was created in a mock mode (`createGate({ mock })`): tokens are not verified. Emitted once,
   * at construction.
   */
  | {
      readonly type: 'mock.enabled'
      /** `identity`: every request is the configured identity; `decode-only`: signatures are not checked. */
      readonly mode: 'identity' | 'decode-only'
      /** The issuer of the static identity (`identity` mode). */
      readonly issuer: string | undefined
    }

/** A listener for {@link GateEvent}s. Exceptions it throws are swallowed: events never fail a request. */
export type EventListener = (event: GateEvent) => void

/**
 * The gate's event sink: calls `listener` without letting it break the caller, and publishes the event
 * on the `oidc-gate:event` diagnostics channel when that has subscribers (DESIGN §6.1).
 */
export function emitter(listener: EventListener | undefined): EventListener {
  const channel = gateChannels()?.events
  if (listener === undefined && channel === undefined) return () => {}
  return (event) => {
    if (listener !== undefined) {
      try {
        listener(event)
      } catch {
        // A faulty listener must not turn a verified request into a failure.
      }
    }
    if (channel?.hasSubscribers === true) publish(channel, event)
  }
}

/**
 * Whether an event emitted now reaches anyone: `listener` is set, or the diagnostics channel has
 * subscribers. Events built on every request (`verified`, `policy.allowed`) are built only then.
 */
export function listening(listener: EventListener | undefined): () => boolean {
  if (listener !== undefined) return () => true
  const channel = gateChannels()?.events
  return channel === undefined ? () => false : () => channel.hasSubscribers
}
