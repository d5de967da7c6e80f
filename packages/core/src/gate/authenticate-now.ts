/**
 * The gate's request path as the adapters take it: `authenticate()` answering a cached token with the
 * `Auth` itself, so that an adapter goes on in the same tick. Recorded by `createGate()` for the gate it
 * returns, and looked up once by the adapter kit.
 */

import type { Auth } from '../auth.js'
import type { GateRequest } from '../edge/request.js'
import type { AuthenticateRequestOptions, Gate } from './types.js'

/**
 * The gate's request path for adapters (../adapter/kit.ts): `authenticate()` without a promise when the
 * answer is known at once (a cached token, or no credentials with `optional`), else the promise
 * `authenticate()` returns. Never throws. Not part of the public `Gate`.
 */
export type AuthenticateNow<C> = (
  request: GateRequest,
  options?: AuthenticateRequestOptions<C>,
) => Auth<C> | undefined | Promise<Auth<C> | undefined>

// Kept beside the gate rather than on it: a copy of a gate (`{ ...gate, authenticate: wrapped }`, a
// Proxy) has its own `authenticate`, which must not be bypassed, and it is not found here.
const paths = new WeakMap<object, AuthenticateNow<unknown>>()

/** Records `gate`'s {@link AuthenticateNow} (by `createGate()`). */
export function registerAuthenticateNow<C>(gate: Gate<C>, now: AuthenticateNow<C>): void {
  paths.set(gate, now as AuthenticateNow<unknown>)
}

/** `gate`'s {@link AuthenticateNow} when `createGate()` made that very object, else `undefined`. */
export function authenticateNowOf<C>(gate: Gate<C>): AuthenticateNow<C> | undefined {
  return paths.get(gate) as AuthenticateNow<C> | undefined
}
