/**
 * The two Redis client families, told apart by shape (neither is imported): node-redis v4/v5
 * (`sendCommand(args)`, `isReady`) and ioredis (`call(command, ...args)`, `status`). Each gets one
 * operation, `SET key 1 NX PX ttl`, and a readiness check so a disconnected client answers at once instead
 * of queueing the command until Redis comes back.
 */

/** A connected node-redis v4 or v5 client (`createClient()` from `redis`), the parts used here. */
export interface NodeRedisClient {
  readonly isReady: boolean
  sendCommand(args: string[]): Promise<unknown>
  on(event: 'error', listener: (error: unknown) => void): unknown
  listenerCount(event: 'error'): number
}

/** An ioredis client (`new Redis()` from `ioredis`), the parts used here. */
export interface IoRedisClient {
  readonly status: string
  call(command: string, ...args: string[]): Promise<unknown>
  on(event: 'error', listener: (error: unknown) => void): unknown
  listenerCount(event: 'error'): number
}

/** Either client. */
export type RedisClientLike = NodeRedisClient | IoRedisClient

/** What the store needs of a client. */
export interface SetNxClient {
  /** Whether the connection is up; when not, a command would only wait in the client's offline queue. */
  ready(): boolean
  /** `SET key 1 NX PX ttl`: `true` when set, `false` when the key existed. */
  setNx(key: string, ttlMs: number): Promise<boolean>
}

/**
 * Wraps `client`; throws a `TypeError` naming the `client` option when it is neither kind. Adds an
 * `error` listener when the client has none: node-redis would otherwise crash the process on a lost
 * connection.
 */
export function wrapClient(client: unknown, onError: (error: unknown) => void): SetNxClient {
  const candidate = client as Partial<NodeRedisClient & IoRedisClient> | null
  const isIoRedis = typeof candidate?.call === 'function' && typeof candidate.status === 'string'
  const isNodeRedis = typeof candidate?.sendCommand === 'function' && typeof candidate.isReady === 'boolean'
  if (candidate === null || (!isIoRedis && !isNodeRedis)) {
    throw new TypeError('redisReplayStore(): client must be a node-redis (v4, v5) or ioredis client')
  }
  if (typeof candidate.listenerCount === 'function' && candidate.listenerCount('error') === 0) {
    candidate.on?.('error', onError)
  }
  if (isIoRedis) {
    const io = client as IoRedisClient
    return {
      ready: () => io.status === 'ready',
      setNx: (key, ttlMs) => io.call('SET', key, '1', 'NX', 'PX', String(ttlMs)).then(isOk),
    }
  }
  const node = client as NodeRedisClient
  return {
    ready: () => node.isReady,
    setNx: (key, ttlMs) => node.sendCommand(['SET', key, '1', 'NX', 'PX', String(ttlMs)]).then(isOk),
  }
}

/** `OK` when `SET … NX` set the key, `null` when it existed; anything else is a broken reply. */
function isOk(reply: unknown): boolean {
  if (reply === 'OK') return true
  if (reply === null) return false
  throw new Error('unexpected reply to SET NX')
}
