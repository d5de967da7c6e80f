import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import {
  createDpopProof,
  createTestIssuer,
  type RedisServer,
  startRedisServer,
  type TestIssuer,
} from '@oidc-gate/testing'
import { generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Framework } from '../src/apps.js'

/** The origin clients use: both instances sit behind the same load balancer. */
const PUBLIC_ORIGIN = 'https://api.example.com'

interface Instance {
  readonly url: string
  readonly child: ChildProcess
}

/** Starts `src/server.ts` as its own process (TypeScript sources of the workspace packages). */
async function startInstance(
  framework: Framework,
  issuer: TestIssuer,
  redis: RedisServer,
): Promise<Instance> {
  const child = spawn(
    process.execPath,
    ['--conditions=@oidc-gate/source', '--import', 'tsx', 'src/server.ts'],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: {
        PATH: process.env.PATH,
        FRAMEWORK: framework,
        ISSUER: issuer.issuer,
        AUDIENCE: issuer.audience,
        JWKS_URI: issuer.jwksUri,
        REDIS_URL: `redis://127.0.0.1:${redis.port}`,
        PUBLIC_ORIGIN,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${framework} did not start: ${output}`)), 20_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      clearTimeout(timer)
      resolve(chunk.toString())
    })
    child.once('exit', () => reject(new Error(`${framework} exited: ${output}`)))
  })
  return { url: (JSON.parse(line) as { url: string }).url, child }
}

async function stop(instance: Instance | undefined): Promise<void> {
  const child = instance?.child
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}

describe('two instances in two processes sharing one Redis', () => {
  let redis: RedisServer
  let issuer: TestIssuer
  let instances: Instance[] = []

  beforeAll(async () => {
    redis = await startRedisServer()
    issuer = await createTestIssuer({ profile: 'oidc' })
    instances = await Promise.all([
      startInstance('express', issuer, redis),
      startInstance('fastify', issuer, redis),
    ])
  })
  afterAll(async () => {
    await Promise.all(instances.map(stop))
    await issuer?.close()
    await redis?.kill()
  })

  it('accepts the same proof sent to both at once exactly once', async () => {
    for (let round = 0; round < 5; round++) {
      const key = await generateKeyPair('ES256')
      const token = await issuer.mint({}, { dpopKey: key })
      const proof = await createDpopProof({
        key,
        htm: 'GET',
        htu: `${PUBLIC_ORIGIN}/orders/1`,
        accessToken: token,
      })
      const headers = { authorization: `DPoP ${token}`, dpop: proof }
      const responses = await Promise.all(instances.map((i) => fetch(`${i.url}/orders/1`, { headers })))
      const statuses = responses.map((r) => r.status).sort()
      expect(statuses).toEqual([200, 401])
      const refused = responses.find((r) => r.status === 401)
      expect(refused?.headers.get('www-authenticate')).toMatch(
        /^DPoP error="invalid_dpop_proof", error_description="DPoP proof replayed"/,
      )
    }
  })

  it('answers 503 with Retry-After while Redis is down, and admits proofs again once it is back', async () => {
    const key = await generateKeyPair('ES256')
    const token = await issuer.mint({}, { dpopKey: key })
    const call = async (instance: Instance) => {
      const proof = await createDpopProof({
        key,
        htm: 'GET',
        htu: `${PUBLIC_ORIGIN}/orders/2`,
        accessToken: token,
      })
      return fetch(`${instance.url}/orders/2`, { headers: { authorization: `DPoP ${token}`, dpop: proof } })
    }
    await redis.kill()
    for (const instance of instances) {
      const started = performance.now()
      const response = await call(instance)
      expect(response.status).toBe(503)
      expect(response.headers.get('retry-after')).toBe('1')
      expect(performance.now() - started).toBeLessThan(1500)
    }
    await redis.restart()
    for (const instance of instances) {
      const deadline = Date.now() + 10_000
      let status = 0
      while (status !== 200 && Date.now() < deadline) {
        status = (await call(instance)).status
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(status).toBe(200)
    }
  })
})
