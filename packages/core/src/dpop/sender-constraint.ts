/**
 * The gate's sender-constraint step (SECURITY §1 step 8, §7.2; RFC 9449 §7): which schemes the gate
 * accepts, and for each verified token whether the request proved possession of its key. Runs on cache
 * hits too: the token cache holds the token's verification, never a proof.
 */

import type { Auth } from '../auth.js'
import { producerOf, stampAuth } from '../auth-stamp.js'
import type { GateRequest } from '../edge/request.js'
import { headerLines } from '../edge/request.js'
import { type AuthScheme, type ChallengeOptions, DpopBindingError, InvalidTokenError } from '../errors.js'
import type { EventListener } from '../events.js'
import type { Credentials } from '../extract.js'
import { type DpopVerifierOptions, resolveDpopOptions } from './options.js'
import { type DpopProof, type DpopVerifier, verifierFor } from './verify-proof.js'

/**
 * How the gate treats DPoP (RFC 9449):
 * - `'allowed'`: `cnf.jkt`-bound tokens need `Authorization: DPoP` and a valid proof; unbound tokens
 *   work as bearer tokens;
 * - `'required'`: only the `DPoP` scheme is accepted, every token must be bound;
 * - `'disabled'`: only `Bearer`; bound tokens are refused.
 */
export type DpopMode = 'allowed' | 'required' | 'disabled'

/**
 * The gate's `dpop` option: the mode and the proof checks. `clockTolerance` and `onEvent` come from the
 * gate's own options.
 *
 * @example
 * ```ts
 * createGate({
 *   issuers,
 *   dpop: { mode: 'required', replayStore: redisReplayStore({ client }), nonce: { secrets: [secret] } },
 * })
 * ```
 */
export interface GateDpopOptions extends Omit<DpopVerifierOptions, 'clockTolerance' | 'onEvent'> {
  /** Default `'allowed'`. */
  readonly mode?: DpopMode
}

/** A gate's DPoP settings, built once. */
export interface GateDpop {
  readonly mode: DpopMode
  /** The schemes `Authorization` may use. */
  readonly schemes: readonly AuthScheme[]
  /** What the gate's challenges say about DPoP (`algs`, DPoP only). */
  readonly challenge: Pick<ChallengeOptions, 'dpopAlgorithms' | 'dpopOnly'>
  /**
   * Holds `auth` to the request's credentials: the same `auth` for a bearer token, an `auth` with
   * `dpop` once the proof verified.
   * @throws GateError
   */
  constrain(
    auth: Auth,
    credentials: Credentials,
    request: GateRequest | undefined,
    nowMs: number,
  ): Auth | Promise<Auth>
}

const MODES: readonly DpopMode[] = ['allowed', 'required', 'disabled']

/**
 * Checks the gate's `dpop` option; a mistake throws a `TypeError` naming it (`dpop.mode`,
 * `dpop.algorithms`, …).
 */
export function resolveGateDpop(
  options: GateDpopOptions | undefined,
  clockTolerance: number,
  onEvent: EventListener | undefined,
): GateDpop {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError('dpop must be an options object')
  }
  const mode = options?.mode ?? 'allowed'
  if (!MODES.includes(mode)) throw new TypeError(`dpop.mode must be one of ${MODES.join(', ')}`)
  if (mode === 'disabled') {
    if (options !== undefined && Object.keys(options).some((name) => name !== 'mode')) {
      throw new TypeError('dpop: options other than mode have no effect with mode "disabled"')
    }
    return DISABLED
  }
  const { mode: _, ...proofOptions } = options ?? {}
  const settings = resolveDpopOptions(
    { ...proofOptions, clockTolerance, ...(onEvent === undefined ? {} : { onEvent }) },
    'dpop',
  )
  const verifier = verifierFor(settings)
  const required = mode === 'required'
  return Object.freeze({
    mode,
    schemes: required ? DPOP_ONLY : BOTH,
    challenge: Object.freeze({ dpopAlgorithms: settings.algorithms, dpopOnly: required }),
    constrain: (auth: Auth, credentials: Credentials, request: GateRequest | undefined, nowMs: number) =>
      credentials.scheme === 'DPoP'
        ? proveBinding(verifier, auth, credentials, request, nowMs)
        : bearer(auth),
  })
}

const BEARER_ONLY: readonly AuthScheme[] = Object.freeze(['Bearer'])
const DPOP_ONLY: readonly AuthScheme[] = Object.freeze(['DPoP'])
const BOTH: readonly AuthScheme[] = Object.freeze(['Bearer', 'DPoP'])

const DISABLED: GateDpop = Object.freeze({
  mode: 'disabled',
  schemes: BEARER_ONLY,
  challenge: Object.freeze({}),
  constrain: (auth: Auth) => bearer(auth),
})

/** The `cnf.jkt` a verified token is bound to (claim validation admits no other `cnf`). */
function boundKey(auth: Auth): string | undefined {
  const cnf = (auth.claims as { cnf?: { jkt?: unknown } }).cnf
  return typeof cnf?.jkt === 'string' ? cnf.jkt : undefined
}

/** A bearer token must not be bound: a bound one would be downgraded (RFC 9449 §7.2). */
function bearer(auth: Auth): Auth {
  if (boundKey(auth) !== undefined) {
    throw new InvalidTokenError('cnf', 'sender-constrained token not accepted as a bearer token')
  }
  return auth
}

async function proveBinding(
  verifier: DpopVerifier,
  auth: Auth,
  credentials: Credentials,
  request: GateRequest | undefined,
  nowMs: number,
): Promise<Auth> {
  const jkt = boundKey(auth)
  // An unbound token cannot satisfy RFC 9449 §4.3 item 12 (SECURITY §7.2 dpop-scheme-with-unbound-token).
  if (jkt === undefined) throw new DpopBindingError(undefined, 'token is not bound to a DPoP key')
  if (request === undefined) throw new DpopBindingError(undefined, 'DPoP proof needs the request')
  const proof: DpopProof = await verifier.verify(
    {
      proof: headerLines(request, 'dpop'),
      method: request.method,
      url: request.url,
      accessToken: credentials.token,
      jkt,
    },
    nowMs,
  )
  return Object.freeze(stampAuth({ ...auth, dpop: proof }, producerOf(auth))) as Auth
}
