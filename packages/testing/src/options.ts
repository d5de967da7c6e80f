/**
 * Options of `createTestIssuer` and their validation.
 */
import type { TestIssuerAlgorithm, TestIssuerKeyFile } from './keys.js'
import { TEST_ISSUER_ALGORITHMS } from './keys.js'
import type { TestIssuerProfile } from './mint.js'

/**
 * Options of {@link createTestIssuer}. Every option is validated when the issuer is created; a bad value
 * throws a `TypeError` naming the option.
 *
 * @example
 * ```ts
 * const issuer = await createTestIssuer({ profile: 'vercel', team: 'acme', mode: 'global' })
 * const as = await createTestIssuer({ profile: 'oidc', algorithm: 'ES256', audience: 'https://api.test' })
 * ```
 */
export interface TestIssuerOptions {
  /** `'vercel'` (Vercel OIDC tokens, `RS256`) or `'oidc'` (RFC 9068 access tokens). Default `'vercel'`. */
  profile?: TestIssuerProfile
  /** Vercel team slug, matching `[a-z0-9-]+`; the `owner` of minted tokens. Default `'acme'`. */
  team?: string
  /**
   * Vercel issuer mode: `'team'` (`iss` = `<url>/<team>`) or `'global'` (`iss` = `<url>`). Both layouts are
   * served either way. Ignored by the `oidc` profile. Default `'team'`.
   */
  mode?: 'team' | 'global'
  /**
   * Signing algorithm. The Vercel profile supports `'RS256'` only. Default `'RS256'`, or the algorithm of
   * `keys` when given.
   */
  algorithm?: TestIssuerAlgorithm
  /** TCP port on 127.0.0.1, an integer from 0 to 65535; `0` picks a free port. Default `0`. */
  port?: number
  /** Private keys from a previous `exportKeys()`, so a restarted issuer keeps its keys. Default: new keys. */
  keys?: TestIssuerKeyFile
  /**
   * Default `aud` of minted tokens. Default `https://vercel.com/<team>` (Vercel) or
   * `'https://api.example.test'` (OIDC).
   */
  audience?: string
  /** Clock in milliseconds since the epoch, used for minting and for the exchange endpoint. Default `Date.now`. */
  now?: () => number
  /**
   * The clients of the token endpoint (`POST /token`, OIDC profile only): who may get a token with the
   * client credentials grant, and with which scopes. Default: one client, {@link DEFAULT_TEST_CLIENT}
   * (`client-1` / `client-1-secret`, scopes `read` and `write`).
   */
  clients?: readonly TestClient[]
  /**
   * The path of the issuer identifier (OIDC profile), e.g. `'/realms/acme'` or `'/'`: `iss` is
   * `<url><issuerPath>`; its metadata is served at `<issuer without a terminating />/.well-known/openid-configuration`
   * and, with RFC 8414 path insertion, at `<url>/.well-known/oauth-authorization-server<path>`; its JWKS
   * and token endpoint under the issuer. Segments of letters, digits and `-._~`, with an optional
   * terminating `/`. Default `''` (the issuer is the origin).
   */
  issuerPath?: string
  /**
   * Multi-tenant (OIDC profile): every `<url>/<tenant>` (a slug matching `[a-z0-9-]+`) is an issuer too,
   * with the same routes under its path and the same keys, like Entra ID's tenants. Mint a tenant's
   * token with `mint({ iss: issuer.url + '/t1' })`. Default `false`.
   */
  tenants?: boolean
}

/**
 * A client of the test issuer's token endpoint.
 *
 * @example
 * ```ts
 * const client: TestClient = { id: 'mcp-client', secret: 's3cret', scopes: ['files:read'] }
 * ```
 */
export interface TestClient {
  /** The `client_id`: printable ASCII without `:`, so it fits HTTP Basic credentials. */
  readonly id: string
  /** The client secret: printable ASCII. */
  readonly secret: string
  /** The scopes the client may ask for (RFC 6749 §3.3 scope tokens). Default: none. */
  readonly scopes?: readonly string[]
}

/**
 * The client of the token endpoint when `clients` is not given.
 *
 * @example
 * ```ts
 * const { id, secret } = DEFAULT_TEST_CLIENT // 'client-1', 'client-1-secret'
 * ```
 */
export const DEFAULT_TEST_CLIENT: TestClient = Object.freeze({
  id: 'client-1',
  secret: 'client-1-secret',
  scopes: Object.freeze(['read', 'write']),
})

/** Options with their defaults applied. */
export interface ResolvedOptions {
  readonly profile: TestIssuerProfile
  readonly team: string
  readonly mode: 'team' | 'global'
  /** Explicit algorithm (the Vercel profile forces `RS256`); `undefined` means "from keys, else RS256". */
  readonly algorithm: TestIssuerAlgorithm | undefined
  readonly port: number
  readonly keys: TestIssuerKeyFile | undefined
  readonly audience: string | undefined
  readonly now: () => number
  readonly clients: readonly TestClient[]
  readonly issuerPath: string
  readonly tenants: boolean
}

const OPTION_NAMES = new Set([
  'profile',
  'team',
  'mode',
  'algorithm',
  'port',
  'keys',
  'audience',
  'now',
  'clients',
  'issuerPath',
  'tenants',
])

/** An issuer path: `/`-led segments of unreserved characters, an optional terminating `/`. */
const ISSUER_PATH = /^(?:\/[A-Za-z0-9._~-]+)*\/?$/

/** Vercel team slugs: lowercase letters, digits and hyphens. */
export const TEAM_SLUG = /^[a-z0-9-]+$/

function fail(message: string): never {
  throw new TypeError(`createTestIssuer: ${message}`)
}

/**
 * Validates options and applies defaults, throwing a `TypeError` naming the bad option.
 *
 * @example
 * ```ts
 * const resolved = resolveOptions({ team: 'acme' })
 * ```
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    fail('options must be an object')
  }
  const o = options as Record<string, unknown>
  for (const name of Object.keys(o)) {
    if (!OPTION_NAMES.has(name)) fail(`unknown option "${name}"`)
  }
  const profile = o.profile ?? 'vercel'
  if (profile !== 'vercel' && profile !== 'oidc') fail("options.profile must be 'vercel' or 'oidc'")
  const team = o.team ?? 'acme'
  if (typeof team !== 'string' || !TEAM_SLUG.test(team)) {
    fail('options.team must be a Vercel team slug matching [a-z0-9-]+')
  }
  const mode = o.mode ?? 'team'
  if (mode !== 'team' && mode !== 'global') fail("options.mode must be 'team' or 'global'")
  let algorithm = o.algorithm
  if (algorithm !== undefined && !(TEST_ISSUER_ALGORITHMS as readonly unknown[]).includes(algorithm)) {
    fail(`options.algorithm must be one of ${TEST_ISSUER_ALGORITHMS.join(', ')}`)
  }
  if (profile === 'vercel') {
    if (algorithm !== undefined && algorithm !== 'RS256') {
      fail("options.algorithm must be 'RS256' with the vercel profile")
    }
    algorithm = 'RS256'
  }
  const port = o.port ?? 0
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535) {
    fail('options.port must be an integer from 0 to 65535')
  }
  if (o.keys !== undefined && (typeof o.keys !== 'object' || o.keys === null)) {
    fail('options.keys must be a key file from exportKeys()')
  }
  if (o.audience !== undefined && (typeof o.audience !== 'string' || o.audience === '')) {
    fail('options.audience must be a non-empty string')
  }
  if (o.now !== undefined && typeof o.now !== 'function') fail('options.now must be a function returning ms')
  const issuerPath = o.issuerPath ?? ''
  if (typeof issuerPath !== 'string' || !ISSUER_PATH.test(issuerPath)) {
    fail("options.issuerPath must be a path such as '/realms/acme' (unreserved characters), or ''")
  }
  if (o.tenants !== undefined && typeof o.tenants !== 'boolean') fail('options.tenants must be a boolean')
  if (profile !== 'oidc' && (issuerPath !== '' || o.tenants === true)) {
    fail("options.issuerPath and options.tenants need profile 'oidc'")
  }
  return {
    profile,
    team,
    mode,
    algorithm: algorithm as TestIssuerAlgorithm | undefined,
    port: port as number,
    keys: o.keys as TestIssuerKeyFile | undefined,
    audience: o.audience as string | undefined,
    now: (o.now as (() => number) | undefined) ?? Date.now,
    clients: resolveClients(o.clients, profile),
    issuerPath,
    tenants: o.tenants === true,
  }
}

const PRINTABLE = /^[\x21-\x7e]+$/
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

function resolveClients(value: unknown, profile: TestIssuerProfile): readonly TestClient[] {
  if (value === undefined) return [DEFAULT_TEST_CLIENT]
  if (profile !== 'oidc') fail("options.clients needs profile 'oidc' (the token endpoint of RFC 9068 tokens)")
  if (!Array.isArray(value) || value.length === 0)
    fail('options.clients must be a non-empty array of clients')
  const ids = new Set<string>()
  return Object.freeze(
    value.map((client: unknown, i) => {
      const at = `options.clients[${i}]`
      if (typeof client !== 'object' || client === null) fail(`${at} must be { id, secret, scopes? }`)
      const { id, secret, scopes = [], ...rest } = client as Record<string, unknown>
      if (Object.keys(rest).length > 0) fail(`${at}: unknown option "${Object.keys(rest)[0]}"`)
      if (typeof id !== 'string' || !PRINTABLE.test(id) || id.includes(':')) {
        fail(`${at}.id must be printable ASCII without spaces or ":"`)
      }
      if (ids.has(id)) fail(`${at}.id ${id} is listed twice`)
      ids.add(id)
      if (typeof secret !== 'string' || !PRINTABLE.test(secret)) fail(`${at}.secret must be printable ASCII`)
      if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))) {
        fail(`${at}.scopes must be an array of scope tokens (no spaces, quotes or backslashes)`)
      }
      return Object.freeze({ id, secret, scopes: Object.freeze([...new Set(scopes as string[])]) })
    }),
  )
}
