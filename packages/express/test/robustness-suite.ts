/**
 * What every adapter must survive, run against each framework by its `robustness.test.ts` with a small
 * driver (the framework idioms live there): refusals answered as JSON with nothing logged, a verdict that
 * arrives after another middleware answered or after the client left, and an `auth` the gate did not
 * produce. Real HTTP on 127.0.0.1, the real test issuer, its JWKS slowed with the `delay` fault.
 */

import { request } from 'node:http'
import { type Auth, createGate, type Gate, type GateEvent, type VercelClaims, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import type { ConformanceServer } from '@oidc-gate/testing/conformance'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'

/** The route policy of `GET /policy`. */
export const ROUTE_POLICY = { not: { environment: 'preview' } } as const

/** The Basic credentials the `foreign-auth` middleware accepts. */
export const BASIC_USERS = { admin: 'secret' }

/**
 * What runs before `oidcGate()`:
 * - `answer-first`: a middleware that answers `503` with the body `timeout` after 100 ms, while the
 *   request goes on down the chain (the connect-timeout pattern);
 * - `foreign-auth`: a middleware that puts an `auth` of its own in the framework's slot (Express: the
 *   `express-basic-auth` package, for the {@link BASIC_USERS}).
 */
export type Before = 'answer-first' | 'foreign-auth'

/** How a driver's app is built. */
export interface RobustnessSetup {
  readonly gate: Gate<VercelClaims>
  /** The `optional` option of `oidcGate()`. */
  readonly optional: boolean
  readonly before: Before | undefined
}

/**
 * An adapter under test: `start` mounts `before` (if any), then `oidcGate(gate, { optional })`, then
 * `GET /` answering `200 ok` and `GET /policy` behind `requirePolicy(gate, ROUTE_POLICY)` answering
 * `200 ok`.
 */
export interface RobustnessDriver {
  readonly name: string
  start(setup: RobustnessSetup): Promise<ConformanceServer>
}

/**
 * An `auth` no gate produced, shaped like a Vercel production token's, for the `foreign-auth` middleware.
 */
export function handMadeAuth(issuer: string): Auth<VercelClaims> {
  const claims = {
    iss: issuer,
    sub: 'owner:acme:project:web:environment:production',
    environment: 'production',
  }
  const auth = { profile: 'vercel', token: 'x', header: { alg: 'RS256' }, claims, issuer }
  return auth as unknown as Auth<VercelClaims>
}

/** Unhandled rejections, uncaught exceptions and console or stderr output seen while it is in use. */
interface ProcessWatch extends Disposable {
  readonly crashes: unknown[]
  output(): unknown[][]
}

/**
 * Watches the process. Vitest hands `console.*` to its reporter without going through
 * `process.stderr`, so both are spied on.
 */
export function watchProcess(): ProcessWatch {
  const crashes: unknown[] = []
  const onCrash = (error: unknown): void => {
    crashes.push(error)
  }
  process.on('unhandledRejection', onCrash).on('uncaughtException', onCrash)
  // Silenced while watched: what they caught is in the assertion's diff.
  const spies = [
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true),
    vi.spyOn(console, 'error').mockImplementation(() => undefined),
    vi.spyOn(console, 'warn').mockImplementation(() => undefined),
  ]
  return {
    crashes,
    output: () => spies.flatMap((spy) => spy.mock.calls as unknown[][]),
    [Symbol.dispose]() {
      process.off('unhandledRejection', onCrash).off('uncaughtException', onCrash)
      for (const spy of spies) spy.mockRestore()
    },
  }
}

/** `NODE_ENV` unset (Vitest sets it to `test`, which silences Express's and Koa's own logging). */
export function withoutNodeEnv(): Disposable {
  vi.stubEnv('NODE_ENV', undefined)
  return { [Symbol.dispose]: () => vi.unstubAllEnvs() }
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Checks `res` is the core's refusal: status, challenge, `no-store` and `{ error, error_description }`. */
export async function expectJsonRefusal(res: Response, status: number, error: string): Promise<void> {
  const text = await res.text()
  expect(res.status, text).toBe(status)
  const challenge = res.headers.get('www-authenticate')
  if (status === 503) expect(res.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/)
  // A bare challenge: no error code (RFC 6750 §3.1); a DPoP challenge may follow the Bearer one.
  else if (error === 'unauthorized') expect(challenge).toMatch(/^Bearer(?![^,]* error=)/)
  else expect(challenge).toMatch(new RegExp(`^Bearer error="${error}", error_description="`))
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  expect(res.headers.get('cache-control')).toBe('no-store')
  expect(text).not.toMatch(/<html|<pre|\bat .+:\d+:\d+/i)
  expect(JSON.parse(text)).toEqual({ error, error_description: expect.any(String) })
}

/** A gate over the test issuer whose next verdict (`verified` or `rejected` event) a test can await. */
function observedGate(issuer: TestIssuer) {
  const waiting: ((event: GateEvent) => void)[] = []
  const gate = createGate({
    issuers: [vercel({ team: issuer.team, baseUrl: issuer.url })],
    onEvent: (event) => {
      if (event.type === 'verified' || event.type === 'rejected') for (const w of waiting.splice(0)) w(event)
    },
  })
  return { gate, nextVerdict: () => new Promise<GateEvent>((resolve) => waiting.push(resolve)) }
}

/** Sends a request and destroys its socket after `ms`, before any answer. */
function leaveAfter(url: string, token: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(url, bearer(token))
    req.on('error', () => resolve())
    req.on('response', () => resolve())
    req.end()
    setTimeout(() => req.destroy(), ms)
  })
}

/**
 * Registers the suite for one adapter.
 *
 * @example
 * ```ts
 * robustness({ name: 'express 5', start: async ({ gate, optional, before }) => listen(app) })
 * ```
 */
export function robustness(driver: RobustnessDriver): void {
  describe(`${driver.name} robustness`, () => {
    let issuer: TestIssuer
    let valid: string
    let expired: string
    beforeAll(async () => {
      issuer = await createTestIssuer({ team: 'acme' })
      valid = await issuer.mint({ project: 'web', environment: 'production' })
      expired = await issuer.mint({ project: 'web' }, { expired: true })
    })
    afterAll(() => issuer.close())
    // As in production: Express and Koa log less under NODE_ENV=test, which Vitest sets.
    beforeEach(() => {
      vi.stubEnv('NODE_ENV', undefined)
    })
    afterEach(() => {
      vi.unstubAllEnvs()
    })

    async function start(before?: Before, optional = false) {
      const observed = observedGate(issuer)
      const server = await driver.start({ gate: observed.gate, optional, before })
      return Object.assign(server, observed, {
        async [Symbol.asyncDispose]() {
          observed.gate.close()
          await server.close()
        },
      })
    }

    it('answers every refusal with the JSON body and writes nothing to stderr or the console', async () => {
      using watch = watchProcess()
      await using app = await start()
      await expectJsonRefusal(await fetch(app.url), 401, 'unauthorized')
      await expectJsonRefusal(await fetch(app.url, bearer('')), 400, 'invalid_request')
      await expectJsonRefusal(await fetch(app.url, bearer(expired)), 401, 'invalid_token')
      const preview = await issuer.mint({ project: 'web', environment: 'preview' })
      await expectJsonRefusal(await fetch(`${app.url}/policy`, bearer(preview)), 403, 'insufficient_scope')
      await using cold = await start()
      issuer.setFault({ kind: 'status', status: 500 })
      try {
        await expectJsonRefusal(await fetch(cold.url, bearer(valid)), 503, 'temporarily_unavailable')
      } finally {
        issuer.setFault(null)
      }
      expect(watch.output()).toEqual([])
      expect(watch.crashes).toEqual([])
    })

    /** The gate decides only after the JWKS answered (300 ms); `act` sends the request meanwhile. */
    async function decideLate(app: Awaited<ReturnType<typeof start>>, act: () => Promise<void>) {
      using watch = watchProcess()
      issuer.setFault({ kind: 'delay', ms: 300 })
      try {
        let decided = false
        const verdict = app.nextVerdict().finally(() => {
          decided = true
        })
        await act()
        expect(decided, 'the gate decided before the request was over').toBe(false)
        const event = await verdict
        // Let the adapter act on the verdict, and any rejection surface.
        await sleep(50)
        expect(watch.crashes).toEqual([])
        expect(watch.output()).toEqual([])
        return event.type
      } finally {
        issuer.setFault(null)
      }
    }

    async function expectServedNormally(url: string): Promise<void> {
      const next = await fetch(url, bearer(valid))
      expect(next.status).toBe(200)
      expect(await next.text()).toBe('ok')
    }

    it.each([
      ['admits', 'verified'],
      ['refuses', 'rejected'],
    ])('keeps the 503 another middleware sent first when the gate later %s the token', async (_, verdict) => {
      await using app = await start('answer-first')
      const token = verdict === 'verified' ? valid : expired
      const decided = await decideLate(app, async () => {
        const res = await fetch(app.url, bearer(token))
        expect(res.status).toBe(503)
        expect(await res.text()).toBe('timeout')
      })
      expect(decided).toBe(verdict)
      await expectServedNormally(app.url)
    })

    it.each([
      ['admits', 'verified'],
      ['refuses', 'rejected'],
    ])('survives a client that left before the gate %s its token', async (_, verdict) => {
      await using app = await start()
      const token = verdict === 'verified' ? valid : expired
      expect(await decideLate(app, () => leaveAfter(app.url, token, 50))).toBe(verdict)
      await expectServedNormally(app.url)
    })

    it('answers 401 invalid_token, never 200, when requirePolicy() gets an auth the gate did not produce', async () => {
      await using app = await start('foreign-auth', true)
      const basic = Buffer.from('admin:secret').toString('base64')
      const res = await fetch(`${app.url}/policy`, { headers: { authorization: `Basic ${basic}` } })
      await expectJsonRefusal(res, 401, 'invalid_token')
    })
  })
}
