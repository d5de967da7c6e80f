/**
 * One HTTP server of the HTTP benchmark, run as its own process (pinned to core 0 by the parent):
 *
 *   node --import tsx bench/http-server.ts --config '{"framework":"express","variant":"gate",...}'
 *
 * It serves `GET /hello` (bare, or protected by oidc-gate — `gate`, or `gate-nocache` with `cache: false` —
 * or by the framework's popular JWT peer), or with `"variant":"routes"` the four routes of
 * bench/route-server.ts (`/bare`, `/pass-through`, `/no-store`, `/gate`), on
 * 127.0.0.1, prints `READY <port> <listen time, ms since the epoch>` once listening, then answers commands
 * on stdin: `cpu` → `CPU <user µs> <system µs>` (process.cpuUsage()), `exit` → closes and exits.
 *
 * With `"variant":"jwks-probe"` it serves nothing: it times one JWKS fetch in this fresh process (cold),
 * then the median of 20 more (warm), and prints `RTT <cold ms> <warm ms>`.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import { createGate, type Gate, memoryReplayStore, vercel } from '@oidc-gate/core'
import { redisReplayStore } from '@oidc-gate/redis'
import { expressGate, fastifyGate, honoGate, koaGate } from './lib/adapters.ts'
import { flag, median } from './lib/stats.ts'
import { ROUTES_VARIANT } from './lib/variants.ts'
import { listenRoutes } from './route-server.ts'

export type Framework = 'express' | 'fastify' | 'hono' | 'koa'

export interface ServerConfig {
  readonly framework: Framework
  /** `bare`, `gate`, a peer name, or `jwks-probe`. */
  readonly variant: string
  readonly issuerUrl: string
  readonly team: string
  readonly iss: string
  readonly aud: string
  readonly jwksUri: string
  /** For `dpop-redis`: the port of the redis-server holding the replay store. */
  readonly redisPort?: number
}

const HELLO = 'hello world'
const now = () => performance.timeOrigin + performance.now()

/**
 * `gate`: the default options (the verified-token cache on); `gate-nocache`: `cache: false`;
 * `dpop-memory` / `dpop-redis`: the default options with the DPoP replay store in memory / on Redis.
 */
async function makeGate(config: ServerConfig): Promise<Gate> {
  const issuers = [vercel({ team: config.team, baseUrl: config.issuerUrl })]
  if (config.variant === 'gate-nocache') {
    return createGate({ issuers, cache: false } as Parameters<typeof createGate>[0]) as Gate
  }
  if (config.variant === 'dpop-redis') {
    const { createClient } = await import('redis')
    const client = createClient({
      socket: { host: '127.0.0.1', port: config.redisPort as number },
      disableOfflineQueue: true,
    })
    client.on('error', () => {})
    await client.connect()
    return createGate({ issuers, dpop: { replayStore: redisReplayStore({ client }) } }) as Gate
  }
  if (config.variant === 'dpop-memory') {
    const replayStore = memoryReplayStore({ maxEntries: 1_000_000 })
    return createGate({ issuers, dpop: { replayStore } }) as Gate
  }
  return createGate({ issuers }) as Gate
}

const GATES = ['gate', 'gate-nocache', 'dpop-memory', 'dpop-redis']
const isGate = (config: ServerConfig) => GATES.includes(config.variant)

type Handler = (...args: never[]) => unknown

async function startExpress(config: ServerConfig): Promise<Server> {
  const { default: express } = await import('express')
  const app = express()
  const chain: Handler[] = []
  if (isGate(config)) {
    chain.push((await expressGate(await makeGate(config))).middleware)
  } else if (config.variant === 'express-oauth2-jwt-bearer') {
    const { auth } = await import('express-oauth2-jwt-bearer')
    chain.push(
      auth({ issuer: config.iss, audience: config.aud, jwksUri: config.jwksUri, tokenSigningAlg: 'RS256' }),
    )
  } else if (config.variant === 'express-jwt + jwks-rsa') {
    const { expressjwt } = await import('express-jwt')
    const { default: jwksRsa } = await import('jwks-rsa')
    chain.push(
      expressjwt({
        secret: jwksRsa.expressJwtSecret({ jwksUri: config.jwksUri, cache: true, rateLimit: true }) as never,
        audience: config.aud,
        issuer: config.iss,
        algorithms: ['RS256'],
      }),
    )
  } else if (config.variant !== 'bare') {
    throw new Error(`unknown express variant ${config.variant}`)
  }
  app.get('/hello', ...(chain as never[]), (_req: unknown, res: { send(b: string): void }) => res.send(HELLO))
  // Refusals (oidc-gate's GateError, the peers' UnauthorizedError) reach the error handler through
  // `next(err)`: answer with their status and headers, as Express's default handler would, but without
  // logging a stack trace per request.
  app.use(
    (
      error: { status?: number; statusCode?: number; headers?: Record<string, string> },
      _req: unknown,
      res: { status(s: number): { set(h: Record<string, string>): { end(): void } } },
      _next: unknown,
    ) =>
      res
        .status(error.status ?? error.statusCode ?? 500)
        .set(error.headers ?? {})
        .end(),
  )
  return listenNode((listener) => app.listen(0, '127.0.0.1', listener))
}

async function startFastify(config: ServerConfig): Promise<Server> {
  const { default: Fastify } = await import('fastify')
  const app = Fastify({ logger: false })
  if (isGate(config)) {
    await fastifyGate(app as never, await makeGate(config))
    app.get('/hello', async () => HELLO)
  } else if (config.variant === '@fastify/jwt + get-jwks') {
    const { default: fastifyJwt } = await import('@fastify/jwt')
    const { default: buildGetJwks } = await import('get-jwks')
    const getJwks = buildGetJwks({ jwksPath: '/.well-known/jwks', issuersWhitelist: [config.iss] })
    await app.register(fastifyJwt, {
      decode: { complete: true },
      secret: (
        _request: unknown,
        token: { header: { kid: string; alg: string }; payload: { iss: string } },
      ) => getJwks.getPublicKey({ kid: token.header.kid, alg: token.header.alg, domain: token.payload.iss }),
      verify: { allowedIss: config.iss, allowedAud: config.aud, algorithms: ['RS256'] },
    } as never)
    app.get('/hello', { onRequest: async (request) => void (await request.jwtVerify()) }, async () => HELLO)
  } else if (config.variant === 'bare') {
    app.get('/hello', async () => HELLO)
  } else {
    throw new Error(`unknown fastify variant ${config.variant}`)
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app.server
}

async function startHono(config: ServerConfig): Promise<Server> {
  const { Hono } = await import('hono')
  const { serve } = await import('@hono/node-server')
  const app = new Hono()
  if (isGate(config)) {
    app.use('/hello', (await honoGate(await makeGate(config))).middleware as never)
  } else if (config.variant === 'hono/jwk (jwks_uri)' || config.variant === 'hono/jwk (keys fetched once)') {
    const { jwk } = await import('hono/jwk')
    const verification = { iss: config.iss, aud: config.aud }
    if (config.variant === 'hono/jwk (jwks_uri)') {
      app.use('/hello', jwk({ jwks_uri: config.jwksUri, alg: ['RS256'], verification }))
    } else {
      const keys = ((await (await fetch(config.jwksUri)).json()) as { keys: never[] }).keys
      app.use('/hello', jwk({ keys, alg: ['RS256'], verification }))
    }
  } else if (config.variant !== 'bare') {
    throw new Error(`unknown hono variant ${config.variant}`)
  }
  app.get('/hello', (c) => c.text(HELLO))
  return listenNode(
    (listener) => serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, listener) as Server,
  )
}

async function startKoa(config: ServerConfig): Promise<Server> {
  const { default: Koa } = await import('koa')
  const { default: Router } = await import('@koa/router')
  const app = new Koa()
  const router = new Router()
  const chain: Handler[] = []
  if (isGate(config)) {
    chain.push((await koaGate(await makeGate(config))).middleware)
  } else if (config.variant === 'koa-jwt + jwks-rsa') {
    const { default: koaJwt } = await import('koa-jwt')
    const { default: jwksRsa } = await import('jwks-rsa')
    chain.push(
      koaJwt({
        secret: jwksRsa.koaJwtSecret({ jwksUri: config.jwksUri, cache: true, rateLimit: true }) as never,
        audience: config.aud,
        issuer: config.iss,
        algorithms: ['RS256'],
      }) as never,
    )
  } else if (config.variant !== 'bare') {
    throw new Error(`unknown koa variant ${config.variant}`)
  }
  router.get('/hello', ...(chain as never[]), (ctx: { body: unknown }) => {
    ctx.body = HELLO
  })
  app.use(router.routes())
  return listenNode((listener) => app.listen(0, '127.0.0.1', listener))
}

/** Starts a Node server and resolves once it listens. */
function listenNode(start: (listener: () => void) => Server): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = start(() => resolve(server))
    server.once('error', reject)
  })
}

async function probe(config: ServerConfig): Promise<void> {
  const once = async () => {
    const started = now()
    const response = await fetch(config.jwksUri)
    await response.text()
    if (response.status !== 200) throw new Error(`JWKS answered ${response.status}`)
    return now() - started
  }
  const cold = await once()
  const warm: number[] = []
  for (let i = 0; i < 20; i++) warm.push(await once())
  process.stdout.write(`RTT ${cold} ${median(warm)}\n`)
}

async function main(): Promise<void> {
  const config = JSON.parse(flag(process.argv.slice(2), 'config') as string) as ServerConfig
  if (config.variant === 'jwks-probe') return probe(config)
  const start = { express: startExpress, fastify: startFastify, hono: startHono, koa: startKoa }[
    config.framework
  ]
  const server =
    config.variant === ROUTES_VARIANT
      ? await listenRoutes(config.framework, await makeGate(config))
      : await start(config)
  const listenedAt = now()
  const { port } = server.address() as AddressInfo
  process.stdout.write(`READY ${port} ${listenedAt}\n`)
  const lines = createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    if (line === 'cpu') {
      const { user, system } = process.cpuUsage()
      process.stdout.write(`CPU ${user} ${system}\n`)
    } else if (line === 'exit') {
      server.closeAllConnections?.()
      server.close(() => process.exit(0))
    }
  })
  // The parent going away closes stdin: leave too.
  lines.on('close', () => process.exit(0))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
