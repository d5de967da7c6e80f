/**
 * DESIGN §6, SECURITY K8: once the cached JWKS has expired, a request whose key is still in the expired
 * set is verified at once while one background refresh runs; revocation takes effect as soon as the
 * refreshed JWKS arrives.
 */

import { setTimeout as sleep } from 'node:timers/promises'
import { createTestIssuer, DEFAULT_JWKS_CACHE_CONTROL, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createGate, type GateEvent, type KeySourceOptions, vercel } from '../src/index.js'
import { expectInvalidToken, expectUnavailable } from './helpers.js'

let issuer: TestIssuer
const gates: { close(): void }[] = []

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
})
afterEach(() => {
  issuer.setFault(null)
  issuer.setCacheControl(DEFAULT_JWKS_CACHE_CONTROL)
  for (const g of gates.splice(0)) g.close()
})
afterAll(async () => {
  await issuer.close()
})

/** A warmed-up gate whose JWKS expires 60 s after `start`; the clock stays at `probe.now`. */
async function expiringGate(jwks: KeySourceOptions = {}) {
  issuer.setCacheControl('max-age=60')
  const start = Date.now()
  const probe = { now: start, events: [] as GateEvent[] }
  const gate = createGate({
    issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
    jwks,
    cache: false,
    clock: () => probe.now,
    onEvent: (e) => probe.events.push(e),
  })
  gates.push(gate)
  await gate.warmup()
  const fetches = () =>
    probe.events.filter((e): e is Extract<GateEvent, { type: 'jwks.fetch' }> => e.type === 'jwks.fetch')
  return { gate, probe, start, fetches, expire: () => (probe.now = start + 61_000) }
}

const tokens = (count: number) =>
  Promise.all(Array.from({ length: count }, (_, i) => issuer.mint({ project: `p${i}` }, { ttl: 7200 })))

describe('stale-while-revalidate', () => {
  // Wall-clock bounds meet a loaded machine's scheduler: a retry absorbs one descheduled moment, while
  // the refresh still in flight after the last answer shows no request waited for it.
  it('answers every request with a known kid within 50 ms while the refresh of the expired JWKS hangs for 3 s', {
    retry: 2,
  }, async () => {
    const { gate, fetches, expire } = await expiringGate()
    const batch = await tokens(20)
    issuer.setFault({ kind: 'delay', ms: 3000 })
    const before = issuer.requests.jwks
    expire()
    const took: number[] = []
    for (const token of batch) {
      const started = performance.now()
      expect((await gate.verify(token)).claims.owner).toBe('acme')
      took.push(performance.now() - started)
      await sleep(50)
    }
    expect(Math.max(...took)).toBeLessThan(50)
    expect(fetches().at(-1)).toMatchObject({ trigger: 'warmup' })
    // One background refresh for all of them, which completes on its own.
    expect(issuer.requests.jwks - before).toBe(1)
    await vi.waitFor(() => expect(fetches().at(-1)).toMatchObject({ ok: true, trigger: 'expired' }), {
      timeout: 5000,
    })
    expect(issuer.requests.jwks - before).toBe(1)
  })

  it('serves concurrent requests from the expired set with one refresh between them', async () => {
    const { gate, expire } = await expiringGate()
    const batch = await tokens(50)
    issuer.setFault({ kind: 'delay', ms: 300 })
    const before = issuer.requests.jwks
    expire()
    const started = performance.now()
    const results = await Promise.all(batch.map((t) => gate.verify(t)))
    expect(performance.now() - started).toBeLessThan(250)
    expect(results).toHaveLength(50)
    await vi.waitFor(() => expect(issuer.requests.jwks - before).toBe(1))
  })

  it('stops verifying a removed key as soon as the refreshed JWKS without it has arrived', async () => {
    const { gate, fetches, expire } = await expiringGate({ cooldownDuration: 10 })
    const old = issuer.kid
    const token = (await tokens(1))[0] as string
    await issuer.rotate({ keepPrevious: false })
    issuer.setFault({ kind: 'delay', ms: 200 })
    expire()
    const fetched = fetches().length
    // In flight: the expired set still vouches for the old key.
    expect((await gate.verify(token)).header.kid).toBe(old)
    await vi.waitFor(() => expect(fetches()).toHaveLength(fetched + 1))
    await expectInvalidToken(gate.verify(token), 'kid')
    expect((await gate.verify(await issuer.mint())).header.kid).toBe(issuer.kid)
  })

  it('drops verified-token cache entries of a key removed from the refreshed JWKS', async () => {
    issuer.setCacheControl('max-age=60')
    const probe = { now: Date.now() }
    const gate = createGate({
      issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
      clock: () => probe.now,
      jwks: { cooldownDuration: 10 },
    })
    gates.push(gate)
    const token = (await tokens(1))[0] as string
    await gate.verify(token)
    await gate.verify(token)
    await issuer.rotate({ keepPrevious: false })
    probe.now += 61_000
    const before = issuer.requests.jwks
    await gate.verify(token).catch(() => undefined)
    await vi.waitFor(() => expect(issuer.requests.jwks).toBe(before + 1))
    await vi.waitFor(() => expectInvalidToken(gate.verify(token), 'kid'))
  })

  it('waits for the refresh when the kid is not in the expired set, so a rotated key verifies at once', async () => {
    const { gate, expire } = await expiringGate({ cooldownDuration: 10 })
    await issuer.rotate()
    expire()
    expect((await gate.verify(await issuer.mint())).header.kid).toBe(issuer.kid)
  })

  it('waits for the fetch when the JWKS is stale beyond staleIfError, and answers 503 if it fails', async () => {
    const { gate, probe, start } = await expiringGate({ staleIfError: 10_000, timeoutDuration: 200 })
    const token = (await tokens(1))[0] as string
    issuer.setFault({ kind: 'delay', ms: 1000 })
    probe.now = start + 60_000 + 10_001
    const started = performance.now()
    await expectUnavailable(gate.verify(token))
    expect(performance.now() - started).toBeGreaterThanOrEqual(150)
  })

  it('never leaves an unhandled rejection when the background refresh fails, and keeps serving known keys', async () => {
    const unhandled: unknown[] = []
    const listener = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', listener)
    try {
      const { gate, probe, fetches, expire } = await expiringGate({ cooldownDuration: 10 })
      const batch = await tokens(5)
      expire()
      for (const fault of [{ kind: 'status', status: 500 }, { kind: 'reset' }] as const) {
        issuer.setFault(fault)
        probe.now += 1000 // past the cooldown after the previous failure
        const failed = fetches().filter((f) => !f.ok).length
        for (const token of batch) expect((await gate.verify(token)).claims.owner).toBe('acme')
        await vi.waitFor(() => expect(fetches().filter((f) => !f.ok).length).toBeGreaterThan(failed))
        await sleep(20)
      }
      await sleep(50)
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', listener)
    }
  })
})
