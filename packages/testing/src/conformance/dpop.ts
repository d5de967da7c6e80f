/**
 * The DPoP part of the adapter conformance suite (RFC 9449): bound tokens with proofs, replays, the
 * downgrade to Bearer, unbound tokens under DPoP, missing and repeated proofs, a proof for another URL,
 * and server nonces (the `DPoP-Nonce` of a refusal and of a success). Proofs are single-use, so each
 * case is a sequence of requests sent both to the adapter over HTTP and, as the same neutral request, to
 * a twin gate with the same options: every answer must be the twin's, so all adapters answer alike.
 */

import { generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDpopProof, type DpopKeyPair } from '../dpop.js'
import { createTestIssuer, type TestIssuer } from '../issuer.js'
import {
  type Answer,
  CONFORMANCE_REALM,
  type ConformanceAnswer,
  type ConformanceDriver,
  type ConformanceGate,
  type ConformanceServer,
  send,
} from './harness.js'

/** The part of `@oidc-gate/core` the DPoP cases use besides the suite's own. */
interface DpopCore {
  vercel(options: { readonly team: string; readonly baseUrl: string }): unknown
  createGate(options: Record<string, unknown>): ConformanceGate & {
    authenticate(request: unknown): Promise<{ readonly dpop?: { readonly nextNonce?: string } }>
  }
  fromFetch(request: Request): unknown
  toResponse(error: unknown): ConformanceAnswer
  createDpopNonces(options: { readonly secrets: readonly string[] }): {
    current(nowMs?: number): Promise<string>
  }
}

const NONCE_SECRET = 'conformance-nonce-secret-of-32-bytes-or-more'

/** What a test client sends: `authorization` and zero, one or several `dpop` lines. */
interface Call {
  readonly authorization: string
  readonly dpop: readonly string[]
}

interface World {
  readonly issuer: TestIssuer
  readonly key: DpopKeyPair
  /** `http://127.0.0.1:<port>/claims`, the URL every proof is made for. */
  readonly url: string
  /** The nonce that a proof should carry to be current. */
  readonly nonce: () => Promise<string>
  /** The previous window's nonce (still accepted; the success answer hands out the current one). */
  readonly previousNonce: () => Promise<string>
}

interface DpopCase {
  readonly name: string
  /** The requests, in order; the answer to the last one is the case's subject. */
  calls(world: World): Promise<readonly Call[]>
  /** The status of the last answer. */
  readonly status: number
}

const proofFor = (world: World, token: string, extra: Partial<Parameters<typeof createDpopProof>[0]> = {}) =>
  createDpopProof({ key: world.key, htm: 'GET', htu: world.url, accessToken: token, ...extra })

const bound = (world: World) => world.issuer.mint({}, { dpopKey: world.key })

/** One request with a token bound to the client key and a proof made with `extra`. */
async function oneCall(
  world: World,
  extra: Partial<Parameters<typeof createDpopProof>[0]> = {},
): Promise<Call[]> {
  const token = await bound(world)
  return [{ authorization: `DPoP ${token}`, dpop: [await proofFor(world, token, extra)] }]
}

const CASES: readonly DpopCase[] = [
  {
    name: 'admits a bound token sent as DPoP with its proof',
    status: 200,
    async calls(world) {
      return oneCall(world)
    },
  },
  {
    name: 'answers 401 invalid_dpop_proof to a replayed proof (dpop-replay-second-use)',
    status: 401,
    async calls(world) {
      const token = await bound(world)
      const call = { authorization: `DPoP ${token}`, dpop: [await proofFor(world, token)] }
      return [call, call]
    },
  },
  {
    name: 'answers 401 invalid_token to a bound token sent as Bearer (dpop-bound-token-as-bearer-with-proof)',
    status: 401,
    async calls(world) {
      const token = await bound(world)
      return [{ authorization: `Bearer ${token}`, dpop: [await proofFor(world, token)] }]
    },
  },
  {
    name: 'answers 401 invalid_token to an unbound token sent as DPoP (dpop-scheme-with-unbound-token)',
    status: 401,
    async calls(world) {
      const token = await world.issuer.mint()
      return [{ authorization: `DPoP ${token}`, dpop: [await proofFor(world, token)] }]
    },
  },
  {
    name: 'answers 401 invalid_dpop_proof to DPoP without a proof (dpop-scheme-without-proof-header)',
    status: 401,
    async calls(world) {
      return [{ authorization: `DPoP ${await bound(world)}`, dpop: [] }]
    },
  },
  {
    name: 'answers 400 invalid_request to two DPoP header lines (dpop-two-proof-headers)',
    status: 400,
    async calls(world) {
      const token = await bound(world)
      return [
        {
          authorization: `DPoP ${token}`,
          dpop: [await proofFor(world, token), await proofFor(world, token)],
        },
      ]
    },
  },
  {
    name: 'answers 401 invalid_dpop_proof to a proof for another URL (dpop-wrong-htu)',
    status: 401,
    async calls(world) {
      return oneCall(world, { htu: `${world.url}/other` })
    },
  },
]

const NONCE_CASES: readonly DpopCase[] = [
  {
    name: 'answers 401 use_dpop_nonce with DPoP-Nonce to a proof without a nonce',
    status: 401,
    async calls(world) {
      return oneCall(world)
    },
  },
  {
    name: 'admits a proof with the current nonce',
    status: 200,
    async calls(world) {
      return oneCall(world, { nonce: await world.nonce() })
    },
  },
  {
    name: 'admits a proof with the previous window’s nonce and hands out the current one in DPoP-Nonce',
    status: 200,
    async calls(world) {
      return oneCall(world, { nonce: await world.previousNonce() })
    },
  },
]

/** The twin gate's answer to the same request, as a Fetch request shows it (repeated lines joined). */
async function twinAnswer(core: DpopCore, twin: ReturnType<DpopCore['createGate']>, url: string, call: Call) {
  const headers = new Headers({ authorization: call.authorization })
  for (const value of call.dpop) headers.append('dpop', value)
  try {
    const auth = await twin.authenticate(core.fromFetch(new Request(url, { headers })))
    return { status: 200, nonce: auth.dpop?.nextNonce, refusal: undefined }
  } catch (error) {
    return { status: 0, nonce: undefined, refusal: core.toResponse(error) }
  }
}

/**
 * Registers the DPoP cases for one adapter: the same driver as {@link conformance}'s, with gates in the
 * default DPoP mode and with server nonces.
 *
 * @example
 * ```ts
 * dpopConformance({ name: 'express 5', core, start })
 * ```
 */
export function dpopConformance<P, G extends ConformanceGate>(driver: ConformanceDriver<P, G>): void {
  const core = driver.core as unknown as DpopCore
  describe(`${driver.name} DPoP conformance`, () => {
    let issuer: TestIssuer
    let key: DpopKeyPair
    beforeAll(async () => {
      issuer = await createTestIssuer({ team: 'acme' })
      key = await generateKeyPair('ES256')
    })
    afterAll(() => issuer.close())

    for (const [label, dpop, cases] of [
      ['default mode', {}, CASES],
      ['server nonces', { nonce: { secrets: [NONCE_SECRET] } }, NONCE_CASES],
    ] as const) {
      describe(label, () => {
        let server: ConformanceServer
        const gates: ReturnType<DpopCore['createGate']>[] = []
        const gateOptions = () => ({
          issuers: [core.vercel({ team: issuer.team, baseUrl: issuer.url })],
          realm: CONFORMANCE_REALM,
          dpop,
        })
        beforeAll(async () => {
          const gate = core.createGate(gateOptions())
          gates.push(gate)
          // The route policy of `GET /policy`, which these cases do not call.
          const routePolicy = { environment: 'production' }
          server = await driver.start({ gate: gate as unknown as G, optional: false, routePolicy })
        })
        afterAll(async () => {
          for (const gate of gates) gate.close()
          await server?.close()
        })

        for (const c of cases) {
          it(c.name, async () => {
            const url = `${server.url}/claims`
            const nonces = core.createDpopNonces({ secrets: [NONCE_SECRET] })
            const world: World = {
              issuer,
              key,
              url,
              nonce: () => nonces.current(),
              previousNonce: () => nonces.current(Date.now() - 60_000),
            }
            const twin = core.createGate(gateOptions())
            gates.push(twin)
            let answer: Answer | undefined
            for (const call of await c.calls(world)) {
              answer = await send({
                method: 'GET',
                url,
                headers: { authorization: call.authorization, dpop: call.dpop },
              })
              await expectSameAnswer(answer, await twinAnswer(core, twin, url, call))
            }
            expect(answer?.status, answer?.body).toBe(c.status)
          })
        }
      })
    }
  })
}

async function expectSameAnswer(answer: Answer, twin: Awaited<ReturnType<typeof twinAnswer>>): Promise<void> {
  if (twin.refusal === undefined) {
    expect(answer.status, answer.body).toBe(200)
    expect(answer.headers['dpop-nonce']).toBe(twin.nonce)
    if (twin.nonce !== undefined) expect(answer.headers['access-control-expose-headers']).toBe('DPoP-Nonce')
    expect(answer.headers['cache-control']).toBe('no-store')
    const body = JSON.parse(answer.body) as { auth: { claims: { cnf?: unknown } } }
    expect(body.auth.claims.cnf).toMatchObject({ jkt: expect.any(String) })
    return
  }
  const expected = twin.refusal
  expect({
    status: answer.status,
    challenge: answer.headers['www-authenticate'],
    nonce: answer.headers['dpop-nonce'],
    expose: answer.headers['access-control-expose-headers'],
    cacheControl: answer.headers['cache-control'],
    body: answer.body,
  }).toEqual({
    status: expected.status,
    challenge: expected.headers['www-authenticate'],
    nonce: expected.headers['dpop-nonce'],
    expose: expected.headers['access-control-expose-headers'],
    cacheControl: expected.headers['cache-control'],
    body: expected.body,
  })
}
