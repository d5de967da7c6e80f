/**
 * DPoP benchmark (RFC 9449), on one process:
 *
 * 1. A DPoP request through the gate (RS256 Vercel token bound to an ES256 client key, a fresh ES256
 *    proof per request, the in-memory replay store, the verified-token cache on) against the
 *    node:crypto floor of the same work done by hand: parse and verify the RS256 token, parse and verify
 *    the ES256 proof with a prepared key. Target: at most 1.25× the floor's time per request.
 * 2. The Redis replay store (node-redis, a local redis-server) against the in-memory store, 10 requests
 *    in flight. Targets: throughput at least 0.8× the memory store's, median latency at most 0.3 ms more.
 *    Also: CPU time of this process per request, and the median latency with one request in flight.
 *    This process runs pinned to core 0 and redis-server to core 1 (when `taskset` is available).
 *
 * 3. The same two stores behind a real route: a Fastify server per store (core 0), autocannon with 10
 *    connections and a fresh proof per request (core 1, beside redis-server). Target: Redis throughput at
 *    least 0.8× the memory store's, paired by round.
 *
 *   node --import tsx bench/dpop.ts [--proofs N] [--rounds N] [--route-seconds S]
 */
import { spawnSync } from 'node:child_process'
import { createPublicKey, KeyObject, randomUUID, sign, verify } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGate, type Gate, type GateRequest, memoryReplayStore, type ReplayStore } from '@oidc-gate/core'
import { redisReplayStore } from '@oidc-gate/redis'
import { accessTokenHash, dpopThumbprint, startRedisServer } from '@oidc-gate/testing'
import { generateKeyPair } from 'jose'
import { createClient } from 'redis'
import { createFixture, type Fixture } from './lib/fixtures.ts'
import { createFloorVerifier } from './lib/floor.ts'
import { hasTaskset, type NodeChild, pinSelf } from './lib/proc.ts'
import { cpuOf, type RunningServer, startLoader, startServer, stopServer } from './lib/servers.ts'
import { flag, fmt, median, ratio, table } from './lib/stats.ts'

const URL = 'https://api.example.com/orders'
const B64URL = /^[A-Za-z0-9_-]+$/

interface Client {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  readonly jwk: Record<string, unknown>
  readonly token: string
  readonly ath: string
}

async function client(fixture: Fixture): Promise<Client> {
  const pair = await generateKeyPair('ES256', { extractable: true })
  const privateKey = KeyObject.from(pair.privateKey)
  const publicKey = createPublicKey(privateKey)
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' })
  const token = await fixture.issuer.mint({}, { ttl: 3 * 3600, jkt: await dpopThumbprint(pair) })
  return { privateKey, publicKey, jwk: { kty, crv, x, y }, token, ath: await accessTokenHash(token) }
}

/** `count` proofs for `GET url`, each with its own `jti`, signed with node:crypto. */
function proofs(c: Client, count: number, url = URL): string[] {
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: c.jwk })).toString(
    'base64url',
  )
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    const iat = Math.floor(Date.now() / 1000)
    const claims = { jti: randomUUID(), htm: 'GET', htu: url, iat, ath: c.ath }
    const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
    const signature = sign('sha256', Buffer.from(input), { key: c.privateKey, dsaEncoding: 'ieee-p1363' })
    out.push(`${input}.${signature.toString('base64url')}`)
  }
  return out
}

function requests(c: Client, values: readonly string[]): GateRequest[] {
  return values.map((dpop) => ({
    method: 'GET',
    url: URL,
    headers: { authorization: `DPoP ${c.token}`, dpop },
  }))
}

/** The floor's proof half: split, base64url check, JSON.parse of both parts, ES256 verify, the claims. */
function floorProof(proof: string, key: { key: KeyObject; dsaEncoding: 'ieee-p1363' }, ath: string): void {
  const a = proof.indexOf('.')
  const b = proof.indexOf('.', a + 1)
  const h = proof.slice(0, a)
  const p = proof.slice(a + 1, b)
  const s = proof.slice(b + 1)
  if (!B64URL.test(h) || !B64URL.test(p) || !B64URL.test(s)) throw new Error('bad base64url')
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'))
  if (header.typ !== 'dpop+jwt' || header.alg !== 'ES256') throw new Error('header')
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'))
  if (!verify('sha256', Buffer.from(proof.slice(0, b), 'latin1'), key, Buffer.from(s, 'base64url'))) {
    throw new Error('signature')
  }
  if (claims.htm !== 'GET' || claims.htu !== URL || claims.ath !== ath) throw new Error('claims')
}

async function timeGate(gate: Gate, batch: readonly GateRequest[]): Promise<number> {
  const start = process.hrtime.bigint()
  for (const request of batch) await gate.authenticate(request)
  return Number(process.hrtime.bigint() - start) / 1e6 / batch.length
}

function gateFor(fixture: Fixture, replayStore: ReplayStore): Gate {
  return createGate({ issuers: [fixture.profile()], dpop: { replayStore } }) as unknown as Gate
}

async function againstFloor(fixture: Fixture, c: Client, count: number, rounds: number) {
  const floorToken = createFloorVerifier({
    key: fixture.key,
    alg: 'RS256',
    issuer: fixture.issuer.issuer,
    audience: fixture.issuer.audience,
  })
  const proofKey = { key: c.publicKey, dsaEncoding: 'ieee-p1363' as const }
  const gateMs: number[] = []
  const floorMs: number[] = []
  for (let round = 0; round < rounds; round++) {
    const batch = proofs(c, count + 1)
    const gate = gateFor(fixture, memoryReplayStore({ maxEntries: 1_000_000 }))
    const [warm, ...rest] = requests(c, batch)
    await gate.authenticate(warm as GateRequest) // fetches the JWKS, fills the token cache
    gateMs.push(await timeGate(gate, rest))
    gate.close()
    const start = process.hrtime.bigint()
    for (const proof of batch.slice(1)) {
      floorToken(c.token)
      floorProof(proof, proofKey, c.ath)
    }
    floorMs.push(Number(process.hrtime.bigint() - start) / 1e6 / count)
  }
  return { gate: median(gateMs), floor: median(floorMs) }
}

/** `inFlight` loops, each authenticating its share of `batch` one after the other. */
async function concurrent(gate: Gate, batch: readonly GateRequest[], inFlight: number) {
  const latencies: number[] = []
  let next = 0
  const cpu = process.cpuUsage()
  const start = process.hrtime.bigint()
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < batch.length) {
        const request = batch[next++] as GateRequest
        const t = process.hrtime.bigint()
        await gate.authenticate(request)
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6)
      }
    }),
  )
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const used = process.cpuUsage(cpu)
  // CPU time of this process per request: what the API pays, apart from Redis sharing the machine.
  const cpuUs = (used.user + used.system) / batch.length
  return { throughput: batch.length / seconds, p50: median(latencies), cpuUs }
}

async function redisAgainstMemory(fixture: Fixture, c: Client, count: number, rounds: number) {
  const redis = await startRedisServer()
  // The API on core 0, Redis on core 1, as on two machines: the API process does not pay for Redis's
  // CPU, and each store runs on the same core as the other.
  const restore = pinSelf(0)
  if (hasTaskset() && redis.pid !== undefined) {
    spawnSync('taskset', ['-a', '-p', '-c', '1', String(redis.pid)], { stdio: 'ignore' })
  }
  const connection = createClient({
    socket: { host: '127.0.0.1', port: redis.port },
    disableOfflineQueue: true,
  })
  connection.on('error', () => {})
  await connection.connect()
  type Run = { throughput: number; p50: number; cpuUs: number; p50Alone: number }
  const results: { memory: Run[]; redis: Run[] } = { memory: [], redis: [] }
  try {
    for (let round = 0; round < rounds; round++) {
      for (const kind of ['memory', 'redis'] as const) {
        const store =
          kind === 'memory'
            ? memoryReplayStore({ maxEntries: 1_000_000 })
            : redisReplayStore({ client: connection })
        const gate = gateFor(fixture, store)
        const [warm, ...rest] = requests(c, proofs(c, count + 1))
        await gate.authenticate(warm as GateRequest)
        const half = rest.length >> 1
        const loaded = await concurrent(gate, rest.slice(0, half), 10)
        const alone = await concurrent(gate, rest.slice(half), 1)
        results[kind].push({ ...loaded, p50Alone: alone.p50 })
        gate.close()
      }
    }
  } finally {
    await connection.quit()
    await redis.kill()
    restore()
  }
  const summary = (kind: 'memory' | 'redis') => ({
    throughput: median(results[kind].map((r) => r.throughput)),
    p50: median(results[kind].map((r) => r.p50)),
    cpuUs: median(results[kind].map((r) => r.cpuUs)),
    p50Alone: median(results[kind].map((r) => r.p50Alone)),
  })
  return { memory: summary('memory'), redis: summary('redis') }
}

/**
 * The two stores behind a real route: a Fastify server per store (pinned to core 0) answering
 * `GET /hello` with the gate, autocannon with 10 connections (core 1, with redis-server), each request
 * with a fresh proof; `seconds` of load per store per round, the order alternating.
 */
async function storesOnRoute(fixture: Fixture, c: Client, rounds: number, seconds: number) {
  const redis = await startRedisServer()
  if (hasTaskset() && redis.pid !== undefined) {
    spawnSync('taskset', ['-a', '-p', '-c', '1', String(redis.pid)], { stdio: 'ignore' })
  }
  const restore = pinSelf(1)
  const dir = mkdtempSync(join(tmpdir(), 'oidc-gate-dpop-'))
  const servers: RunningServer[] = []
  let loader: NodeChild | undefined
  type Run = { rps: number; cpuUs: number; p50: number }
  const results: { memory: Run[]; redis: Run[] } = { memory: [], redis: [] }
  try {
    const { issuer } = fixture
    const base = {
      framework: 'fastify' as const,
      issuerUrl: issuer.url,
      team: 'acme',
      iss: issuer.issuer,
      aud: issuer.audience,
      jwksUri: issuer.jwksUri,
      redisPort: redis.port,
    }
    const byKind = {
      memory: await startServer({ ...base, variant: 'dpop-memory' }),
      redis: await startServer({ ...base, variant: 'dpop-redis' }),
    }
    servers.push(byKind.memory, byKind.redis)
    for (const server of servers) {
      const [proof] = proofs(c, 1, server.url)
      const response = await fetch(server.url, {
        headers: { authorization: `DPoP ${c.token}`, dpop: proof as string },
      })
      await response.arrayBuffer()
      if (response.status !== 200) throw new Error(`${server.variant}: a DPoP request got ${response.status}`)
    }
    const tokensFile = join(dir, 'tokens.json')
    writeFileSync(tokensFile, JSON.stringify({ repeated: c.token, distinct: [c.token] }))
    const loading = await startLoader(tokensFile)
    loader = loading.loader
    const window = async (kind: 'memory' | 'redis', duration: number): Promise<Run> => {
      const server = byKind[kind]
      const proofsFile = join(dir, `${kind}.json`)
      // More than the route can use: a proof used twice would be refused as a replay (and fail the run).
      writeFileSync(proofsFile, JSON.stringify(proofs(c, duration * MAX_ROUTE_RPS, server.url)))
      const before = await cpuOf(server)
      const result = await loading.run({
        url: server.url,
        tokens: 'dpop',
        duration,
        connections: 10,
        dpop: { token: c.token, proofsFile },
      })
      const cpu = (await cpuOf(server)) - before
      if (result.non2xx > 0 || result.errors > 0) {
        throw new Error(
          `${kind} store: ${result.non2xx} non-2xx answers and ${result.errors} errors (more than ${MAX_ROUTE_RPS} requests/s used up the proofs?)`,
        )
      }
      return { rps: result.rps, cpuUs: cpu / result.ok, p50: result.p50 }
    }
    for (const kind of ['memory', 'redis'] as const) await window(kind, 1)
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['memory', 'redis'] as const) : (['redis', 'memory'] as const)
      for (const kind of order) results[kind].push(await window(kind, seconds))
    }
  } finally {
    for (const server of servers) await stopServer(server)
    await loader?.stop()
    await redis.kill()
    rmSync(dir, { recursive: true, force: true })
    restore()
  }
  const paired = median(results.redis.map((r, i) => r.rps / (results.memory[i] as Run).rps))
  const summary = (kind: 'memory' | 'redis') => ({
    rps: median(results[kind].map((r) => r.rps)),
    cpuUs: median(results[kind].map((r) => r.cpuUs)),
    p50: median(results[kind].map((r) => r.p50)),
  })
  return { memory: summary('memory'), redis: summary('redis'), paired }
}

/** Proofs made per second of route load: more than the route can answer on this machine. */
const MAX_ROUTE_RPS = 15_000

const count = Number(flag(process.argv, 'proofs') ?? 3000)
const rounds = Number(flag(process.argv, 'rounds') ?? 5)
const fixture = await createFixture('RS256')
try {
  const c = await client(fixture)
  const floor = await againstFloor(fixture, c, count, rounds)
  const stores = await redisAgainstMemory(fixture, c, count, rounds)
  const route = await storesOnRoute(fixture, c, rounds, Number(flag(process.argv, 'route-seconds') ?? 2))
  const timeRatio = floor.gate / floor.floor
  const throughputRatio = stores.redis.throughput / stores.memory.throughput
  const addedP50 = stores.redis.p50 - stores.memory.p50
  console.log(`DPoP, ${count} proofs per round, median of ${rounds} rounds\n`)
  console.log(
    table(
      ['measure', 'value', 'target', 'met'],
      [
        [
          'gate, µs per DPoP request (RS256 token cached, ES256 proof, memory store)',
          fmt(floor.gate * 1000, 1),
          '',
          '',
        ],
        ['node:crypto floor, µs (RS256 + ES256 parse and verify)', fmt(floor.floor * 1000, 1), '', ''],
        ['gate / floor', ratio(timeRatio), '≤ 1.25×', timeRatio <= 1.25 ? 'yes' : 'no'],
        ['memory store, requests/s (10 in flight, no HTTP)', fmt(stores.memory.throughput), '', ''],
        ['Redis store, requests/s (10 in flight, no HTTP)', fmt(stores.redis.throughput), '', ''],
        ['Redis / memory throughput (no HTTP)', ratio(throughputRatio), '', ''],
        ['on a Fastify route, memory store, requests/s (10 connections)', fmt(route.memory.rps), '', ''],
        ['on a Fastify route, Redis store, requests/s (10 connections)', fmt(route.redis.rps), '', ''],
        [
          'on a Fastify route, Redis / memory throughput (paired by round)',
          ratio(route.paired),
          '≥ 0.8×',
          route.paired >= 0.8 ? 'yes' : 'no',
        ],
        [
          'on a Fastify route, server CPU µs per request, memory / Redis store',
          `${fmt(route.memory.cpuUs, 1)} / ${fmt(route.redis.cpuUs, 1)}`,
          '',
          '',
        ],
        [
          'on a Fastify route, p50 ms (autocannon, 1 ms resolution), memory / Redis store',
          `${fmt(route.memory.p50, 1)} / ${fmt(route.redis.p50, 1)}`,
          '',
          '',
        ],
        ['memory store, CPU µs per request (this process)', fmt(stores.memory.cpuUs, 1), '', ''],
        ['Redis store, CPU µs per request (this process)', fmt(stores.redis.cpuUs, 1), '', ''],
        ['memory store p50, ms', fmt(stores.memory.p50, 3), '', ''],
        ['Redis store p50, ms', fmt(stores.redis.p50, 3), '', ''],
        ['added p50, ms', fmt(addedP50, 3), '≤ 0.3 ms', addedP50 <= 0.3 ? 'yes' : 'no'],
        ['memory store p50, one request in flight, ms', fmt(stores.memory.p50Alone, 3), '', ''],
        ['Redis store p50, one request in flight, ms', fmt(stores.redis.p50Alone, 3), '', ''],
        [
          'added p50, one request in flight, ms',
          fmt(stores.redis.p50Alone - stores.memory.p50Alone, 3),
          '',
          '',
        ],
      ],
    ),
  )
} finally {
  await fixture.issuer.close()
}
