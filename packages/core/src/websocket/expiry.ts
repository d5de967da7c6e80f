/**
 * A WebSocket connection lives no longer than the token that opened it: at `exp` it is closed with 1008
 * (policy violation, RFC 6455 §7.4.1), and the timer goes away with the connection (DESIGN §9).
 */

/**
 * A WebSocket connection: `ws`'s `WebSocket`, the browser-style `WebSocket` of Bun, Deno and workerd, or
 * anything with `close(code, reason)` and a way to hear `close`.
 */
export interface ClosableConnection {
  close(code?: number, reason?: string): unknown
  /** `ws` and other `EventEmitter`s. */
  on?(event: 'close', listener: () => void): unknown
  /** Web-standard `WebSocket`s. */
  addEventListener?(type: 'close', listener: () => void): unknown
  /** 2 (closing) and 3 (closed) set no timer. */
  readonly readyState?: number | undefined
}

/** The close code of an expired token: 1008, policy violation (RFC 6455 §7.4.1). */
export const POLICY_VIOLATION = 1008

/** `setTimeout` holds at most 2^31 − 1 ms (~24.8 days); a longer wait is taken in steps. */
const LONGEST_TIMER = 2_147_483_647

/**
 * Closes `connection` with code 1008 and reason `token expired` when `expiresAt` (ms since the epoch, on
 * `clock`) passes; at once when it already has. The timer is cleared when the connection closes first.
 * @returns A function that cancels the timer (e.g. when the client re-authenticates).
 */
export function closeAt(connection: ClosableConnection, expiresAt: number, clock: () => number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  let done = false
  const stop = (): void => {
    done = true
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }
  const check = (): void => {
    timer = undefined
    if (done) return
    const left = expiresAt - clock()
    if (left > 0) {
      timer = setTimeout(check, Math.min(left, LONGEST_TIMER))
      return
    }
    done = true
    connection.close(POLICY_VIOLATION, 'token expired')
  }
  if (connection.readyState === 2 || connection.readyState === 3) return stop
  if (typeof connection.on === 'function') connection.on('close', stop)
  else if (typeof connection.addEventListener === 'function') connection.addEventListener('close', stop)
  check()
  return stop
}
