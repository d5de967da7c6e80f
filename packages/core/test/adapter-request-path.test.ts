/**
 * The request path the adapters take (the adapter kit's `node()`), on real requests to a server on
 * 127.0.0.1 with real tokens: a cached token is answered at once (no promise, so an adapter goes on in
 * the same tick), a traced call keeps its promise, Node's lazily built `req.headers` is never built by
 * the gate, the last `Authorization` value is remembered for that exact value only, and an adapter with the defaults leaves no mark
 * on the request while `requirePolicy()` still answers as it would.
 */

import { tracingChannel } from 'node:diagnostics_channel'
import type { IncomingMessage } from 'node:http'
import { createTestIssuer, type TestIssuer, vercelIds } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AUTHENTICATE_CHANNEL,
  type Auth,
  adapterKit,
  answerFor,
  createGate,
  fromNode,
  type Gate,
  type GateError,
  InvalidTokenError,
  routeGuard,
  type VercelClaims,
  vercel,
} from '../src/index.js'
import { type LoopbackServer, startServer } from './helpers.js'

let issuer: TestIssuer
let gate: Gate<VercelClaims>
let token: string

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  gate = createGate({
    issuers: [vercel({ team: 'acme', teamId: vercelIds('acme').ownerId, baseUrl: issuer.url })],
  })
  token = await issuer.mint()
})
afterAll(async () => {
  gate.close()
  await issuer.close()
})

type Seen = { result: unknown; settled: Auth | undefined | GateError }

/** A server whose every request goes through `handle`; `send` makes one request and returns what it saw. */
async function serve(handle: (req: IncomingMessage) => unknown): Promise<{
  server: LoopbackServer
  send(path: string, headers: Record<string, string>): Promise<Seen>
}> {
  let seen: Seen | undefined
  const server = await startServer((req, res) => {
    const result = handle(req)
    Promise.resolve(result).then(
      (settled) => {
        seen = { result, settled: settled as Auth | undefined }
        res.end('ok')
      },
      (error: GateError) => {
        seen = { result, settled: error }
        res.end('refused')
      },
    )
  })
  return {
    server,
    async send(path, headers) {
      seen = undefined
      await (await fetch(`${server.url}${path}`, { headers })).text()
      return seen as unknown as Seen
    },
  }
}

describe('the adapter kit on a cached token', () => {
  it('answers with the Auth itself, not a promise, once the token is cached', async () => {
    const kit = adapterKit(gate, undefined, 'test')
    const { server, send } = await serve((req) => kit.node(req))
    try {
      const first = await send('/a', { authorization: `Bearer ${token}` })
      expect(first.result).toBeInstanceOf(Promise)
      const second = await send('/a', { authorization: `Bearer ${token}` })
      expect(second.result).not.toBeInstanceOf(Promise)
      expect((second.result as Auth).claims.sub).toBe((first.settled as Auth).claims.sub)
      // A refusal is always a rejected promise, never a throw.
      const refused = await send('/a', { authorization: 'Bearer not-a-token' })
      expect(refused.result).toBeInstanceOf(Promise)
      expect((refused.settled as GateError).status).toBe(401)
    } finally {
      await server.close()
    }
  })

  it('keeps the promise while a tracer listens, so the trace sees every request settle', async () => {
    const kit = adapterKit(gate, undefined, 'test')
    const { server, send } = await serve((req) => kit.node(req))
    const tracing = tracingChannel(AUTHENTICATE_CHANNEL)
    const settled: unknown[] = []
    const handlers = {
      start: () => {},
      end: () => {},
      asyncStart: () => {},
      asyncEnd: (message: unknown) => void settled.push(message),
      error: () => {},
    }
    try {
      await send('/a', { authorization: `Bearer ${token}` })
      tracing.subscribe(handlers)
      const traced = await send('/a', { authorization: `Bearer ${token}` })
      expect(traced.result).toBeInstanceOf(Promise)
      expect(settled).toHaveLength(1)
      expect(settled[0]).toMatchObject({ kind: 'request', result: 'success' })
      tracing.unsubscribe(handlers)
      const untraced = await send('/a', { authorization: `Bearer ${token}` })
      expect(untraced.result).not.toBeInstanceOf(Promise)
      expect(settled).toHaveLength(1)
    } finally {
      tracing.unsubscribe(handlers)
      await server.close()
    }
  })
})

describe('a gate the kit did not see createGate() make', () => {
  it("keeps a wrapped copy's own authenticate, cached token or not", async () => {
    const denied = new Set<string>()
    const wrapped: Gate<VercelClaims> = {
      ...gate,
      authenticate: ((request: Parameters<Gate['authenticate']>[0], opts?: object) =>
        gate.authenticate(request, opts ?? {}).then((auth) => {
          if (auth !== undefined && denied.has(auth.claims.sub)) {
            throw new InvalidTokenError('verification-failed', 'token revoked')
          }
          return auth
        })) as Gate<VercelClaims>['authenticate'],
    }
    const kit = adapterKit(wrapped, undefined, 'test')
    const { server, send } = await serve((req) => kit.node(req))
    try {
      const first = await send('/a', { authorization: `Bearer ${token}` })
      expect(first.settled).toHaveProperty('profile', 'vercel')
      denied.add((first.settled as Auth).claims.sub)
      const second = await send('/a', { authorization: `Bearer ${token}` })
      expect(second.result).toBeInstanceOf(Promise)
      expect((second.settled as GateError).message).toBe('token revoked')
    } finally {
      await server.close()
    }
  })

  it('turns another kind of promise into a native one, so no adapter mistakes it for the Auth', async () => {
    // biome-ignore lint/suspicious/noThenProperty: a promise of another kind is what this test is about.
    const thenable = { then: (resolve: (value: unknown) => void) => resolve('from a thenable') }
    const double = { ...gate, authenticate: () => thenable } as unknown as Gate<VercelClaims>
    const result = adapterKit(double, undefined, 'test').node({ method: 'GET', url: '/', headers: {} })
    expect(result).toBeInstanceOf(Promise)
    expect(await result).toBe('from a thenable')
  })
})

describe('the last Authorization value', () => {
  it('is served again to the same value only, and a query token beside it is still a 400', async () => {
    const kit = adapterKit(gate, undefined, 'test')
    const { server, send } = await serve((req) => kit.node(req))
    const authorization = `Bearer ${token}`
    try {
      expect((await send('/a', { authorization })).settled).toHaveProperty('profile', 'vercel')
      expect((await send('/a', { authorization })).settled).toHaveProperty('profile', 'vercel')
      const both = (await send('/a?access_token=abc', { authorization })).settled as GateError
      expect(both.status).toBe(400)
      expect(both.reason).toBe('multiple-methods')
      // Another spelling of the scheme, another value: parsed, and the same token.
      expect((await send('/a', { authorization: `bearer ${token}` })).settled).toHaveProperty(
        'profile',
        'vercel',
      )
      // The same token under another scheme: not served from the last value.
      const dpop = (await send('/a', { authorization: `DPoP ${token}` })).settled as GateError
      expect(dpop.status).toBe(401)
      expect(dpop.reason).toBe('cnf')
      const basic = (await send('/a', { authorization: `Basic ${token}` })).settled as GateError
      expect(basic.status).toBe(401)
      expect(basic.reason).toBe('unsupported-scheme')
      expect((await send('/a', { authorization })).settled).toHaveProperty('profile', 'vercel')
    } finally {
      await server.close()
    }
  })
})

describe('fromNode()', () => {
  it('reads rawHeaders and leaves Node to build req.headers only when someone asks for it', async () => {
    let built = 0
    const { server, send } = await serve((req) => {
      const raw = req.rawHeaders
      const lazy = {
        method: req.method,
        url: req.url,
        rawHeaders: raw,
        socket: req.socket,
        get headers() {
          built++
          return req.headers
        },
      }
      const edge = fromNode(lazy, gate)
      expect(built).toBe(0)
      return gate.authenticate(edge).then((auth) => {
        expect(built).toBe(0)
        expect((edge.headers as Record<string, unknown>).authorization).toBe(`Bearer ${token}`)
        expect(built).toBe(1)
        return auth
      })
    })
    try {
      const seen = await send('/a', { authorization: `Bearer ${token}` })
      expect(seen.settled).toHaveProperty('profile', 'vercel')
    } finally {
      await server.close()
    }
  })
})

describe('the mark an adapter leaves on the request', () => {
  const SLOT = Symbol.for('oidc-gate.adapter')

  it('is left only by an adapter with optional or errors: framework', () => {
    const defaults = {}
    adapterKit(gate, undefined, 'test').attach(defaults)
    expect(Object.getOwnPropertySymbols(defaults)).toEqual([])
    for (const options of [{ optional: true }, { errors: 'framework' as const }]) {
      const carrier = {}
      adapterKit(gate, options, 'test').attach(carrier)
      expect(Object.getOwnPropertySymbols(carrier)).toEqual([SLOT])
    }
  })

  it('of an outer adapter is cleared by an inner one with the defaults, whose refusals it answers', async () => {
    const carrier = {}
    adapterKit(gate, { optional: true, errors: 'framework' }, 'outer').attach(carrier)
    const refusal = await gate.authenticate(fromNode({ headers: {}, rawHeaders: [] }, gate)).catch((e) => e)
    expect(answerFor(carrier, refusal)).toBeUndefined()
    adapterKit(gate, undefined, 'inner').attach(carrier)
    expect(answerFor(carrier, refusal)?.status).toBe(401)
  })

  it('is not needed by requirePolicy() after an adapter with the defaults', async () => {
    const kit = adapterKit(gate, undefined, 'test')
    const { server, send } = await serve((req) => {
      kit.attach(req)
      return kit.node(req)
    })
    try {
      const auth = (await send('/a', { authorization: `Bearer ${token}` })).settled as Auth<VercelClaims>
      const carrier = {}
      kit.attach(carrier)
      expect(routeGuard(gate, { environment: auth.claims.environment })(carrier, auth)).toBeUndefined()
      const refused = routeGuard(gate, { environment: 'nowhere' })(carrier, auth)
      expect(refused?.status).toBe(403)
      expect(refused?.headers['www-authenticate']).toMatch(/insufficient_scope/)
      // No oidcGate() at all and nothing authenticated: the mistake is named.
      expect(() => routeGuard(gate, { environment: 'production' })({}, undefined)).toThrow(
        /requirePolicy\(\) needs oidcGate\(\)/,
      )
      // With errors: 'framework', the refusal goes to the framework instead.
      const delegated = {}
      adapterKit(gate, { errors: 'framework' }, 'test').attach(delegated)
      expect(() => routeGuard(gate, { environment: 'nowhere' })(delegated, auth)).toThrow(
        /does not grant access/,
      )
    } finally {
      await server.close()
    }
  })
})
