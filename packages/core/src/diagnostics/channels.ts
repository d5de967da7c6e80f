/**
 * The optional bridge to `node:diagnostics_channel` (DESIGN §6.1). It is looked up at run time with
 * `process.getBuiltinModule()`, never imported: the main entry must load on runtimes without Node
 * built-ins (workerd without `nodejs_compat`, browsers), where every function here finds nothing and the
 * gate publishes nothing.
 */

/**
 * The name of the tracing channel around `gate.authenticate()` and `gate.verify()`; its messages are
 * `AuthenticateTrace`s.
 *
 * @example
 * ```ts
 * import { tracingChannel } from 'node:diagnostics_channel'
 * const authenticate = tracingChannel(AUTHENTICATE_CHANNEL) // 'oidc-gate:authenticate'
 * ```
 */
export const AUTHENTICATE_CHANNEL = 'oidc-gate:authenticate'

/**
 * The name of the channel every gate event (`onEvent`) is also published on, whether or not the gate has
 * an `onEvent`.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel'
 * subscribe(EVENT_CHANNEL, (event) => console.log((event as GateEvent).type)) // 'oidc-gate:event'
 * ```
 */
export const EVENT_CHANNEL = 'oidc-gate:event'

/** The part of a diagnostics `Channel` the gate uses. */
export interface PublishChannel {
  readonly hasSubscribers: boolean
  publish(message: unknown): void
  /** Binds the channel's stores (AsyncLocalStorage) while `fn` runs, then publishes (Node ≥ 19.9). */
  runStores?<T>(message: unknown, fn: () => T): T
}

/** The five channels of a `TracingChannel`. */
export interface TracingChannels {
  readonly start: PublishChannel
  readonly end: PublishChannel
  readonly asyncStart: PublishChannel
  readonly asyncEnd: PublishChannel
  readonly error: PublishChannel
}

/** The channels of the gate, when the runtime has `node:diagnostics_channel`. */
export interface GateChannels {
  readonly events: PublishChannel
  readonly authenticate: TracingChannels
}

interface DiagnosticsModule {
  channel(name: string): PublishChannel
  tracingChannel(name: string): TracingChannels
}

type BuiltinLoader = (id: string) => unknown

// `undefined`: not looked up yet; `null`: this runtime has none.
let found: GateChannels | null | undefined

/**
 * The gate's channels, or `undefined` on a runtime without `node:diagnostics_channel` (or without
 * `process.getBuiltinModule`, Node < 20.16). Looked up once per process.
 */
export function gateChannels(): GateChannels | undefined {
  if (found === undefined) found = lookUp() ?? null
  return found ?? undefined
}

function lookUp(): GateChannels | undefined {
  try {
    const load = (globalThis as { process?: { getBuiltinModule?: BuiltinLoader } }).process?.getBuiltinModule
    if (typeof load !== 'function') return undefined
    const dc = load('node:diagnostics_channel') as DiagnosticsModule | undefined
    if (typeof dc?.channel !== 'function' || typeof dc.tracingChannel !== 'function') return undefined
    return { events: dc.channel(EVENT_CHANNEL), authenticate: dc.tracingChannel(AUTHENTICATE_CHANNEL) }
  } catch {
    // A runtime that exposes the loader but refuses the module: no channels, nothing published.
    return undefined
  }
}

/**
 * Publishes `message` without letting a subscriber break the caller (Node already reports a throwing
 * subscriber as an uncaught exception on the next tick; other runtimes may throw here).
 */
export function publish(channel: PublishChannel, message: unknown): void {
  try {
    channel.publish(message)
  } catch {
    // Observability must never fail a request.
  }
}
