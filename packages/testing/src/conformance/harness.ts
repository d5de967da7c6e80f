/**
 * The adapter conformance harness: runs every scenario of ./scenarios.ts over real HTTP against a real
 * local issuer, and checks that each adapter answers **exactly as the core does** (status,
 * `WWW-Authenticate`, `Retry-After`, `Content-Type`, `Cache-Control` and body): every adapter that passes
 * answers every case identically.
 */

import { createServer, type RequestListener, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestIssuer, type TestIssuer } from '../issuer.js'
import { vercelIds } from '../vercel-ids.js'
import { dpopConformance } from './dpop.js'
import { type Case, CONFORMANCE_RESOURCE, type Expected, SCENARIOS } from './scenarios.js'

/** The realm of every conformance gate: challenges must carry it. */
export const CONFORMANCE_REALM = 'conformance'

/**
 * The neutral request the suite hands the core to learn the expected answer: Node's view (headers and
 * `rawHeaders`), or a Fetch `Headers` for drivers with `fetchRequest`.
 */
export interface ConformanceRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>> | Headers
  readonly rawHeaders?: readonly string[]
}

/** The part of a gate the suite needs from its type: the adapter gets the gate as `createGate()` made it. */
export interface ConformanceGate {
  close(): void
}

/** An HTTP answer of the core: `toResponse()`'s, or the protected-resource metadata's. */
export interface ConformanceAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * What the suite calls on the gate to learn the expected answers (the real `Gate` has these members);
 * typed apart from {@link ConformanceGate} so the adapters get the gate with its real type.
 */
interface CallableGate {
  authenticate(
    request: ConformanceRequest,
    options: { readonly optional: boolean; readonly policy?: unknown },
  ): Promise<unknown>
  compilePolicy(policy: unknown): unknown
  readonly protectedResource?:
    | {
        respond(method: string, url: string): ConformanceAnswer | undefined
        readonly metadataUrl: string
      }
    | undefined
}

/**
 * The functions of `@oidc-gate/core` the suite uses. Pass the core module itself, so the suite tests the
 * core your adapter is built against.
 *
 * @example
 * ```ts
 * import * as core from '@oidc-gate/core'
 * conformance({ name: 'express', core, start })
 * ```
 */
export interface ConformanceCore<P, G extends ConformanceGate> {
  vercel(options: { readonly team: string; readonly baseUrl: string }): P
  createGate(options: {
    readonly issuers: readonly P[]
    readonly realm: string
    readonly policy?: { readonly environment: readonly string[] }
    readonly jwks: { readonly cooldownDuration: number }
    readonly protectedResource?: typeof CONFORMANCE_RESOURCE
  }): G
  toResponse(error: unknown): ConformanceAnswer
}

/**
 * What a driver's `start` receives: mount `oidcGate(gate, { optional })` in front of every route, then
 * `GET /claims` and `GET /policy` (with `requirePolicy(gate, routePolicy)` or the framework's route
 * policy), both answering `200` with {@link echo}`(auth)` as JSON. `start` must reject when the route
 * policy is invalid for the gate (a misspelt claim name): that is checked at boot.
 */
export interface ConformanceSetup<G> {
  /** The gate to pass to the adapter's `oidcGate()`. */
  readonly gate: G
  /** The `optional` option of `oidcGate()`. */
  readonly optional: boolean
  /** The policy of `GET /policy`. */
  readonly routePolicy: Readonly<Record<string, unknown>>
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
 *     app.get('/policy', requirePolicy(gate, routePolicy), (req, res) => res.json(echo(req.auth)))
 *     return listen(app)
 *   },
 * }
 * ```
 */
export interface ConformanceDriver<P, G extends ConformanceGate> {
  /** Shown in test names, e.g. `express 4`. */
  readonly name: string
  /** `@oidc-gate/core`, see {@link ConformanceCore}. */
  readonly core: ConformanceCore<P, G>
  /** Starts the application for one scenario. Called a few times per run. */
  start(setup: ConformanceSetup<G>): Promise<ConformanceServer>
  /**
   * The server stack answers a malformed `Host` with its own 400 before the app runs (as
   * @hono/node-server does): those cases then check the status only. Default `false`.
   */
  readonly hostCheckedByServer?: boolean
  /**
   * The application reads a Fetch `Request` (a fetch handler behind a Node→Fetch bridge, like a
   * Web-standard runtime): repeated header lines reach it joined with `", "`, so the expected answers
   * are the core's for that view of the request. Default `false` (the adapter reads Node's request).
   */
  readonly fetchRequest?: boolean
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

/** An answer as the HTTP client saw it. */
export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string | string[] | undefined>>
  readonly body: string
}

/** A request to send, with repeated header lines as arrays. */
export interface Sent {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string | readonly string[]>>
}

/** `node:http`, not `fetch`: only it sends several `Authorization` or `Host` field lines. */
export function send({ method, url, headers }: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers: { connection: 'close' } }, (res) => {
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
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value as string | string[])
    req.end()
  })
}

async function requestOf(c: Case, issuer: TestIssuer, server: ConformanceServer): Promise<Sent> {
  const headers: Record<string, string | readonly string[]> = {}
  const authorization = await c.authorization?.(issuer)
  if (authorization !== undefined) headers.authorization = authorization
  if (c.host !== undefined) headers.host = c.host
  if (c.forwardedHost !== undefined) headers['x-forwarded-host'] = c.forwardedHost
  const url = `${server.url}${c.path ?? '/claims'}${c.query === undefined ? '' : `?${c.query}`}`
  return { method: c.method ?? 'GET', url, headers }
}

/** The request as the server's Node sees it, or as a Fetch `Request` shows it, for the core. */
function neutral({ method, url, headers }: Sent, fetchRequest: boolean): ConformanceRequest {
  const all: Record<string, string | readonly string[]> = { host: new URL(url).host, ...headers }
  const rawHeaders = Object.entries(all).flatMap(([name, value]) =>
    (typeof value === 'string' ? [value] : value).flatMap((v) => [name, v]),
  )
  const single: Record<string, string> = {}
  for (const [name, value] of Object.entries(all))
    single[name] = typeof value === 'string' ? value : (value[0] as string)
  const { pathname, search } = new URL(url)
  if (!fetchRequest) return { method, url: `${pathname}${search}`, headers: single, rawHeaders }
  const joined = new Headers()
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    joined.append(rawHeaders[i] as string, rawHeaders[i + 1] as string)
  return { method, url, headers: joined }
}

const QUOTED = '"[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]*"'

function checkForm(
  response: Answer,
  expected: Expected,
  issuer: TestIssuer,
  sent: string,
  resourceMetadata: string | undefined,
): void {
  expect(response.status, response.body).toBe(expected.status)
  const challenge = response.headers['www-authenticate']
  // Every challenge of a protected resource points at its metadata (RFC 9728 §5.1).
  const tail = resourceMetadata === undefined ? '' : `, resource_metadata="${resourceMetadata}"`
  // The gates accept both schemes (DPoP `mode: 'allowed'`): a bare DPoP challenge follows (RFC 9449 §7.1).
  const dpop = `, DPoP realm="${CONFORMANCE_REALM}", algs="ES256 EdDSA Ed25519 RS256 PS256"${tail}`
  if ('challenge' in expected) {
    if (expected.challenge === 'bare') {
      expect(challenge).toBe(`Bearer realm="${CONFORMANCE_REALM}"${tail}${dpop}`)
    } else {
      const scope = expected.challenge === 'insufficient_scope' ? `(, scope=${QUOTED})?` : ''
      const form = `^Bearer realm="${CONFORMANCE_REALM}", error="${expected.challenge}", error_description=${QUOTED}${scope}${escapeRegExp(tail + dpop)}$`
      expect(challenge).toMatch(new RegExp(form))
    }
  } else if ('metadata' in expected) {
    checkMetadata(response, expected.metadata)
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/** The metadata of {@link CONFORMANCE_RESOURCE}, readable cross-origin; no body for HEAD and OPTIONS. */
function checkMetadata(response: Answer, kind: 'document' | 'head' | 'preflight'): void {
  expect(response.headers['www-authenticate']).toBeUndefined()
  expect(response.headers['access-control-allow-origin']).toBe('*')
  if (kind !== 'document') {
    expect(response.body).toBe('')
    return
  }
  expect(response.headers['cache-control']).toMatch(/^public, max-age=[1-9][0-9]*$/)
  expect(JSON.parse(response.body)).toMatchObject({
    resource: CONFORMANCE_RESOURCE.resource,
    authorization_servers: CONFORMANCE_RESOURCE.authorizationServers,
    scopes_supported: CONFORMANCE_RESOURCE.scopesSupported,
    bearer_methods_supported: ['header'],
  })
}

const COMPARED = [
  'www-authenticate',
  'retry-after',
  'content-type',
  'cache-control',
  'access-control-allow-origin',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
] as const

/** The refusal is exactly the core's: same status, headers and body in every framework. */
async function checkIdentical<G extends ConformanceGate>(
  response: Answer,
  core: ConformanceCore<unknown, G>,
  gate: G,
  request: ConformanceRequest,
  options: { readonly optional: boolean; readonly policy?: unknown },
): Promise<void> {
  // A request for the metadata gets the protected resource's answer, any other the gate's refusal.
  const callable = gate as unknown as CallableGate
  const expected =
    callable.protectedResource?.respond(request.method, request.url) ??
    (await callable.authenticate(request, options).then(
      () => undefined,
      (error: unknown) => core.toResponse(error),
    ))
  if (expected === undefined) return
  const actual: Record<string, unknown> = {}
  const wanted: Record<string, unknown> = {}
  for (const name of COMPARED) {
    actual[name] = response.headers[name]?.toString().replace(/; charset=utf-8$/i, '')
    wanted[name] = expected.headers[name]
  }
  // An empty body without a media type (the CORS preflight): some frameworks label it text/plain.
  if (expected.body === '' && wanted['content-type'] === undefined) actual['content-type'] = undefined
  expect({ status: response.status, headers: actual, body: response.body }).toEqual({
    status: expected.status,
    headers: wanted,
    body: expected.body,
  })
}

/**
 * Registers the conformance suite for one adapter (vitest `describe`/`it`): about fifty cases over real
 * HTTP against a local test issuer, in five scenarios (required and optional authentication, a gate-wide
 * policy, a protected resource serving its RFC 9728 metadata, a JWKS outage), plus a route policy with a
 * misspelt claim name that must fail at boot. Every
 * refusal must be exactly the core's answer (`toResponse`), so all adapters answer identically.
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
 *     app.get('/policy', requirePolicy(gate, routePolicy), (req, res) => res.json(echo(req.auth)))
 *     return listen(app)
 *   },
 * })
 * ```
 */
export function conformance<P, G extends ConformanceGate>(driver: ConformanceDriver<P, G>): void {
  const { core } = driver
  describe(`${driver.name} conformance`, () => {
    let issuer: TestIssuer
    beforeAll(async () => {
      issuer = await createTestIssuer({ team: 'acme' })
    })
    afterAll(() => issuer.close())

    const gateFor = (policy?: { readonly environment: readonly string[] }, resource?: boolean): G =>
      core.createGate({
        issuers: [core.vercel({ team: issuer.team, baseUrl: issuer.url })],
        realm: CONFORMANCE_REALM,
        jwks: { cooldownDuration: 50 },
        ...(policy === undefined ? {} : { policy }),
        ...(resource === true ? { protectedResource: CONFORMANCE_RESOURCE } : {}),
      })

    it('fails at boot for a misspelt claim name in a route policy, even inside not', async () => {
      const gate = gateFor()
      try {
        const routePolicy = { not: { enviroment: 'preview' } }
        await expect(driver.start({ gate, optional: false, routePolicy })).rejects.toThrow(/enviroment/)
      } finally {
        gate.close()
      }
    })

    for (const scenario of SCENARIOS) {
      describe(scenario.name, () => {
        let server: ConformanceServer
        let gate: G
        let routePolicy: unknown
        const optional = scenario.optional === true
        beforeAll(async () => {
          gate = gateFor(scenario.gatePolicy, scenario.protectedResource)
          const scopes = scenario.routeScopes === undefined ? {} : { scopes: scenario.routeScopes }
          const policy = { project_id: vercelIds(issuer.team, 'web').projectId, ...scopes }
          routePolicy = (gate as unknown as CallableGate).compilePolicy(policy)
          server = await driver.start({ gate, optional, routePolicy: policy })
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
            const sent = await requestOf(c, issuer, server)
            const response = await send(sent)
            if (c.host !== undefined && driver.hostCheckedByServer === true) {
              expect(response.status).toBe(400)
              return
            }
            const authorization = sent.headers.authorization
            checkForm(
              response,
              c.expect,
              issuer,
              typeof authorization === 'string' ? authorization : (authorization?.[0] ?? ''),
              (gate as unknown as CallableGate).protectedResource?.metadataUrl,
            )
            // Node's own header limit (431) is answered before any framework runs.
            if (c.expect.status === 431) return
            const policy = c.path === '/policy' ? { policy: routePolicy } : {}
            const request = neutral(sent, driver.fetchRequest === true)
            await checkIdentical(response, core as ConformanceCore<unknown, G>, gate, request, {
              optional,
              ...policy,
            })
          })
        }
      })
    }
  })
  dpopConformance(driver)
}
