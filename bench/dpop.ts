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
 *    redis-server runs on the same machine and competes for its cores.
 *
 *   node --import tsx bench/dpop.ts [--proofs N] [--rounds N]
 */
import { createPublicKey, KeyObject, randomUUID, sign, verify } from 'node:crypto'
import { createGate, type Gate, type GateRequest, memoryReplayStore, type ReplayStore } from '@oidc-gate/core'
import { redisReplayStore } from '@oidc-gate/redis'
import { accessTokenHash, dpopThumbprint, startRedisServer } from '@oidc-gate/testing'
import { generateKeyPair } from 'jose'
import { createClient } from 'redis'
import { createFixture, type Fixture } from './lib/fixtures.ts'
import { createFloorVerifier } from './lib/floor.ts'
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

/** `count` proofs for `GET` {@link URL}, each with its own `jti`, signed with node:crypto. */
function proofs(c: Client, count: number): string[] {
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: c.jwk })).toString(
    'base64url',
  )
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    const iat = Math.floor(Date.now() / 1000)
    const claims = { jti: randomUUID(), htm: 'GET', htu: URL, iat, ath: c.ath }
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
  }
  const summary = (kind: 'memory' | 'redis') => ({
    throughput: median(results[kind].map((r) => r.throughput)),
    p50: median(results[kind].map((r) => r.p50)),
    cpuUs: median(results[kind].map((r) => r.cpuUs)),
    p50Alone: median(results[kind].map((r) => r.p50Alone)),
  })
  return { memory: summary('memory'), redis: summary('redis') }
}

const count = Number(flag(process.argv, 'proofs') ?? 3000)
const rounds = Number(flag(process.argv, 'rounds') ?? 5)
const fixture = await createFixture('RS256')
try {
  const c = await client(fixture)
  const floor = await againstFloor(fixture, c, count, rounds)
  const stores = await redisAgainstMemory(fixture, c, count, rounds)
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
        ['memory store, requests/s (10 in flight)', fmt(stores.memory.throughput), '', ''],
        ['Redis store, requests/s (10 in flight)', fmt(stores.redis.throughput), '', ''],
        [
          'Redis / memory throughput',
          ratio(throughputRatio),
          '≥ 0.8×',
          throughputRatio >= 0.8 ? 'yes' : 'no',
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
