import { createDpopVerifier, type ReplayStore, ReplayStoreUnavailableError } from '@oidc-gate/core'
import { createDpopProof, dpopThumbprint, type RedisServer, startRedisServer } from '@oidc-gate/testing'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { createClient as createClient4 } from 'redis4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RedisClientLike, redisReplayStore } from '../src/index.js'

/** A client of one kind, with options that fail fast while Redis is down. */
interface ClientKind {
  readonly name: string
  connect(port: number, errors: unknown[]): Promise<RedisClientLike & { quit(): Promise<unknown> }>
}

const reconnectQuickly = (retries: number): number => Math.min(50 * (retries + 1), 200)

/** `createClient` of node-redis v4 and v5, as used here: both take these options. */
type CreateNodeRedis = (options: {
  socket: {
    host: string
    port: number
    connectTimeout: number
    reconnectStrategy: (retries: number) => number
  }
  disableOfflineQueue: boolean
}) => { on(event: 'error', listener: (error: unknown) => void): unknown; connect(): Promise<unknown> }

/** A node-redis client kind. */
function nodeRedis(name: string, create: CreateNodeRedis): ClientKind {
  return {
    name,
    async connect(port, errors) {
      const client = create({
        socket: { host: '127.0.0.1', port, connectTimeout: 1000, reconnectStrategy: reconnectQuickly },
        disableOfflineQueue: true,
      })
      client.on('error', (error) => errors.push(error))
      await client.connect()
      return client as unknown as RedisClientLike & { quit(): Promise<unknown> }
    },
  }
}

const KINDS: readonly ClientKind[] = [
  nodeRedis('node-redis v5', createClient as unknown as CreateNodeRedis),
  nodeRedis('node-redis v4', createClient4 as unknown as CreateNodeRedis),
  {
    name: 'ioredis',
    async connect(port, errors) {
      const client = new Redis({
        host: '127.0.0.1',
        port,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: 1000,
        retryStrategy: reconnectQuickly,
        lazyConnect: true,
      })
      client.on('error', (error) => errors.push(error))
      await client.connect()
      return client
    },
  },
]

/** `store.claim()` as a promise, whatever the store returns. */
function claim(store: ReplayStore, key: string, expiresAtMs: number): Promise<boolean> {
  return Promise.resolve(store.claim(key, expiresAtMs))
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function settlesWithin<T>(
  promise: Promise<T>,
): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const start = performance.now()
  const [result] = await Promise.allSettled([promise])
  return { ms: performance.now() - start, result: result as PromiseSettledResult<T> }
}

let server: RedisServer
beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(async () => {
  await server?.kill()
})

describe.each(KINDS)('redisReplayStore with $name', (kind) => {
  let client: Awaited<ReturnType<ClientKind['connect']>>
  let store: ReplayStore
  const errors: unknown[] = []
  let prefix: string

  beforeAll(async () => {
    client = await kind.connect(server.port, errors)
    prefix = `test:${kind.name}:${Math.random()}:`
    store = redisReplayStore({ client, prefix })
  })
  afterAll(async () => {
    await client?.quit().catch(() => {})
  })

  it('claims a key once: the second claim answers false', async () => {
    const expires = Date.now() + 60_000
    await expect(store.claim('once', expires)).resolves.toBe(true)
    await expect(store.claim('once', expires)).resolves.toBe(false)
  })

  it('gives exactly one of 50 concurrent claims of one key', async () => {
    const expires = Date.now() + 60_000
    const results = await Promise.all(Array.from({ length: 50 }, () => store.claim('race', expires)))
    expect(results.filter((r) => r === true)).toHaveLength(1)
  })

  it('lets the key expire at expiresAtMs (SET … PX)', async () => {
    await expect(store.claim('short', Date.now() + 300)).resolves.toBe(true)
    await expect(store.claim('short', Date.now() + 300)).resolves.toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 450))
    await expect(store.claim('short', Date.now() + 300)).resolves.toBe(true)
  })

  it('answers 503 within about a second while Redis is down, and works again once it is back', async () => {
    await expect(store.claim('before', Date.now() + 60_000)).resolves.toBe(true)
    await server.kill()
    for (let i = 0; i < 3; i++) {
      const { ms, result } = await settlesWithin(claim(store, `down-${i}`, Date.now() + 60_000))
      expect(result.status).toBe('rejected')
      const reason = (result as PromiseRejectedResult).reason
      expect(reason).toBeInstanceOf(ReplayStoreUnavailableError)
      expect({ status: reason.status, headers: reason.headers }).toEqual({
        status: 503,
        headers: { 'retry-after': '1' },
      })
      expect(ms).toBeLessThan(1200)
    }
    await server.restart()
    await until(async () => {
      try {
        return await store.claim(`after-${Math.random()}`, Date.now() + 60_000)
      } catch {
        return false
      }
    }, 10_000)
    // A fresh server: no state survived (no persistence), the store simply works again.
    await expect(store.claim('again', Date.now() + 60_000)).resolves.toBe(true)
    await expect(store.claim('again', Date.now() + 60_000)).resolves.toBe(false)
  })

  it('answers 503 after timeoutDuration when Redis hangs, and works again when it answers', async () => {
    const quick = redisReplayStore({ client, prefix, timeoutDuration: 300 })
    server.pause()
    try {
      const { ms, result } = await settlesWithin(claim(quick, 'hung', Date.now() + 60_000))
      expect(result.status).toBe('rejected')
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(ReplayStoreUnavailableError)
      expect(ms).toBeGreaterThanOrEqual(290)
      expect(ms).toBeLessThan(800)
    } finally {
      server.resume()
    }
    await until(
      async () => claim(quick, `resumed-${Math.random()}`, Date.now() + 60_000).catch(() => false),
      10_000,
    )
  })

  it('reports a timed-out claim once, even when its command then fails', async () => {
    const reported: unknown[] = []
    const quick = redisReplayStore({ client, prefix, timeoutDuration: 200, onError: (e) => reported.push(e) })
    server.pause()
    try {
      const result = await claim(quick, 'late', Date.now() + 60_000).catch((error: unknown) => error)
      expect(result).toBeInstanceOf(ReplayStoreUnavailableError)
      expect(reported).toHaveLength(1)
      // The hung command now fails too (the connection is lost): the claim was already answered.
      await server.kill()
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(reported).toHaveLength(1)
    } finally {
      await server.restart()
    }
    await until(
      async () => claim(quick, `restarted-${Math.random()}`, Date.now() + 60_000).catch(() => false),
      10_000,
    )
  })

  it('lets proofs through while Redis is down with failOpen, reporting each error', async () => {
    const reported: unknown[] = []
    const open = redisReplayStore({ client, prefix, failOpen: true, onError: (e) => reported.push(e) })
    await server.kill()
    try {
      await expect(open.claim('open', Date.now() + 60_000)).resolves.toBe(true)
      expect(reported.length).toBeGreaterThan(0)
    } finally {
      await server.restart()
      await until(
        async () => claim(store, `ready-${Math.random()}`, Date.now() + 60_000).catch(() => false),
        10_000,
      )
    }
  })

  it('shares single use between two verifiers (two instances of a service)', async () => {
    const key = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair
    const jkt = await dpopThumbprint(key)
    const url = 'https://api.example.com/orders'
    const accessToken = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln'
    const proof = await createDpopProof({ key, htm: 'GET', htu: url, accessToken })
    const instances = [0, 1].map(() =>
      createDpopVerifier({ replayStore: redisReplayStore({ client, prefix }) }),
    )
    const request = { proof, method: 'GET', url, accessToken, jkt }
    const results = await Promise.allSettled(instances.map((instance) => instance.verify(request)))
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected'])
  })
})

describe('redisReplayStore options', () => {
  it.each([
    [{}, /client must be/],
    [{ client: {} }, /client must be/],
    [{ client: { call() {}, status: 'ready' }, prefix: 1 }, /prefix/],
    [{ client: { call() {}, status: 'ready' }, timeoutDuration: 0 }, /timeoutDuration/],
    [{ client: { call() {}, status: 'ready' }, failOpen: 'yes' }, /failOpen/],
    [{ client: { call() {}, status: 'ready' }, onError: 'log' }, /onError/],
    [{ client: { call() {}, status: 'ready' }, ttl: 5 }, /unknown option "ttl"/],
  ])('throws a TypeError naming the option for %j', (options, message) => {
    expect(() => redisReplayStore(options as never)).toThrow(TypeError)
    expect(() => redisReplayStore(options as never)).toThrow(message)
  })
})
