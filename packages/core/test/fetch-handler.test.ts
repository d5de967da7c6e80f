/**
 * `protect()`: Fetch handlers (route handlers, `Bun.serve`, `Deno.serve`, Workers) behind the gate, with
 * real tokens of a local test issuer. The answers themselves are the conformance suite's
 * (./fetch-handler-conformance.test.ts); these are the wrapper's own promises.
 */

import { createTestIssuer, type TestIssuer, vercelIds } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createGate,
  type Gate,
  GateError,
  type IssuerProfile,
  protect,
  type VercelClaims,
  vercel,
} from '../src/index.js'

let issuer: TestIssuer
let profile: IssuerProfile<VercelClaims>
let gate: Gate<VercelClaims>
let token: string

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  profile = vercel({ team: 'acme', teamId: vercelIds('acme').ownerId, baseUrl: issuer.url })
  gate = createGate({ issuers: [profile] })
  token = await issuer.mint()
})
afterAll(async () => {
  gate.close()
  await issuer.close()
})

const get = (credentials?: string, init: RequestInit = {}): Request =>
  new Request('http://127.0.0.1/api', {
    ...init,
    headers: credentials === undefined ? {} : { authorization: credentials },
  })

describe('protect(gate, handler)', () => {
  it('hands the handler the request, the verified auth and every argument the runtime passed', async () => {
    const env = { NAME: 'worker' }
    const handler = protect(gate, (request, auth, passedEnv: typeof env, ctx: { id: number }) =>
      Response.json({ url: request.url, project: auth.vercel.projectId, env: passedEnv.NAME, ctx: ctx.id }),
    )
    const response = await handler(get(`Bearer ${token}`), env, { id: 7 })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      url: 'http://127.0.0.1/api',
      project: vercelIds('acme', 'web').projectId,
      env: 'worker',
      ctx: 7,
    })
    expect(handler.gate).toBe(gate)
  })

  it('answers a refusal itself, as the framework adapters do, without calling the handler', async () => {
    let called = false
    const handler = protect(gate, () => {
      called = true
      return new Response('secret')
    })
    const response = await handler(get())
    expect(called).toBe(false)
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.json()).toEqual({ error: 'unauthorized', error_description: expect.any(String) })
  })

  it('answers 401 invalid_token for an expired token and never echoes it', async () => {
    const expired = await issuer.mint({}, { expired: true })
    const response = await protect(gate, () => new Response('secret'))(get(`Bearer ${expired}`))
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"')
    expect(await response.text()).not.toContain(expired)
  })

  it('adds Cache-Control: no-store to an authenticated response without one', async () => {
    const response = await protect(gate, () => new Response('ok'))(get(`Bearer ${token}`))
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  it("keeps the handler's own Cache-Control", async () => {
    const handler = protect(
      gate,
      () => new Response('ok', { headers: { 'cache-control': 'private, max-age=60' } }),
    )
    const response = await handler(get(`Bearer ${token}`))
    expect(response.headers.get('cache-control')).toBe('private, max-age=60')
  })

  it('copies a response whose headers are immutable (Response.redirect) to add no-store', async () => {
    const handler = protect(gate, () => Response.redirect('http://127.0.0.1/elsewhere', 303))
    const response = await handler(get(`Bearer ${token}`))
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('http://127.0.0.1/elsewhere')
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  it('leaves a 101 upgrade response untouched, since a copy would lose its socket', async () => {
    // Deno's and Bun's upgrade answers carry status 101, which `new Response()` cannot build on Node.
    const upgrade = new Response(null)
    Object.defineProperty(upgrade, 'status', { value: 101 })
    const response = await protect(gate, () => upgrade)(get(`Bearer ${token}`))
    expect(response).toBe(upgrade)
    expect(response.headers.get('cache-control')).toBeNull()
  })

  it('lets a request without credentials through with optional: true, as undefined and cacheable', async () => {
    const handler = protect(gate, (_request, auth) => Response.json({ anonymous: auth === undefined }), {
      optional: true,
    })
    const response = await handler(get())
    expect(await response.json()).toEqual({ anonymous: true })
    expect(response.headers.get('cache-control')).toBeNull()
    expect((await handler(get('Bearer a.b.c'))).status).toBe(401)
  })

  it('answers 403 insufficient_scope when the handler policy refuses the token', async () => {
    const handler = protect(gate, () => new Response('ok'), { policy: { environment: 'preview' } })
    const response = await handler(get(`Bearer ${token}`))
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
  })

  it("rejects with the GateError for the caller's own handling with errors: 'framework'", async () => {
    const handler = protect(gate, () => new Response('ok'), { errors: 'framework' })
    const error = await handler(get()).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(error).toBeInstanceOf(GateError)
    expect(error).toMatchObject({ status: 401, code: 'ERR_CREDENTIALS_MISSING' })
  })

  it("rejects with the handler's own error rather than turning a bug into a refusal", async () => {
    const bug = new Error('handler bug')
    const handler = protect(gate, () => {
      throw bug
    })
    await expect(handler(get(`Bearer ${token}`))).rejects.toBe(bug)
  })

  it('builds its gate from options and validates them at construction', async () => {
    const handler = protect({ issuers: [profile] }, (_request, auth) => Response.json(auth.claims.owner))
    try {
      expect(await (await handler(get(`Bearer ${token}`))).json()).toBe('acme')
    } finally {
      handler.gate.close()
    }
  })
})

describe('protect() misconfiguration fails at boot', () => {
  it('throws a TypeError naming a misspelt claim in the handler policy', () => {
    expect(() =>
      protect(gate, () => new Response('ok'), { policy: { enviroment: 'preview' } as never }),
    ).toThrow(/enviroment/)
  })

  it('throws a TypeError for a handler that is not a function', () => {
    expect(() => protect(gate, 'handler' as never)).toThrow(TypeError)
  })

  it('throws a TypeError naming an unknown option', () => {
    expect(() => protect(gate, () => new Response('ok'), { optinal: true } as never)).toThrow(/optinal/)
  })

  it('throws a TypeError naming a bad optional', () => {
    expect(() => protect(gate, () => new Response('ok'), { optional: 'yes' } as never)).toThrow(/optional/)
  })
})
