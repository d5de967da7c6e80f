/**
 * The server of bench/route-cost.ts, run as its own process (pinned to core 0 by the parent):
 *
 *   node --import tsx bench/route-server.ts --config '{"framework":"koa","issuerUrl":"…","team":"acme"}'
 *
 * One app of the framework with four routes answering `hello world`: `/bare` (no middleware),
 * `/pass-through` (one middleware that only passes the request on), `/no-store` (one middleware that sets
 * `Cache-Control: no-store` the cheapest way the framework allows, as the gate must on an authenticated
 * response, and passes on) and `/gate` (the oidc-gate adapter with the default options). Around the app, the Node server times every request from its `request` event to
 * the return of `res.end()`, per route, between the `start` and `stop` commands on stdin. It prints
 * `READY <port>` once listening; `report` answers `REPORT <json: route → durations in µs>`; `exit` leaves.
 */
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import { createGate, type Gate, vercel } from '@oidc-gate/core'
import type { Framework } from './http-server.ts'
import { flag, isMain } from './lib/stats.ts'

export const ROUTES = ['bare', 'pass-through', 'no-store', 'gate'] as const
export type Route = (typeof ROUTES)[number]

export interface RouteServerConfig {
  readonly framework: Framework
  readonly issuerUrl: string
  readonly team: string
}

const HELLO = 'hello world'

// Minimal structural types of what the apps below touch.
type Next = () => Promise<unknown>
type Listener = (req: IncomingMessage, res: ServerResponse) => void

async function expressApp(gate: Gate): Promise<Listener> {
  const { default: express } = await import('express')
  const { oidcGate } = await import('@oidc-gate/express')
  const app = express()
  type Res = { send(body: string): void; setHeader(name: string, value: string): void }
  const hello = (_req: unknown, res: Res) => res.send(HELLO)
  app.get('/bare', hello)
  app.get('/pass-through', (_req: unknown, _res: unknown, next: () => void) => next(), hello)
  app.get(
    '/no-store',
    (_req: unknown, res: Res, next: () => void) => {
      res.setHeader('cache-control', 'no-store')
      next()
    },
    hello,
  )
  app.get('/gate', oidcGate(gate), hello)
  return app as unknown as Listener
}

async function koaApp(gate: Gate): Promise<Listener> {
  const { default: Koa } = await import('koa')
  const { default: Router } = await import('@koa/router')
  const { oidcGate } = await import('@oidc-gate/koa')
  const app = new Koa()
  const router = new Router()
  const hello = (ctx: { body: unknown }) => {
    ctx.body = HELLO
  }
  router.get('/bare', hello)
  router.get('/pass-through', async (_ctx: unknown, next: Next) => void (await next()), hello)
  router.get(
    '/no-store',
    async (ctx: { res: ServerResponse }, next: Next) => {
      ctx.res.setHeader('cache-control', 'no-store')
      await next()
    },
    hello,
  )
  router.get('/gate', oidcGate(gate) as never, hello)
  app.use(router.routes())
  return app.callback()
}

async function honoApp(gate: Gate): Promise<Listener> {
  const { Hono } = await import('hono')
  const { getRequestListener } = await import('@hono/node-server')
  const { oidcGate } = await import('@oidc-gate/hono')
  const app = new Hono()
  app.use('/pass-through', async (_c, next) => {
    await next()
  })
  app.use('/no-store', async (c, next) => {
    ;(c.env as { outgoing: ServerResponse }).outgoing.setHeader('cache-control', 'no-store')
    await next()
  })
  app.use('/gate', oidcGate(gate) as never)
  for (const route of ROUTES) app.get(`/${route}`, (c) => c.text(HELLO))
  return getRequestListener(app.fetch) as Listener
}

async function fastifyApp(gate: Gate, wrap: (listener: Listener) => Listener): Promise<Server> {
  const { default: Fastify } = await import('fastify')
  const { oidcGate } = await import('@oidc-gate/fastify')
  let server: Server | undefined
  const app = Fastify({
    logger: false,
    serverFactory: (handler) => {
      server = createServer(wrap(handler as Listener))
      return server
    },
  })
  const hello = async () => HELLO
  app.get('/bare', hello)
  await app.register(async (scope) => {
    scope.addHook('onRequest', async () => {})
    scope.get('/pass-through', hello)
  })
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (_request, reply) => {
      reply.header('cache-control', 'no-store')
    })
    scope.get('/no-store', hello)
  })
  await app.register(async (scope) => {
    await scope.register(oidcGate(gate as never))
    scope.get('/gate', hello)
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return server as Server
}

/** Wraps `listener`: the time from each request to the return of its `res.end()`, per route. */
function timed(durations: Map<string, number[]>, recording: () => boolean): (listener: Listener) => Listener {
  return (listener) => (req, res) => {
    const started = performance.now()
    const samples = durations.get((req.url ?? '').slice(1))
    const end = res.end
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      const result = end.apply(this, args as Parameters<typeof end>)
      if (samples !== undefined && recording()) samples.push((performance.now() - started) * 1000)
      return result
    } as typeof res.end
    listener(req, res)
  }
}

/**
 * Starts the four routes of `framework` on 127.0.0.1 (a free port), every request going through `wrap`
 * (default: none). bench/http.ts loads them the same way, one route at a time, with 10 connections.
 */
export async function listenRoutes(
  framework: Framework,
  gate: Gate,
  wrap: (listener: Listener) => Listener = (listener) => listener,
): Promise<Server> {
  if (framework === 'fastify') return fastifyApp(gate, wrap)
  const build = { express: expressApp, koa: koaApp, hono: honoApp }[framework]
  const server = createServer(wrap((await build(gate)) as RequestListener as Listener))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

async function main(): Promise<void> {
  const config = JSON.parse(flag(process.argv.slice(2), 'config') as string) as RouteServerConfig
  const gate = createGate({ issuers: [vercel({ team: config.team, baseUrl: config.issuerUrl })] }) as Gate
  const durations = new Map<string, number[]>(ROUTES.map((route) => [route, []]))
  let recording = false
  const server = await listenRoutes(
    config.framework,
    gate,
    timed(durations, () => recording),
  )
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`)
  const lines = createInterface({ input: process.stdin })
  lines.on('line', (line) => {
    if (line === 'start') {
      for (const samples of durations.values()) samples.length = 0
      recording = true
      process.stdout.write('STARTED\n')
    } else if (line === 'stop') {
      recording = false
      process.stdout.write('STOPPED\n')
    } else if (line === 'report') {
      process.stdout.write(`REPORT ${JSON.stringify(Object.fromEntries(durations))}\n`)
    } else if (line === 'exit') {
      process.exit(0)
    }
  })
  lines.on('close', () => process.exit(0))
}

if (isMain(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exit(1)
  })
}
