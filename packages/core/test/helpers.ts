/**
 * Shared helpers of the core test suite: raw JWS construction with real keys, small loopback HTTP
 * servers, and assertions on the HTTP form of refusals (RFC 6750 §3).
 */

import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
  sign,
} from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestIssuer } from '@oidc-gate/testing'
import { expect } from 'vitest'
import {
  CredentialsMissingError,
  GateError,
  type GateRequest,
  type HeaderValue,
  InvalidRequestError,
  InvalidTokenError,
  KeysUnavailableError,
} from '../src/index.js'

/** base64url without padding, of a UTF-8 string or raw bytes. */
export function b64(input: string | Uint8Array): string {
  return Buffer.from(input).toString('base64url')
}

/** The JSON of one segment (0 header, 1 payload) of a compact JWS. */
export function segmentJson(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8'))
}

/** The claims of a (minted) token, to build variants of it. */
export function claimsOf(token: string): Record<string, unknown> {
  return segmentJson(token, 1)
}

/** A JWS segment: an object (serialised as JSON), a string (used verbatim as JSON text) or raw bytes. */
export type Segment = Record<string, unknown> | string | Uint8Array

function encodeSegment(segment: Segment): string {
  if (segment instanceof Uint8Array || typeof segment === 'string') return b64(segment)
  return b64(JSON.stringify(segment))
}

/** An algorithm this helper signs with node:crypto. */
export type SignAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA'

/** Signs raw bytes of `header` and `payload` with `key`, whatever `header.alg` says. */
export function signJws(header: Segment, payload: Segment, key: KeyObject, alg: SignAlgorithm): string {
  const input = `${encodeSegment(header)}.${encodeSegment(payload)}`
  const data = Buffer.from(input)
  let signature: Buffer
  if (alg === 'RS256') signature = sign('sha256', data, key)
  else if (alg === 'PS256') {
    signature = sign('sha256', data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    })
  } else if (alg === 'ES256') signature = sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' })
  else signature = sign(null, data, key)
  return `${input}.${b64(signature)}`
}

/** `BASE64URL(header).BASE64URL(payload)` without a signature, for unsigned and hand-made signatures. */
export function signingInput(header: Segment, payload: Segment): string {
  return `${encodeSegment(header)}.${encodeSegment(payload)}`
}

/** HMAC-SHA-256 over the signing input, keyed with `secret` (key-confusion attacks). */
export function hs256(header: Segment, payload: Segment, secret: string | Uint8Array): string {
  const input = signingInput(header, payload)
  return `${input}.${b64(createHmac('sha256', secret).update(input).digest())}`
}

/** The private key of the issuer's current signing key (from its key file), for raw signatures. */
export function issuerPrivateKey(issuer: TestIssuer): KeyObject {
  const file = issuer.exportKeys()
  const entry = file.keys.find((k) => k.kid === file.current)
  if (entry === undefined) throw new Error('issuer has no current key')
  return createPrivateKey({ key: entry.jwk as JsonWebKey, format: 'jwk' })
}

/** The public JWK of a private key, with extra members. */
export function publicJwk(key: KeyObject, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(createPublicKey(key).export({ format: 'jwk' }) as Record<string, unknown>), ...extra }
}

/** Flips one bit of the decoded signature and re-encodes it canonically. */
export function flipSignatureBit(token: string, bit = 0): string {
  const [h, p, s] = token.split('.') as [string, string, string]
  const bytes = Buffer.from(s, 'base64url')
  bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7))
  return `${h}.${p}.${b64(bytes)}`
}

/** A Node-style request with `authorization` (if given) and more headers. */
export function request(
  authorization?: string,
  init: { url?: string; headers?: Record<string, HeaderValue>; rawHeaders?: string[] } = {},
): GateRequest {
  const headers: Record<string, HeaderValue> = { host: 'api.example.test', ...init.headers }
  if (authorization !== undefined) headers.authorization = authorization
  return {
    method: 'GET',
    url: init.url ?? '/resource',
    headers,
    ...(init.rawHeaders === undefined ? {} : { rawHeaders: init.rawHeaders }),
  }
}

/** Awaits a rejection and returns it as a `GateError` (fails the test on anything else). */
export async function rejection(promise: Promise<unknown>): Promise<GateError> {
  let settled: unknown
  try {
    await promise
  } catch (error) {
    settled = error
  }
  if (!(settled instanceof GateError)) {
    throw new Error(
      `expected a GateError rejection, got ${settled instanceof Error ? settled.stack : 'a result'}`,
    )
  }
  return settled
}

/** Strings that must never appear in a response (the token, key material, expected values). */
function expectNoSecrets(error: GateError, secrets: readonly string[]): void {
  const visible = `${error.message}\n${JSON.stringify(error.headers)}`
  for (const secret of secrets) {
    if (secret.length > 0) expect(visible, 'an error response must not echo secrets').not.toContain(secret)
  }
}

/** Quoted RFC 6750 auth-param value: `%x20-21 / %x23-5B / %x5D-7E`. */
const QUOTED = '[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]*'
/** The bare `DPoP` challenge a gate adds beside `Bearer` when it accepts both schemes (RFC 9449 §7.1). */
const DPOP_CHALLENGE = `(, DPoP (realm="${QUOTED}", )?algs="${QUOTED}")?`

/** 401 `invalid_token` with `reason`, in the RFC 6750 form, echoing none of `secrets`. */
export async function expectInvalidToken(
  promise: Promise<unknown>,
  reason: string,
  secrets: readonly string[] = [],
): Promise<GateError> {
  const error = await rejection(promise)
  expect(error).toBeInstanceOf(InvalidTokenError)
  expect({ status: error.status, code: error.code, reason: error.reason, error: error.error }).toEqual({
    status: 401,
    code: 'ERR_INVALID_TOKEN',
    reason,
    error: 'invalid_token',
  })
  expect(error.headers['www-authenticate']).toMatch(
    new RegExp(
      `^Bearer (realm="${QUOTED}", )?error="invalid_token", error_description="${QUOTED}"${DPOP_CHALLENGE}$`,
    ),
  )
  expectNoSecrets(error, secrets)
  return error
}

/** 400 `invalid_request` with `reason`, in the RFC 6750 form. */
export async function expectInvalidRequest(
  promise: Promise<unknown>,
  reason: string,
  secrets: readonly string[] = [],
): Promise<GateError> {
  const error = await rejection(promise)
  expect(error).toBeInstanceOf(InvalidRequestError)
  expect({ status: error.status, code: error.code, reason: error.reason, error: error.error }).toEqual({
    status: 400,
    code: 'ERR_INVALID_REQUEST',
    reason,
    error: 'invalid_request',
  })
  expect(error.headers['www-authenticate']).toMatch(
    new RegExp(
      `^Bearer (realm="${QUOTED}", )?error="invalid_request", error_description="${QUOTED}"${DPOP_CHALLENGE}$`,
    ),
  )
  expectNoSecrets(error, secrets)
  return error
}

/** 401 with a bare challenge (no error code, RFC 6750 §3.1) and `reason`. */
export async function expectChallenge(
  promise: Promise<unknown>,
  reason: 'missing' | 'unsupported-scheme',
  secrets: readonly string[] = [],
): Promise<GateError> {
  const error = await rejection(promise)
  expect(error).toBeInstanceOf(CredentialsMissingError)
  expect({ status: error.status, code: error.code, reason: error.reason, error: error.error }).toEqual({
    status: 401,
    code: 'ERR_CREDENTIALS_MISSING',
    reason,
    error: undefined,
  })
  expect(error.headers['www-authenticate']).toMatch(
    new RegExp(`^Bearer( realm="${QUOTED}")?${DPOP_CHALLENGE}$`),
  )
  expectNoSecrets(error, secrets)
  return error
}

/** 503 with `Retry-After` (keys unobtainable). */
export async function expectUnavailable(promise: Promise<unknown>): Promise<KeysUnavailableError> {
  const error = await rejection(promise)
  expect(error).toBeInstanceOf(KeysUnavailableError)
  expect({ status: error.status, code: error.code, reason: error.reason }).toEqual({
    status: 503,
    code: 'ERR_KEYS_UNAVAILABLE',
    reason: 'jwks-unavailable',
  })
  expect(error.headers['retry-after']).toMatch(/^[1-9]\d*$/)
  return error as KeysUnavailableError
}

/** A small HTTP server on 127.0.0.1 that records what it receives. */
export interface LoopbackServer {
  readonly url: string
  /** Paths, headers and arrival times (`performance.now()`) of the requests received, in order. */
  readonly requests: { path: string; headers: IncomingHttpHeaders; at: number }[]
  close(): Promise<void>
}

/** Starts a loopback server answering with `handler`. */
export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<LoopbackServer> {
  const requests: { path: string; headers: IncomingHttpHeaders; at: number }[] = []
  const server = createServer((req, res) => {
    requests.push({ path: req.url ?? '', headers: req.headers, at: performance.now() })
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** A loopback server answering every request with the JWKS `jwks` (read at each request). */
export function serveJwks(jwks: () => unknown): Promise<LoopbackServer> {
  return startServer((_req, res) => {
    const body = JSON.stringify(jwks())
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  })
}

/** RFC 9068 access-token claims for `issuer`, valid now. */
export function accessTokenClaims(
  issuer: string,
  audience: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000)
  return {
    iss: issuer,
    sub: 'user-1',
    aud: audience,
    client_id: 'client-1',
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    iat: now,
    exp: now + 600,
    ...overrides,
  }
}
