/**
 * The token endpoint of the OIDC profile (RFC 6749 §3.2, §4.4): `POST /token` with the client
 * credentials grant, client authentication by HTTP Basic or form parameters (§2.3.1), resource
 * indicators (RFC 8707) as the audience, and RFC 9068 `at+jwt` access tokens.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { MAX_BODY_BYTES, readBody } from './body.js'
import { signCompact } from './jws.js'
import type { KeyRing } from './keys.js'
import { buildToken, type MintOptions } from './mint.js'
import type { TestClient } from './options.js'
import { sendJson } from './respond.js'

/**
 * Lifetime of the access tokens of the token endpoint, in seconds (1 hour): their `expires_in`.
 *
 * @example
 * ```ts
 * expect(payload.exp - payload.iat).toBe(ACCESS_TOKEN_TTL)
 * ```
 */
export const ACCESS_TOKEN_TTL = 3600

/** What the token endpoint needs from the issuer. */
export interface TokenEndpointContext {
  /** `iss` of the tokens. */
  readonly issuer: string
  /** `aud` of a token requested without `resource`. */
  readonly audience: string
  readonly clients: readonly TestClient[]
  readonly ring: KeyRing
  /** Current time in milliseconds since the epoch. */
  readonly now: () => number
}

/** An RFC 6749 §5.2 error answer. */
class TokenError {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {}
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }
const decoder = new TextDecoder('utf-8', { fatal: true })
/** Parameters that may appear more than once (RFC 8707 §2: one `resource` per target). */
const REPEATABLE = new Set(['resource'])

/**
 * Handles `POST /token`. Answers `200 { access_token, token_type: 'Bearer', expires_in, scope }`, or an
 * RFC 6749 §5.2 error: `400 invalid_request` (not a form, a repeated parameter, two client
 * authentication methods, a body over 64 KiB), `401 invalid_client` (unknown client or wrong secret,
 * with `WWW-Authenticate: Basic` when Basic was used), `400 unsupported_grant_type` (anything but
 * `client_credentials`), `400 invalid_scope` (a scope the client may not have), `400 invalid_target`
 * (a `resource` that is not an absolute URI without fragment).
 *
 * The token: `typ: at+jwt`, `iss`, `sub` and `client_id` (the client), `aud` (the `resource`
 * parameters, else the issuer's audience), `scope` (the requested scopes, else all the client's), `jti`,
 * `iat`, `exp` (1 hour).
 *
 * @example
 * ```ts
 * if (req.method === 'POST' && path === '/token') await handleToken(req, res, ctx)
 * ```
 */
export async function handleToken(req: IncomingMessage, res: ServerResponse, ctx: TokenEndpointContext) {
  try {
    const params = await readForm(req)
    const client = authenticateClient(req, params, ctx.clients)
    const grant = one(params, 'grant_type')
    if (grant === undefined) throw new TokenError(400, 'invalid_request', 'grant_type is missing')
    if (grant !== 'client_credentials') {
      throw new TokenError(400, 'unsupported_grant_type', 'only client_credentials is supported')
    }
    const scopes = grantedScopes(one(params, 'scope'), client)
    const audience = resourceAudience(params.getAll('resource'), ctx.audience)
    const binding = tokenBinding(req)
    const key = ctx.ring.current
    const claims = {
      sub: client.id,
      client_id: client.id,
      aud: audience,
      scope: scopes.join(' '),
      jti: randomUUID(),
    }
    const options: MintOptions = {
      ttl: ACCESS_TOKEN_TTL,
      ...(scopes.length === 0 ? { omit: ['scope'] } : {}),
    }
    const mintContext = { profile: 'oidc' as const, team: '', issuer: ctx.issuer, audience: ctx.audience }
    const { header, payload } = buildToken({ ...mintContext, nowMs: ctx.now() }, claims, options, key)
    const token = await signCompact(header, payload, key)
    const answer = { access_token: token, token_type: binding.tokenType, expires_in: ACCESS_TOKEN_TTL }
    sendJson(res, 200, scopes.length === 0 ? answer : { ...answer, scope: scopes.join(' ') }, NO_STORE)
  } catch (caught) {
    if (!(caught instanceof TokenError)) throw caught
    const body = { error: caught.error, error_description: caught.description }
    sendJson(res, caught.status, body, { ...NO_STORE, ...caught.headers })
  }
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') {
    throw new TokenError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded')
  }
  const raw = await readBody(req, MAX_BODY_BYTES)
  if (raw === undefined) {
    throw new TokenError(413, 'invalid_request', 'request body is too large', { connection: 'close' })
  }
  let params: URLSearchParams
  try {
    params = new URLSearchParams(decoder.decode(raw))
  } catch {
    throw new TokenError(400, 'invalid_request', 'the body is not UTF-8')
  }
  const seen = new Set<string>()
  for (const name of params.keys()) {
    if (seen.has(name) && !REPEATABLE.has(name)) {
      throw new TokenError(400, 'invalid_request', `${name} is repeated`)
    }
    seen.add(name)
  }
  return params
}

function one(params: URLSearchParams, name: string): string | undefined {
  return params.get(name) ?? undefined
}

/** RFC 6749 §2.3.1: HTTP Basic (form-urlencoded id and secret) or `client_id` + `client_secret`, not both. */
function authenticateClient(
  req: IncomingMessage,
  params: URLSearchParams,
  clients: readonly TestClient[],
): TestClient {
  const authorization = req.headers.authorization
  const basic = authorization !== undefined && /^basic /i.test(authorization)
  if (basic && (params.has('client_id') || params.has('client_secret'))) {
    throw new TokenError(400, 'invalid_request', 'use one client authentication method, not two')
  }
  const credentials = basic ? basicCredentials(authorization) : formCredentials(params)
  const refusal = new TokenError(401, 'invalid_client', 'client authentication failed', {
    ...(basic ? { 'www-authenticate': 'Basic realm="token"' } : {}),
  })
  if (credentials === undefined) throw refusal
  const client = clients.find((c) => c.id === credentials.id)
  if (client === undefined || !sameSecret(client.secret, credentials.secret)) throw refusal
  return client
}

function basicCredentials(authorization: string): { id: string; secret: string } | undefined {
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon === -1) return undefined
  try {
    const unform = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '))
    return { id: unform(decoded.slice(0, colon)), secret: unform(decoded.slice(colon + 1)) }
  } catch {
    return undefined
  }
}

function formCredentials(params: URLSearchParams): { id: string; secret: string } | undefined {
  const id = params.get('client_id')
  const secret = params.get('client_secret')
  return id === null || secret === null ? undefined : { id, secret }
}

function sameSecret(expected: string, given: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(expected), digest(given))
}

/** The requested scopes, each one the client may have; without `scope`, all of the client's (§3.3). */
function grantedScopes(scope: string | undefined, client: TestClient): readonly string[] {
  const allowed = client.scopes ?? []
  if (scope === undefined) return allowed
  const requested = [...new Set(scope.split(' ').filter((token) => token !== ''))]
  const refused = requested.filter((token) => !allowed.includes(token))
  if (refused.length > 0) {
    throw new TokenError(400, 'invalid_scope', `the client may not have ${refused.join(' ')}`)
  }
  return requested
}

/** RFC 8707 §2: each `resource` is an absolute URI without fragment; several make an `aud` array. */
function resourceAudience(resources: readonly string[], fallback: string): string | string[] {
  if (resources.length === 0) return fallback
  for (const resource of resources) {
    if (!URL.canParse(resource) || resource.includes('#')) {
      throw new TokenError(400, 'invalid_target', 'resource must be an absolute URI without a fragment')
    }
  }
  const unique = [...new Set(resources)]
  return unique.length === 1 ? (unique[0] as string) : unique
}

/**
 * How the token is bound to the client: bearer tokens only. A `DPoP` proof header (RFC 9449 §5) would
 * be verified here and make it a DPoP-bound token: `token_type: 'DPoP'` and `MintOptions.jkt`.
 */
function tokenBinding(_req: IncomingMessage): { readonly tokenType: 'Bearer' } {
  return { tokenType: 'Bearer' }
}
