/**
 * The adapter conformance suite: one table of HTTP cases that every oidc-gate adapter must answer the same
 * way, run over real HTTP against a real local issuer. Each adapter's test calls {@link conformance} with
 * a small driver that starts its framework on 127.0.0.1.
 */

import { createServer, type RequestListener, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestIssuer, type TestIssuer } from '../issuer.js'
import { vercelIds } from '../vercel-ids.js'

/** The realm of every conformance gate: challenges must carry it. */
export const CONFORMANCE_REALM = 'conformance'

/**
 * The two functions of `@oidc-gate/core` the suite builds gates with. Pass the core module itself, so the
 * suite tests the core your adapter is built against.
 *
 * @example
 * ```ts
 * import * as core from '@oidc-gate/core'
 * conformance({ name: 'express', core, start })
 * ```
 */
export interface ConformanceCore<P, G extends { close(): void }> {
  vercel(options: { readonly team: string; readonly baseUrl: string }): P
  createGate(options: {
    readonly issuers: readonly P[]
    readonly realm: string
    readonly policy?: { readonly environment: readonly string[] }
    readonly jwks: { readonly cooldownDuration: number }
  }): G
}

/**
 * What a driver's `start` receives: mount `oidcGate(gate, { optional })` in front of every route, then
 * `GET /claims` and `GET /policy` (with `requirePolicy(routePolicy)`), both answering
 * `200` with {@link echo}`(auth)` as JSON.
 */
export interface ConformanceSetup<G> {
  /** The gate to pass to the adapter's `oidcGate()`. */
  readonly gate: G
  /** The `optional` option of `oidcGate()`. */
  readonly optional: boolean
  /** The policy of `GET /policy`, for `requirePolicy()`. */
  readonly routePolicy: { readonly project_id: string }
}

/** A running application under test. */
export interface ConformanceServer {
  /** Origin, e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  /** Stops the server and its connections. */
  close(): Promise<void>
}

/**
 * An adapter under test.
 *
 * @example
 * ```ts
 * const driver: ConformanceDriver<IssuerProfile<VercelClaims>, Gate<VercelClaims>> = {
 *   name: 'express 5',
 *   core,
 *   async start({ gate, optional, routePolicy }) {
 *     const app = express()
 *     app.use(oidcGate(gate, { optional }))
 *     app.get('/claims', (req, res) => res.json(echo(req.auth)))
 *     app.get('/policy', requirePolicy(routePolicy), (req, res) => res.json(echo(req.auth)))
 *     return listen(app)
 *   },
 * }
 * ```
 */
export interface ConformanceDriver<P, G extends { close(): void }> {
  /** Shown in test names, e.g. `express 4`. */
  readonly name: string
  /** `@oidc-gate/core`, see {@link ConformanceCore}. */
  readonly core: ConformanceCore<P, G>
  /** Starts the application for one scenario. Called a few times per run. */
  start(setup: ConformanceSetup<G>): Promise<ConformanceServer>
}

/** The JSON body of the conformance routes. */
export interface EchoBody {
  readonly auth: { readonly profile: string; readonly claims: unknown } | null
}

/**
 * The body the conformance routes answer with: the verified claims, or `null` without authentication.
 *
 * @example
 * ```ts
 * app.get('/claims', (req, res) => res.json(echo(req.auth)))
 * ```
 */
export function echo(
  auth: { readonly profile: string; readonly claims: unknown } | null | undefined,
): EchoBody {
  return { auth: auth == null ? null : { profile: auth.profile, claims: auth.claims } }
}

/**
 * Serves a Node request listener (an Express or Koa callback, Hono's `getRequestListener`) on
 * 127.0.0.1 and a free port.
 *
 * @example
 * ```ts
 * const server = await listen(app.callback())
 * await server.close()
 * ```
 */
export async function listen(listener: RequestListener): Promise<ConformanceServer> {
  const server = createServer(listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

type Challenge = 'bare' | 'invalid_request' | 'invalid_token' | 'insufficient_scope'
type Expected =
  | { readonly status: 200; readonly auth: 'web' | 'none' }
  | { readonly status: 400 | 401 | 403; readonly challenge: Challenge }
  | { readonly status: 431 | 503 }

interface Case {
  /** Behaviour, read as `it(<name>)`. */
  readonly name: string
  readonly path?: '/claims' | '/policy'
  readonly query?: string
  /** The `Authorization` field lines to send (several for duplicates). */
  readonly authorization?: (issuer: TestIssuer) => Promise<string | readonly string[]>
  readonly expect: Expected
}

interface Scenario {
  readonly name: string
  readonly optional?: boolean
  readonly gatePolicy?: { readonly environment: readonly string[] }
  readonly outage?: boolean
  readonly cases: readonly Case[]
}

const bearer = (claims?: Record<string, unknown>, options?: Parameters<TestIssuer['mint']>[1]) => {
  return async (issuer: TestIssuer) => `Bearer ${await issuer.mint(claims, options)}`
}
const raw = (value: string | readonly string[]) => async () => value

/** Flips bits in the middle of the signature, keeping the base64url alphabet (`A` is 0, `B` is 1). */
async function forged(issuer: TestIssuer): Promise<string> {
  const token = await issuer.mint()
  const at = token.lastIndexOf('.') + 20
  return `Bearer ${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
}

const unauthorized = { status: 401, challenge: 'bare' } as const
const invalidRequest = { status: 400, challenge: 'invalid_request' } as const
const invalidToken = { status: 401, challenge: 'invalid_token' } as const
const forbidden = { status: 403, challenge: 'insufficient_scope' } as const
const ok = { status: 200, auth: 'web' } as const

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'required authentication',
    cases: [
      { name: 'answers 401 with a bare challenge without Authorization', expect: unauthorized },
      {
        name: 'answers 401 with a bare challenge for another scheme (Basic)',
        authorization: raw('Basic dXNlcjpwYXNz'),
        expect: unauthorized,
      },
      {
        name: 'answers 400 invalid_request for "Bearer" without a token',
        authorization: raw('Bearer'),
        expect: invalidRequest,
      },
      {
        name: 'answers 400 invalid_request for a tab between scheme and token',
        authorization: async (issuer) => `Bearer\t${await issuer.mint()}`,
        expect: invalidRequest,
      },
      {
        name: 'answers 400 invalid_request for trailing garbage after the token',
        authorization: async (issuer) => `Bearer ${await issuer.mint()} garbage`,
        expect: invalidRequest,
      },
      {
        name: 'answers 400 invalid_request for two Authorization field lines',
        authorization: async (issuer) => [`Bearer ${await issuer.mint()}`, `Bearer ${await issuer.mint()}`],
        expect: invalidRequest,
      },
      {
        name: 'answers 400 invalid_request for a token in both the header and the query',
        authorization: bearer(),
        query: 'access_token=abc',
        expect: invalidRequest,
      },
      {
        name: 'answers 401 with a bare challenge for a token in the query only',
        query: 'access_token=abc',
        expect: unauthorized,
      },
      {
        name: 'answers 401 invalid_token for a token over the size cap (8 KiB)',
        authorization: raw(`Bearer ${'a'.repeat(9000)}`),
        expect: invalidToken,
      },
      {
        name: "answers 431 (Node's header limit) for a 20 KiB Authorization, never 500",
        authorization: raw(`Bearer ${'a'.repeat(20_000)}`),
        expect: { status: 431 },
      },
      {
        name: 'answers 401 invalid_token for a value that is not a JWT',
        authorization: raw('Bearer a.b.c'),
        expect: invalidToken,
      },
      {
        name: 'answers 401 invalid_token for an expired token',
        authorization: bearer({}, { expired: true }),
        expect: invalidToken,
      },
      {
        name: 'answers 401 invalid_token for another issuer (team prefix)',
        authorization: async (issuer) => `Bearer ${await issuer.mint({ iss: `${issuer.issuer}-evil` })}`,
        expect: invalidToken,
      },
      {
        name: 'answers 401 invalid_token for another audience',
        authorization: bearer({ aud: 'https://vercel.com/other' }),
        expect: invalidToken,
      },
      {
        name: 'answers 401 invalid_token for a bit-flipped signature',
        authorization: forged,
        expect: invalidToken,
      },
      {
        name: 'answers 401 invalid_token for an unknown kid',
        authorization: bearer({}, { header: { kid: `mrk-${'0'.repeat(32)}` } }),
        expect: invalidToken,
      },
      { name: 'answers 200 with the verified claims for a valid token', authorization: bearer(), expect: ok },
      {
        name: 'accepts a lowercase scheme and several spaces',
        authorization: async (issuer) => `bearer   ${await issuer.mint()}`,
        expect: ok,
      },
      {
        name: 'answers 200 on a route whose policy admits the token',
        path: '/policy',
        authorization: bearer(),
        expect: ok,
      },
      {
        name: 'answers 403 insufficient_scope on a route whose policy refuses the token',
        path: '/policy',
        authorization: bearer({ project: 'api' }),
        expect: forbidden,
      },
    ],
  },
  {
    name: 'gate-wide policy',
    gatePolicy: { environment: ['production'] },
    cases: [
      { name: 'answers 200 when the gate policy admits the token', authorization: bearer(), expect: ok },
      {
        name: 'answers 403 insufficient_scope when the gate policy refuses the token',
        authorization: bearer({ environment: 'preview' }),
        expect: forbidden,
      },
      {
        name: 'answers 403 when the gate policy admits and the route policy refuses',
        path: '/policy',
        authorization: bearer({ project: 'api' }),
        expect: forbidden,
      },
    ],
  },
  {
    name: 'optional authentication',
    optional: true,
    cases: [
      {
        name: 'answers 200 without auth when there are no credentials',
        expect: { status: 200, auth: 'none' },
      },
      {
        name: 'answers 200 without auth for another scheme',
        authorization: raw('Basic dXNlcjpwYXNz'),
        expect: { status: 200, auth: 'none' },
      },
      { name: 'answers 200 with the claims for a valid token', authorization: bearer(), expect: ok },
      {
        name: 'answers 401 invalid_token for bad credentials',
        authorization: bearer({}, { expired: true }),
        expect: invalidToken,
      },
      {
        name: 'answers 400 invalid_request for malformed credentials',
        authorization: raw('Bearer'),
        expect: invalidRequest,
      },
      { name: 'answers 401 on a policy route without credentials', path: '/policy', expect: unauthorized },
      {
        name: 'answers 200 on a policy route with an admitted token',
        path: '/policy',
        authorization: bearer(),
        expect: ok,
      },
    ],
  },
  {
    name: 'JWKS outage with no cached key',
    outage: true,
    cases: [
      {
        name: 'answers 503 with Retry-After for a valid token',
        authorization: bearer(),
        expect: { status: 503 },
      },
      { name: 'still answers 401 with a bare challenge without credentials', expect: unauthorized },
    ],
  },
]

/** Number of cases of the suite, per adapter. */
export const CONFORMANCE_CASE_COUNT = SCENARIOS.reduce((n, s) => n + s.cases.length, 0)

interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly body: string
}

/** `node:http`, not `fetch`: only it sends several `Authorization` field lines. */
function send(url: string, authorization: string | readonly string[] | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    if (authorization !== undefined) req.setHeader('authorization', authorization as string | string[])
    req.end()
  })
}

const QUOTED = '"[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]*"'

function checkResponse(response: Answer, expected: Expected, issuer: TestIssuer, sent: string): void {
  expect(response.status, response.body).toBe(expected.status)
  const challenge = response.headers['www-authenticate']
  if ('challenge' in expected) {
    if (expected.challenge === 'bare') {
      expect(challenge).toBe(`Bearer realm="${CONFORMANCE_REALM}"`)
    } else {
      const scope = expected.challenge === 'insufficient_scope' ? `(, scope=${QUOTED})?` : ''
      const form = `^Bearer realm="${CONFORMANCE_REALM}", error="${expected.challenge}", error_description=${QUOTED}${scope}$`
      expect(challenge).toMatch(new RegExp(form))
    }
  } else if (expected.status === 200) {
    expect(challenge).toBeUndefined()
    const body = JSON.parse(response.body) as EchoBody
    if (expected.auth === 'none') {
      expect(body.auth).toBeNull()
      expect(response.headers['cache-control']).not.toBe('no-store')
    } else {
      const { projectId } = vercelIds(issuer.team, 'web')
      expect(body.auth).toMatchObject({
        profile: 'vercel',
        claims: { iss: issuer.issuer, project_id: projectId },
      })
      expect(response.headers['cache-control']).toBe('no-store')
    }
  } else if (expected.status === 503) {
    expect(response.headers['retry-after']).toMatch(/^[1-9][0-9]*$/)
  }
  // Credentials never come back in an error response.
  const token = sent.split(/[ \t]+/).reduce((a, b) => (b.length > a.length ? b : a), '')
  if (expected.status !== 200 && token.length > 20) expect(response.body).not.toContain(token)
}

/**
 * Registers the conformance suite for one adapter (vitest `describe`/`it`): about thirty cases over
 * real HTTP against a local test issuer, in four scenarios (required and optional authentication, a
 * gate-wide policy, a JWKS outage). Every case checks the status, the `WWW-Authenticate` form (with the
 * realm `conformance`) and, implicitly, that no bad input ever produces a 500.
 *
 * @example
 * ```ts
 * import * as core from '@oidc-gate/core'
 * import { conformance, echo, listen } from '@oidc-gate/testing/conformance'
 *
 * conformance({
 *   name: 'express 5',
 *   core,
 *   async start({ gate, optional, routePolicy }) {
 *     const app = express()
 *     app.use(oidcGate(gate, { optional }))
 *     app.get('/claims', (req, res) => res.json(echo(req.auth)))
 *     app.get('/policy', requirePolicy(routePolicy), (req, res) => res.json(echo(req.auth)))
 *     return listen(app)
 *   },
 * })
 * ```
 */
export function conformance<P, G extends { close(): void }>(driver: ConformanceDriver<P, G>): void {
  describe(`${driver.name} conformance`, () => {
    let issuer: TestIssuer
    beforeAll(async () => {
      issuer = await createTestIssuer({ team: 'acme' })
    })
    afterAll(() => issuer.close())

    for (const scenario of SCENARIOS) {
      describe(scenario.name, () => {
        let server: ConformanceServer
        let gate: G
        beforeAll(async () => {
          const { core } = driver
          gate = core.createGate({
            issuers: [core.vercel({ team: issuer.team, baseUrl: issuer.url })],
            realm: CONFORMANCE_REALM,
            jwks: { cooldownDuration: 50 },
            ...(scenario.gatePolicy === undefined ? {} : { policy: scenario.gatePolicy }),
          })
          const routePolicy = { project_id: vercelIds(issuer.team, 'web').projectId }
          server = await driver.start({ gate, optional: scenario.optional === true, routePolicy })
          // A gate that never fetched the keys, and a JWKS that fails: nothing to fall back on.
          if (scenario.outage === true) issuer.setFault({ kind: 'status', status: 500 })
        })
        afterAll(async () => {
          issuer.setFault(null)
          gate.close()
          await server.close()
        })

        for (const c of scenario.cases) {
          it(c.name, async () => {
            const authorization = await c.authorization?.(issuer)
            const url = `${server.url}${c.path ?? '/claims'}${c.query === undefined ? '' : `?${c.query}`}`
            const response = await send(url, authorization)
            const sent = typeof authorization === 'string' ? authorization : (authorization?.[0] ?? '')
            checkResponse(response, c.expect, issuer, sent)
          })
        }
      })
    }
  })
}
