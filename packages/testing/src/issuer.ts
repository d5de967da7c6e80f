/**
 * `createTestIssuer`: a real HTTP issuer on 127.0.0.1 serving discovery, JWKS and (Vercel profile) the
 * token exchange endpoint, minting real signed tokens, with key rotation and fault injection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { oidcMetadata, vercelDiscovery } from './discovery.js'
import { dpopThumbprint } from './dpop.js'
import { handleExchange } from './exchange.js'
import { applyFault, type Fault, faultApplies, type PendingTimers, validateFault } from './faults.js'
import { signCompact } from './jws.js'
import { KeyRing, type TestIssuerAlgorithm, type TestIssuerKeyFile } from './keys.js'
import {
  buildToken,
  type MintClaims,
  type MintOptions,
  type TestIssuerProfile,
  validateMintOptions,
} from './mint.js'
import { oidcEndpoint } from './oidc-routes.js'
import { resolveOptions, TEAM_SLUG, type TestClient, type TestIssuerOptions } from './options.js'
import { sendJson } from './respond.js'
import { handleToken } from './token-endpoint.js'

/**
 * Live request counters of a {@link TestIssuer}; each read gives the current value. Faulted requests count.
 *
 * @example
 * ```ts
 * issuer.resetCounters()
 * await gate.verify(token)
 * expect(issuer.requests.jwks).toBe(1)
 * ```
 */
export interface TestIssuerRequests {
  /** `GET`/`HEAD` requests to a JWKS route (either layout). */
  readonly jwks: number
  /** `GET`/`HEAD` requests to a discovery or authorization server metadata route (either layout). */
  readonly discovery: number
  /** `POST /~token` requests, successful or not (Vercel profile). */
  readonly exchange: number
  /** `POST /token` requests, successful or not (OIDC profile). */
  readonly token: number
}

/** Which key signs in {@link TestIssuer.sign}. */
export interface SignOptions {
  /** The current key or the one before the last `rotate()`. Default `'current'`. */
  key?: 'current' | 'previous'
}

/** Options of {@link TestIssuer.rotate}. */
export interface RotateOptions {
  /** Keep the former current key in the JWKS next to the new one (overlap). Default `true`. */
  keepPrevious?: boolean
}

/**
 * A running test issuer, from {@link createTestIssuer}.
 *
 * @example
 * ```ts
 * const issuer = await createTestIssuer({ team: 'acme' })
 * const token = await issuer.mint({ project: 'web', environment: 'preview' })
 * await issuer.close()
 * ```
 */
export interface TestIssuer {
  /** Origin of the server, e.g. `http://127.0.0.1:43123`: what the core's `vercel({ baseUrl })` takes. */
  readonly url: string
  /** `iss` of minted tokens: `<url>/<team>` (Vercel team mode), `<url>` (Vercel global mode), `<url><issuerPath>` (OIDC). */
  readonly issuer: string
  /** JWKS of `issuer`: `<issuer>/.well-known/jwks` (Vercel), `<url><issuerPath>/jwks` (OIDC, without a doubled `/`). */
  readonly jwksUri: string
  /** Default `aud` of minted tokens. */
  readonly audience: string
  /**
   * The token endpoint, `<url><issuerPath>/token` (OIDC profile): the client credentials grant for the `clients`
   * option, answering RFC 9068 access tokens. `undefined` for the Vercel profile.
   */
  readonly tokenEndpoint: string | undefined
  /** The clients of the token endpoint (OIDC profile). */
  readonly clients: readonly TestClient[]
  /** The Vercel team slug (`owner` of minted tokens). */
  readonly team: string
  /** The Vercel issuer mode. */
  readonly mode: 'team' | 'global'
  /** The issuer profile. */
  readonly profile: TestIssuerProfile
  /** The signing algorithm. */
  readonly algorithm: TestIssuerAlgorithm
  /** Current signing key id; Vercel kids look like `mrk-<32 lowercase hex>`, OIDC kids are RFC 7638 thumbprints. */
  readonly kid: string
  /**
   * Mints a signed token with the profile's defaults, overridden by `claims` (see {@link MintClaims} and
   * {@link MintOptions}). Rejects with a `TypeError` for bad options, or an `Error` when `key: 'previous'`
   * is asked for before any rotation.
   */
  mint(claims?: MintClaims, options?: MintOptions): Promise<string>
  /**
   * Signs a raw compact JWS with the issuer's key, adding nothing: `header` is serialised as given, a string
   * `payload` is used verbatim (so it may hold duplicate members), an object is `JSON.stringify`-ed. The
   * signature uses the key's algorithm whatever `header.alg` says. For building attack tokens.
   */
  sign(
    header: Record<string, unknown>,
    payload: Record<string, unknown> | string,
    options?: SignOptions,
  ): Promise<string>
  /**
   * Generates a new signing key and makes it current; returns its kid. The JWKS then lists the new key and,
   * unless `keepPrevious` is false, the former one; older keys leave the JWKS.
   */
  rotate(options?: RotateOptions): Promise<string>
  /** Removes a public key from the JWKS (it can still sign, to produce tokens with an unknown kid). */
  removeKey(kid: string): void
  /** Live request counters. */
  readonly requests: TestIssuerRequests
  /** Sets every counter back to 0. */
  resetCounters(): void
  /** Makes the key endpoints (JWKS and discovery, both layouts) misbehave; `null` restores them. */
  setFault(fault: Fault | null): void
  /**
   * Members laid over every metadata document served (discovery and RFC 8414, every issuer of the
   * server), e.g. `{ issuer: issuer.issuer + '/' }` or `{ jwks_uri: otherJwksUri }`; a member set to
   * `undefined` is left out. `null` restores the documents.
   */
  setMetadata(overrides: Readonly<Record<string, unknown>> | null): void
  /** `Cache-Control` sent with the JWKS; `null` sends none. Default `'public, max-age=300'`. */
  setCacheControl(value: string | null): void
  /** The private keys, JSON-serialisable, for `createTestIssuer({ keys })`. */
  exportKeys(): TestIssuerKeyFile
  /** Stops the server and closes every open connection; resolves once the port is free. Idempotent. */
  close(): Promise<void>
}

type Route =
  | { readonly kind: 'jwks' }
  | {
      readonly kind: 'discovery'
      readonly name: 'openid-configuration' | 'oauth-authorization-server'
      readonly document: Record<string, unknown>
    }
  | { readonly kind: 'exchange' }
  | { readonly kind: 'token'; readonly issuer: string }
  | { readonly kind: 'authorize' }

const TEAM_ROUTE = /^\/([^/]+)\/\.well-known\/(jwks|openid-configuration)$/

/** Default `Cache-Control` of the JWKS response. */
export const DEFAULT_JWKS_CACHE_CONTROL = 'public, max-age=300'

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function listen(server: ReturnType<typeof createServer>, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error)
    server.once('error', onError)
    server.listen({ port, host: '127.0.0.1' }, () => {
      server.off('error', onError)
      resolve(server.address() as AddressInfo)
    })
  })
}

/**
 * Starts a test issuer on 127.0.0.1 and resolves once it accepts connections.
 *
 * Vercel profile routes (both layouts are served whatever the mode, with the same keys, like
 * oidc.vercel.com; `<team>` is any team slug): `GET /.well-known/jwks`, `GET /.well-known/openid-configuration`,
 * `GET /<team>/.well-known/jwks`, `GET /<team>/.well-known/openid-configuration`, `POST /~token`.
 * OIDC profile routes: `GET /.well-known/openid-configuration`, `GET /.well-known/oauth-authorization-server`,
 * `GET /jwks`, `POST /token` (client credentials, see `clients`), and `/authorize`, which refuses every
 * request; with `issuerPath`, the same under the issuer's path (RFC 8414's metadata with the path
 * inserted after the well-known one), and with `tenants`, the same for every `/<tenant>`. Anything else
 * is a JSON 404; a wrong method on a known route is a 405.
 *
 * Throws a `TypeError` naming the option when an option is invalid.
 *
 * @example
 * ```ts
 * import { createGate, vercel } from '@oidc-gate/core'
 * import { createTestIssuer } from '@oidc-gate/testing'
 *
 * const issuer = await createTestIssuer({ team: 'acme' })
 * const gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })
 * const auth = await gate.verify(await issuer.mint({ environment: 'preview' }))
 * await issuer.close()
 * ```
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const config = resolveOptions(options)
  const { profile, team, mode, now } = config
  const style = profile === 'vercel' ? 'vercel' : 'thumbprint'
  const ring =
    config.keys === undefined
      ? await KeyRing.generate(config.algorithm ?? 'RS256', style)
      : await KeyRing.fromFile(config.keys, config.algorithm, style)

  const counters = { jwks: 0, discovery: 0, exchange: 0, token: 0 }
  const clientScopes = config.clients.flatMap((client) => client.scopes ?? [])
  const timers: PendingTimers = new Set()
  let fault: Fault | null = null
  let metadataOverrides: Readonly<Record<string, unknown>> | null = null
  let cacheControl: string | null = DEFAULT_JWKS_CACHE_CONTROL

  const server = createServer()
  const address = await listen(server, config.port)
  const url = `http://127.0.0.1:${address.port}`
  const teamIssuer = `${url}/${team}`
  const layout = { issuerPath: config.issuerPath, tenants: config.tenants }
  const oidcBase = `${url}${config.issuerPath.replace(/\/$/, '')}`
  const issuer = profile === 'oidc' ? `${url}${config.issuerPath}` : mode === 'global' ? url : teamIssuer
  const jwksUri = profile === 'vercel' ? `${issuer}/.well-known/jwks` : `${oidcBase}/jwks`
  const audience =
    config.audience ?? (profile === 'vercel' ? `https://vercel.com/${team}` : 'https://api.example.test')

  const route = (path: string): Route | undefined => {
    if (profile === 'oidc') {
      const found = oidcEndpoint(path, layout)
      if (found === undefined) return undefined
      const pathIssuer = `${url}${found.issuerPath}`
      switch (found.endpoint) {
        case 'jwks':
          return { kind: 'jwks' }
        case 'token':
          return { kind: 'token', issuer: pathIssuer }
        case 'authorize':
          return { kind: 'authorize' }
        default: {
          const base = `${url}${found.issuerPath.replace(/\/$/, '')}`
          const document = oidcMetadata(pathIssuer, ring.algorithm, clientScopes, base)
          return { kind: 'discovery', name: found.endpoint, document }
        }
      }
    }
    if (path === '/~token') return { kind: 'exchange' }
    if (path === '/.well-known/jwks') return { kind: 'jwks' }
    if (path === '/.well-known/openid-configuration')
      return { kind: 'discovery', name: 'openid-configuration', document: vercelDiscovery(url) }
    const match = TEAM_ROUTE.exec(path)
    const slug = match?.[1]
    if (match === null || slug === undefined || !TEAM_SLUG.test(slug)) return undefined
    if (match[2] === 'jwks') return { kind: 'jwks' }
    return { kind: 'discovery', name: 'openid-configuration', document: vercelDiscovery(`${url}/${slug}`) }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.url ?? ''
    const found = target.startsWith('/') ? route(target.split(/[?#]/, 1)[0] ?? '') : undefined
    if (found === undefined) return sendJson(res, 404, { error: 'not_found' })
    if (found.kind === 'token') {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'POST' })
      counters.token++
      return handleToken(req, res, { issuer: found.issuer, audience, clients: config.clients, ring, now })
    }
    if (found.kind === 'authorize') {
      const description = 'this issuer grants client_credentials only, at the token endpoint'
      return sendJson(res, 400, { error: 'unsupported_response_type', error_description: description })
    }
    if (found.kind === 'exchange') {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'POST' })
      counters.exchange++
      return handleExchange(req, res, {
        teamIssuer,
        acceptedIssuers: [teamIssuer, url],
        ring,
        now,
      })
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendJson(res, 405, { error: 'method_not_allowed' }, { allow: 'GET, HEAD' })
    }
    counters[found.kind]++
    const answer =
      found.kind === 'jwks'
        ? () =>
            sendJson(
              res,
              200,
              { keys: ring.publicJwks() },
              cacheControl === null ? {} : { 'cache-control': cacheControl },
            )
        : () => sendJson(res, 200, { ...found.document, ...metadataOverrides })
    const endpoint = found.kind === 'jwks' ? 'jwks' : found.name
    if (fault === null || !faultApplies(fault, endpoint)) answer()
    else applyFault(fault, req, res, answer, timers)
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: 'server_error' })
      else res.destroy()
    })
  })

  let closing: Promise<void> | undefined
  const requests: TestIssuerRequests = Object.freeze({
    get jwks() {
      return counters.jwks
    },
    get discovery() {
      return counters.discovery
    },
    get exchange() {
      return counters.exchange
    },
    get token() {
      return counters.token
    },
  })

  return Object.freeze({
    url,
    issuer,
    jwksUri,
    audience,
    tokenEndpoint: profile === 'oidc' ? `${oidcBase}/token` : undefined,
    clients: config.clients,
    team,
    mode,
    profile,
    algorithm: ring.algorithm,
    get kid() {
      return ring.current.kid
    },
    requests,
    async mint(claims: MintClaims = {}, mintOptions: MintOptions = {}): Promise<string> {
      if (!isRecord(claims)) throw new TypeError('mint: claims must be an object')
      validateMintOptions(mintOptions)
      const key = ring.select(mintOptions.key ?? 'current')
      const ctx = { profile, team, issuer, audience, nowMs: now() }
      const { dpopKey, ...rest } = mintOptions
      const bound = dpopKey === undefined ? rest : { ...rest, jkt: await dpopThumbprint(dpopKey) }
      const { header, payload } = buildToken(ctx, claims, bound, key)
      return signCompact(header, payload, key)
    },
    async sign(
      header: Record<string, unknown>,
      payload: Record<string, unknown> | string,
      signOptions: SignOptions = {},
    ): Promise<string> {
      if (!isRecord(header)) throw new TypeError('sign: header must be an object')
      if (typeof payload !== 'string' && !isRecord(payload)) {
        throw new TypeError('sign: payload must be an object or a JSON string')
      }
      const which = signOptions.key ?? 'current'
      if (which !== 'current' && which !== 'previous') {
        throw new TypeError("sign: options.key must be 'current' or 'previous'")
      }
      return signCompact(header, payload, ring.select(which))
    },
    async rotate(rotateOptions: RotateOptions = {}): Promise<string> {
      const keepPrevious = rotateOptions.keepPrevious ?? true
      if (typeof keepPrevious !== 'boolean')
        throw new TypeError('rotate: options.keepPrevious must be a boolean')
      return ring.rotate(keepPrevious)
    },
    removeKey(kid: string): void {
      if (typeof kid !== 'string') throw new TypeError('removeKey: kid must be a string')
      ring.unpublish(kid)
    },
    resetCounters(): void {
      counters.jwks = 0
      counters.discovery = 0
      counters.exchange = 0
      counters.token = 0
    },
    setFault(next: Fault | null): void {
      fault = validateFault(next)
    },
    setMetadata(overrides: Readonly<Record<string, unknown>> | null): void {
      if (overrides !== null && !isRecord(overrides)) {
        throw new TypeError('setMetadata: overrides must be an object or null')
      }
      metadataOverrides = overrides === null ? null : Object.freeze({ ...overrides })
    },
    setCacheControl(value: string | null): void {
      if (value !== null && (typeof value !== 'string' || !/^[\t\x20-\x7e]+$/.test(value))) {
        throw new TypeError(
          'setCacheControl: value must be a non-empty header value (printable ASCII) or null',
        )
      }
      cacheControl = value
    },
    exportKeys(): TestIssuerKeyFile {
      return ring.export()
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer)
        timers.clear()
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return closing
    },
  })
}
