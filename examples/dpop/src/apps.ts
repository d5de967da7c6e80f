/**
 * The same small API in each framework, protected by one gate that accepts DPoP: `GET /orders/:id`
 * answers the caller's subject and, for a DPoP request, the thumbprint of the key it proved.
 */

import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import type { AccessTokenClaims, Gate } from '@oidc-gate/core'
import { oidcGate as expressGate } from '@oidc-gate/express'
import { oidcGate as fastifyGate } from '@oidc-gate/fastify'
import { oidcGate as honoGate } from '@oidc-gate/hono'
import { oidcGate as koaGate } from '@oidc-gate/koa'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'

/** The frameworks the example runs on. */
export const FRAMEWORKS = ['express', 'fastify', 'hono', 'koa'] as const
export type Framework = (typeof FRAMEWORKS)[number]

/** A running app. */
export interface App {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  close(): Promise<void>
}

/** What `GET /orders/:id` answers. */
export interface Order {
  readonly id: string
  readonly sub: string
  /** The thumbprint of the proof key, `null` for a bearer token. */
  readonly jkt: string | null
}

type AuthLike = { readonly claims: { readonly sub: string }; readonly dpop?: { readonly jkt: string } }
const order = (id: string, auth: AuthLike): Order => ({
  id,
  sub: auth.claims.sub,
  jkt: auth.dpop?.jkt ?? null,
})

/**
 * Starts the API in `framework` on 127.0.0.1 (`port` 0: a free one).
 *
 * @example
 * ```ts
 * const app = await startApp('koa', gate)
 * ```
 */
export async function startApp(framework: Framework, gate: Gate<AccessTokenClaims>, port = 0): Promise<App> {
  switch (framework) {
    case 'express': {
      const app = express()
      app.use(expressGate(gate))
      app.get('/orders/:id', (req, res) => {
        res.json(order(req.params.id, req.auth as AuthLike))
      })
      return listen(app, port)
    }
    case 'fastify': {
      const app = Fastify()
      await app.register(fastifyGate(gate))
      app.get<{ Params: { id: string } }>('/orders/:id', async (request) =>
        order(request.params.id, request.auth as AuthLike),
      )
      await app.listen({ port, host: '127.0.0.1' })
      const { port: bound } = app.server.address() as AddressInfo
      return { url: `http://127.0.0.1:${bound}`, close: () => app.close() }
    }
    case 'hono': {
      const app = new Hono()
      app.use(honoGate(gate))
      app.get('/orders/:id', (c) => c.json(order(c.req.param('id'), c.var.auth as AuthLike)))
      return listen(getRequestListener(app.fetch), port)
    }
    case 'koa': {
      const app = new Koa()
      app.use(koaGate(gate))
      app.use((ctx) => {
        const id = /^\/orders\/([^/]+)$/.exec(ctx.path)?.[1]
        if (id === undefined) return
        ctx.body = order(id, ctx.state.auth as AuthLike)
      })
      return listen(app.callback(), port)
    }
  }
}

async function listen(listener: Parameters<typeof createServer>[1], port: number): Promise<App> {
  const server = createServer(listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  const { port: bound } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
