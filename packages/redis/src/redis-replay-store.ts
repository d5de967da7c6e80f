/**
 * A DPoP replay store on Redis (SECURITY R1–R5): several instances of a service share it, so a proof is
 * accepted once across all of them. One atomic `SET key 1 NX PX ttl` per proof, never `GET` then `SET`.
 */

import { type ReplayStore, ReplayStoreUnavailableError } from '@oidc-gate/core'
import { type RedisClientLike, wrapClient } from './client.js'

/** Options of {@link redisReplayStore}. */
export interface RedisReplayStoreOptions {
  /**
   * A connected client: node-redis v4 or v5 (`createClient()` from `redis`, after `await connect()`) or
   * ioredis (`new Redis()`). Cluster clients are not supported. Required.
   */
  readonly client: RedisClientLike
  /** Prefix of every key written. Default `'oidc-gate:dpop:'`. */
  readonly prefix?: string
  /**
   * How long one claim may take before it counts as a failure, in ms. Default 1000 (1 s).
   */
  readonly timeoutDuration?: number
  /**
   * Accept the proof when Redis cannot answer, instead of refusing the request with 503. **Dangerous**:
   * while Redis is down, every proof can be replayed within its lifetime. Only for services where
   * availability matters more than single use, ideally combined with server nonces. Default `false`.
   */
  readonly failOpen?: boolean
  /** Called with every Redis error (connection lost, timeout, …), for logs. Default: none. */
  readonly onError?: (error: unknown) => void
}

const OPTION_NAMES = ['client', 'prefix', 'timeoutDuration', 'failOpen', 'onError']

/** Seconds a client is asked to wait after a 503: a reconnect usually takes about that long. */
const RETRY_AFTER = 1

/**
 * Creates a replay store on Redis. Options are checked here: a mistake throws a `TypeError` naming it.
 *
 * A claim fails (503 with `Retry-After`) at once while the client is disconnected, and after
 * `timeoutDuration` when Redis does not answer; the store works again as soon as the client has
 * reconnected, with nothing to restart.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis'
 * import { redisReplayStore } from '@oidc-gate/redis'
 *
 * const client = createClient({ url: process.env.REDIS_URL, disableOfflineQueue: true })
 * client.on('error', (error) => log.warn({ error }, 'redis'))
 * await client.connect()
 * const gate = createGate({ issuers, dpop: { replayStore: redisReplayStore({ client }) } })
 * ```
 */
export function redisReplayStore(options: RedisReplayStoreOptions): ReplayStore {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('redisReplayStore() needs an options object with a client')
  }
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name)) throw new TypeError(`redisReplayStore(): unknown option "${name}"`)
  }
  const { prefix = 'oidc-gate:dpop:', timeoutDuration = 1000, failOpen = false, onError } = options
  if (typeof prefix !== 'string') throw new TypeError('redisReplayStore(): prefix must be a string')
  if (!Number.isInteger(timeoutDuration) || timeoutDuration < 1) {
    throw new TypeError('redisReplayStore(): timeoutDuration must be a positive integer number of ms')
  }
  if (typeof failOpen !== 'boolean') throw new TypeError('redisReplayStore(): failOpen must be a boolean')
  if (onError !== undefined && typeof onError !== 'function') {
    throw new TypeError('redisReplayStore(): onError must be a function')
  }
  const report = (error: unknown): void => {
    try {
      onError?.(error)
    } catch {
      // A faulty logger must not turn a Redis hiccup into a crash.
    }
  }
  const client = wrapClient(options.client, report)

  const unavailable = (error: unknown): boolean => {
    report(error)
    if (failOpen) return true
    throw new ReplayStoreUnavailableError(RETRY_AFTER, { cause: error })
  }

  return {
    // No async function, race or finally: one promise settled by the reply or the deadline, whichever
    // comes first, and one timer, cleared by the reply.
    claim(key: string, expiresAtMs: number): Promise<boolean> {
      const ttl = Math.max(1, Math.ceil(expiresAtMs - Date.now()))
      let pending: Promise<boolean>
      try {
        if (!client.ready()) throw new Error('Redis client is not connected')
        pending = client.setNx(`${prefix}${key}`, ttl)
      } catch (error) {
        return settleNow(unavailable, error)
      }
      return new Promise<boolean>((resolve, reject) => {
        // Whichever comes first settles the claim; the other is ignored (a reply or an error arriving
        // after the deadline is not reported a second time).
        let settled = false
        const timer = setTimeout(() => {
          fail(new Error(`Redis did not answer within ${timeoutDuration} ms`))
        }, timeoutDuration)
        const fail = (error: unknown): void => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          try {
            resolve(unavailable(error))
          } catch (refusal) {
            reject(refusal)
          }
        }
        pending.then((claimed) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          resolve(claimed)
        }, fail)
      })
    },
  }
}

/** `fail(error)` as a settled promise. */
function settleNow(fail: (error: unknown) => boolean, error: unknown): Promise<boolean> {
  try {
    return Promise.resolve(fail(error))
  } catch (refusal) {
    return Promise.reject(refusal)
  }
}
