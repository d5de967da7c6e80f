/**
 * The options of DPoP proof verification, checked once at construction: a mistake throws a `TypeError`
 * naming the option.
 */

import { type Algorithm, checkAlgorithms } from '../algorithms.js'
import { type EventListener, emitter } from '../events.js'
import { memoryReplayStore } from '../replay/memory-store.js'
import type { ReplayStore } from '../replay/store.js'
import { createDpopNonces, type DpopNonceOptions, type DpopNonces } from './nonce.js'

/** Options of {@link createDpopVerifier}; the gate's `dpop` option takes the same. */
export interface DpopVerifierOptions {
  /**
   * The proof algorithms accepted and advertised in `algs="…"`: asymmetric only, `none` and `HS*` are
   * refused here. Default `['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256']`.
   */
  readonly algorithms?: readonly Algorithm[]
  /**
   * How long after its `iat` a proof is accepted, in seconds; the replay store keeps its `jti` as long.
   * Default 60.
   */
  readonly proofMaxAge?: number
  /**
   * Allowed clock skew, in seconds: a proof's `iat` may be this far in the future, and this much older
   * than `proofMaxAge`. Default 5 (the gate passes its own `clockTolerance`).
   */
  readonly clockTolerance?: number
  /**
   * Where proof `jti`s are remembered for single use. Default: a {@link memoryReplayStore} of this
   * process (per instance only; share one with `@oidc-gate/redis`).
   */
  readonly replayStore?: ReplayStore
  /**
   * Require server nonces (RFC 9449 §9): proofs without a recent nonce are answered 401
   * `use_dpop_nonce` with a `DPoP-Nonce`. Secrets and window, or nonces from `createDpopNonces()`.
   * Default: no nonces.
   */
  readonly nonce?: DpopNonceOptions | DpopNonces
  /** Receives `replay.detected` and `replay.store-error` events. Default: none. */
  readonly onEvent?: EventListener
}

/** The checked options. */
export interface DpopSettings {
  readonly algorithms: readonly Algorithm[]
  readonly proofMaxAge: number
  readonly clockTolerance: number
  readonly replayStore: ReplayStore
  readonly nonces: DpopNonces | undefined
  /** Never throws: a faulty listener cannot fail a request. */
  readonly onEvent: EventListener
}

/**
 * The default proof algorithms: those DPoP clients use. Ed25519 keys sign as `EdDSA` or, with the
 * fully-specified name of RFC 9864 that the `dpop` and `oauth4webapi` clients send, as `Ed25519`.
 */
export const DEFAULT_DPOP_ALGORITHMS: readonly Algorithm[] = Object.freeze([
  'ES256',
  'EdDSA',
  'Ed25519',
  'RS256',
  'PS256',
])

const OPTION_NAMES = ['algorithms', 'proofMaxAge', 'clockTolerance', 'replayStore', 'nonce', 'onEvent']

/**
 * Checks `options`; `owner` prefixes option names in errors (`dpop` in the gate). Names listed in
 * `extra` belong to the caller and are skipped.
 */
export function resolveDpopOptions(
  options: DpopVerifierOptions | undefined,
  owner = 'dpop',
  extra: readonly string[] = [],
): DpopSettings {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError(`${owner} must be an options object`)
  }
  const o = options ?? {}
  for (const name of Object.keys(o)) {
    if (!OPTION_NAMES.includes(name) && !extra.includes(name)) {
      throw new TypeError(`${owner}: unknown option "${name}"`)
    }
  }
  const algorithms =
    o.algorithms === undefined
      ? DEFAULT_DPOP_ALGORITHMS
      : checkAlgorithms(`${owner}.algorithms`, o.algorithms)
  const proofMaxAge = o.proofMaxAge ?? 60
  if (typeof proofMaxAge !== 'number' || !(proofMaxAge >= 1 && proofMaxAge <= 3600)) {
    throw new TypeError(`${owner}.proofMaxAge must be a number of seconds between 1 and 3600`)
  }
  const clockTolerance = o.clockTolerance ?? 5
  if (typeof clockTolerance !== 'number' || !(clockTolerance >= 0 && clockTolerance <= 300)) {
    throw new TypeError(`${owner}.clockTolerance must be a number of seconds between 0 and 300`)
  }
  const store = o.replayStore ?? memoryReplayStore()
  if (store === null || typeof store !== 'object' || typeof store.claim !== 'function') {
    throw new TypeError(`${owner}.replayStore must be a replay store with a claim(key, expiresAtMs) method`)
  }
  if (o.onEvent !== undefined && typeof o.onEvent !== 'function') {
    throw new TypeError(`${owner}.onEvent must be a function`)
  }
  return {
    algorithms,
    proofMaxAge,
    clockTolerance,
    replayStore: store,
    nonces: resolveNonces(o.nonce, clockTolerance),
    onEvent: emitter(o.onEvent),
  }
}

function resolveNonces(
  nonce: DpopNonceOptions | DpopNonces | undefined,
  clockTolerance: number,
): DpopNonces | undefined {
  if (nonce === undefined) return undefined
  const given = nonce as Partial<DpopNonces>
  if (typeof given.check === 'function' && typeof given.current === 'function') return nonce as DpopNonces
  return createDpopNonces({ clockTolerance, ...(nonce as DpopNonceOptions) })
}
