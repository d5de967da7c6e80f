/**
 * Vercel-compatible token exchange: `POST /~token` with `{ token, aud, jti? }` (the service Vercel runs
 * at `https://oidc.vercel.com/~token`). The subject token must be valid, unexpired and from this issuer;
 * the answer is a token with the same claims and `exp`, the requested `aud`, a fresh `iat`/`nbf`, the team
 * `iss`, an `act` claim and the optional `jti`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { MAX_BODY_BYTES, readBody } from './body.js'
import { signCompact } from './jws.js'
import type { KeyRing } from './keys.js'
import { sendJson } from './respond.js'

/** Largest request body the exchange endpoint reads, in bytes (64 KiB). */
export const MAX_EXCHANGE_BODY_BYTES = MAX_BODY_BYTES

/** What the exchange endpoint needs from the issuer. */
export interface ExchangeContext {
  /** `iss` of exchanged tokens, always the team issuer (`<url>/<team>`). */
  readonly teamIssuer: string
  /** Issuers a subject token may come from: the team issuer and the global one. */
  readonly acceptedIssuers: readonly string[]
  readonly ring: KeyRing
  /** Current time in milliseconds since the epoch. */
  readonly now: () => number
}

const decoder = new TextDecoder('utf-8', { fatal: true })

function invalidRequest(res: ServerResponse, description: string, status = 400): void {
  sendJson(
    res,
    status,
    { error: 'invalid_request', error_description: description },
    {
      'cache-control': 'no-store',
      ...(status === 413 ? { connection: 'close' } : {}),
    },
  )
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Handles `POST /~token`. Answers `200 { token, expiry }` (`expiry` = the token's `exp`, in seconds), `400
 * invalid_request` for a body that is not a JSON object with a non-empty string `token` and `aud` (and a
 * string `jti` if present), `413 invalid_request` for a body over 64 KiB, `401 invalid_token` for a subject
 * token that is invalid, expired, without `exp`, or not from this issuer.
 *
 * @example
 * ```ts
 * if (req.method === 'POST' && path === '/~token') await handleExchange(req, res, ctx)
 * ```
 */
export async function handleExchange(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ExchangeContext,
): Promise<void> {
  const raw = await readBody(req, MAX_EXCHANGE_BODY_BYTES)
  if (raw === undefined) return invalidRequest(res, 'request body is too large', 413)
  let body: unknown
  try {
    body = JSON.parse(decoder.decode(raw))
  } catch {
    return invalidRequest(res, 'request body must be JSON')
  }
  if (!isRecord(body)) return invalidRequest(res, 'request body must be a JSON object')
  const { token, aud, jti } = body
  if (typeof token !== 'string' || token === '')
    return invalidRequest(res, 'token must be a non-empty string')
  if (typeof aud !== 'string' || aud === '') return invalidRequest(res, 'aud must be a non-empty string')
  if (jti !== undefined && (typeof jti !== 'string' || jti === '')) {
    return invalidRequest(res, 'jti must be a non-empty string')
  }

  const nowMs = ctx.now()
  let subject: Record<string, unknown>
  try {
    const verified = await jwtVerify(token, createLocalJWKSet({ keys: ctx.ring.publicJwks() }), {
      issuer: [...ctx.acceptedIssuers],
      algorithms: [ctx.ring.algorithm],
      requiredClaims: ['exp'],
      currentDate: new Date(nowMs),
    })
    subject = verified.payload
  } catch {
    return sendJson(
      res,
      401,
      { error: 'invalid_token', error_description: 'the subject token is invalid or expired' },
      { 'cache-control': 'no-store' },
    )
  }

  const now = Math.floor(nowMs / 1000)
  const act: Record<string, unknown> = {}
  if (subject.sub !== undefined) act.sub = subject.sub
  act.aud = subject.aud
  if (subject.iat !== undefined) act.iat = subject.iat
  if (subject.act !== undefined) act.act = subject.act
  const payload: Record<string, unknown> = {
    ...subject,
    iss: ctx.teamIssuer,
    aud,
    iat: now,
    nbf: now,
    act,
    ...(jti === undefined ? {} : { jti }),
  }
  const key = ctx.ring.current
  const exchanged = await signCompact({ alg: key.alg, typ: 'JWT', kid: key.kid }, payload, key)
  sendJson(res, 200, { token: exchanged, expiry: subject.exp }, { 'cache-control': 'no-store' })
}
