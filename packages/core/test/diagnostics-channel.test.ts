/**
 * Observability through `node:diagnostics_channel` (DESIGN §6.1): the `oidc-gate:authenticate` tracing
 * channel around `authenticate()` / `verify()`, and the `oidc-gate:event` channel carrying every event,
 * with real tokens of a local test issuer.
 */

import { AsyncLocalStorage } from 'node:async_hooks'
import { channel, tracingChannel } from 'node:diagnostics_channel'
import { createTestIssuer, type TestIssuer, vercelIds } from '@oidc-gate/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  AUTHENTICATE_CHANNEL,
  type AuthenticateTrace,
  createGate,
  EVENT_CHANNEL,
  type Gate,
  type GateEvent,
  type VercelClaims,
  vercel,
} from '../src/index.js'
import { rejection, request } from './helpers.js'

type Phase = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error'

let issuer: TestIssuer
let gate: Gate<VercelClaims>
let token: string
const tracing = tracingChannel<unknown, AuthenticateTrace>(AUTHENTICATE_CHANNEL)
const events = channel(EVENT_CHANNEL)

/** Subscribes to every phase; returns what was published, as copies taken at publication time. */
function record(): { seen: Array<[Phase, AuthenticateTrace]>; stop(): void } {
  const seen: Array<[Phase, AuthenticateTrace]> = []
  const at = (phase: Phase) => (message: AuthenticateTrace) => {
    seen.push([phase, { ...message }])
  }
  const handlers = {
    start: at('start'),
    end: at('end'),
    asyncStart: at('asyncStart'),
    asyncEnd: at('asyncEnd'),
    error: at('error'),
  }
  tracing.subscribe(handlers)
  return { seen, stop: () => tracing.unsubscribe(handlers) }
}

const stops: Array<() => void> = []
afterEach(() => {
  for (const stop of stops.splice(0)) stop()
})

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  gate = createGate({
    issuers: [vercel({ team: 'acme', teamId: vercelIds('acme').ownerId, baseUrl: issuer.url })],
    policy: { environment: ['production', 'preview'] },
  })
  token = await issuer.mint()
})
afterAll(async () => {
  gate.close()
  await issuer.close()
})

describe('the oidc-gate:authenticate tracing channel', () => {
  it('publishes start, end, asyncStart and asyncEnd with the outcome and duration of a success', async () => {
    const trace = record()
    stops.push(trace.stop)
    await gate.authenticate(request(`Bearer ${token}`))
    expect(trace.seen.map(([phase]) => phase)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd'])
    const [, done] = trace.seen[3] as [Phase, AuthenticateTrace]
    expect(done).toMatchObject({
      kind: 'request',
      result: 'success',
      issuer: issuer.issuer,
      profile: 'vercel',
    })
    expect(done.durationMs).toBeGreaterThanOrEqual(0)
    expect(trace.seen[0]?.[1]).toEqual({ kind: 'request' })
  })

  it('publishes error with the refusal code and reason, and the GateError as error', async () => {
    const trace = record()
    stops.push(trace.stop)
    const expired = await issuer.mint({}, { expired: true })
    const refusal = await rejection(gate.authenticate(request(`Bearer ${expired}`)))
    expect(trace.seen.map(([phase]) => phase)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd'])
    const [, done] = trace.seen[4] as [Phase, AuthenticateTrace]
    expect(done).toMatchObject({
      kind: 'request',
      result: 'failure',
      code: 'ERR_INVALID_TOKEN',
      status: 401,
      reason: 'exp',
    })
    expect(done.error).toBe(refusal)
  })

  it('reports a policy refusal as a failure with status 403', async () => {
    const trace = record()
    stops.push(trace.stop)
    const dev = await issuer.mint({ environment: 'development' })
    await rejection(gate.authenticate(request(`Bearer ${dev}`)))
    expect(trace.seen.at(-1)?.[1]).toMatchObject({ result: 'failure', status: 403, reason: 'policy' })
  })

  it('reports none for a request without credentials under optional authentication', async () => {
    const trace = record()
    stops.push(trace.stop)
    await expect(gate.authenticate(request(), { optional: true })).resolves.toBeUndefined()
    expect(trace.seen.at(-1)?.[1]).toMatchObject({ kind: 'request', result: 'none' })
  })

  it('traces verify() as kind token', async () => {
    const trace = record()
    stops.push(trace.stop)
    await gate.verify(token)
    expect(trace.seen.at(-1)?.[1]).toMatchObject({ kind: 'token', result: 'success' })
  })

  it('never publishes the token, the request or the claims', async () => {
    const trace = record()
    stops.push(trace.stop)
    const expired = await issuer.mint({}, { expired: true })
    await gate.authenticate(request(`Bearer ${token}`))
    await rejection(gate.authenticate(request(`Bearer ${expired}`)))
    const published = JSON.stringify(trace.seen.map(([, message]) => ({ ...message, error: undefined })))
    for (const secret of [token, expired, token.split('.')[1] as string, vercelIds('acme').projectId]) {
      expect(published).not.toContain(secret)
    }
  })

  it("binds an APM's async context through the start channel's stores", async () => {
    const storage = new AsyncLocalStorage<{ span: string }>()
    tracing.start.bindStore(storage, () => ({ span: 'authenticate' }))
    stops.push(() => tracing.start.unbindStore(storage))
    let seenInside: unknown
    const sub = (message: unknown) => {
      if ((message as GateEvent).type === 'verified') seenInside = storage.getStore()
    }
    events.subscribe(sub)
    stops.push(() => events.unsubscribe(sub))
    expect(storage.getStore()).toBeUndefined()
    await gate.authenticate(request(`Bearer ${token}`))
    expect(seenInside).toEqual({ span: 'authenticate' })
  })

  it('publishes nothing and changes nothing once the subscriber leaves', async () => {
    const trace = record()
    trace.stop()
    await expect(gate.authenticate(request(`Bearer ${token}`))).resolves.toMatchObject({ profile: 'vercel' })
    await rejection(gate.authenticate(request()))
    expect(trace.seen).toEqual([])
  })
})

describe('the oidc-gate:event channel', () => {
  it('carries the events of a gate that has no onEvent, including the per-request ones', async () => {
    const seen: GateEvent[] = []
    const sub = (message: unknown) => seen.push(message as GateEvent)
    events.subscribe(sub)
    stops.push(() => events.unsubscribe(sub))
    await gate.authenticate(request(`Bearer ${token}`))
    await rejection(gate.authenticate(request(`Bearer ${await issuer.mint({ environment: 'development' })}`)))
    expect(seen.map((e) => e.type)).toEqual(['policy.allowed', 'verified', 'policy.denied', 'rejected'])
    expect(seen[0]).toMatchObject({ type: 'policy.allowed', policy: 'policy', issuer: issuer.issuer })
    expect(seen[2]).toMatchObject({ type: 'policy.denied', policy: 'policy' })
  })

  it('gives onEvent and the channel the same events', async () => {
    const heard: GateEvent[] = []
    const published: unknown[] = []
    const sub = (message: unknown) => published.push(message)
    events.subscribe(sub)
    stops.push(() => events.unsubscribe(sub))
    const own = createGate({
      issuers: [vercel({ team: 'acme', teamId: vercelIds('acme').ownerId, baseUrl: issuer.url })],
      onEvent: (e) => heard.push(e),
    })
    try {
      await own.authenticate(request(`Bearer ${token}`))
      await rejection(own.authenticate(request('Bearer a.b.c')))
    } finally {
      own.close()
    }
    expect(heard.map((e) => e.type)).toEqual(['jwks.fetch', 'verified', 'rejected'])
    expect(published).toEqual(heard)
  })
})

describe('runtimes without node:diagnostics_channel', () => {
  it('publish nothing and authenticate as usual when process.getBuiltinModule is missing', async () => {
    const original = Object.getOwnPropertyDescriptor(process, 'getBuiltinModule')
    Object.defineProperty(process, 'getBuiltinModule', {
      value: undefined,
      configurable: true,
      writable: true,
    })
    const trace = record()
    stops.push(trace.stop)
    try {
      // Fresh copies of the core's modules, which look the channels up again.
      vi.resetModules()
      const fresh = await import('../src/diagnostics/channels.js')
      expect(fresh.gateChannels()).toBeUndefined()
      const core = await import('../src/index.js')
      const isolated = core.createGate({ issuers: [core.vercel({ team: 'acme', baseUrl: issuer.url })] })
      try {
        await expect(isolated.authenticate(request(`Bearer ${token}`))).resolves.toMatchObject({
          profile: 'vercel',
        })
      } finally {
        isolated.close()
      }
    } finally {
      if (original !== undefined) Object.defineProperty(process, 'getBuiltinModule', original)
      vi.resetModules()
    }
    expect(trace.seen).toEqual([])
  })
})
