/**
 * The gate's `mock` option (DESIGN §9): a static identity or decode-only tokens, for local development.
 * Both are refused when `NODE_ENV=production`, announce themselves with a `mock.enabled` event at boot,
 * and mark every `Auth` they produce with `mock: true`. The real local issuer (`oidc-gate dev-issuer`)
 * stays the recommended way to develop.
 */

import type { RegisteredClaims } from '../claims.js'
import type { EventListener } from '../events.js'
import type { Credentials } from '../extract.js'
import type { VerifyContext, verifyToken } from '../verify.js'
import { decodeOnly } from './decode-only.js'
import { staticIdentity } from './identity.js'

/** The claims a static identity may leave out: the gate fills them in. */
type FilledClaims = 'iss' | 'aud' | 'iat' | 'exp' | 'nbf'

/**
 * A static identity: the claims of the issuer profile, typed as the verified claims are (`VercelClaims`
 * for `vercel()`), where `iss`, `aud`, `iat` and `exp` are optional: `iss` defaults to the gate's first
 * issuer, `aud` to its first audience, `iat` to the time of the request, `exp` to one hour later.
 *
 * @example
 * ```ts
 * const identity: MockIdentity<VercelClaims> = {
 *   sub: 'owner:acme:project:web:environment:development',
 *   owner: 'acme',
 *   owner_id: 'team_1234567890abcdefghijklmn',
 *   project: 'web',
 *   project_id: 'prj_1234567890abcdefghijklmnopqr',
 *   environment: 'development',
 * }
 * ```
 */
export type MockIdentity<C> = {
  readonly [K in keyof C as K extends FilledClaims ? never : K]: C[K]
} & Partial<Pick<RegisteredClaims, FilledClaims>>

/**
 * The gate's `mock` option, for local development only (refused when `NODE_ENV=production`):
 * - `{ identity }`: every request is authenticated as `identity`, with or without a token; policies
 *   still apply;
 * - `'decode-only'`: tokens are read and every check of a real verification runs (issuer, algorithm,
 *   audience, expiry, the profile's claims) but the signature is not verified and no key is fetched.
 *
 * @example
 * ```ts
 * createGate({ issuers: [vercel({ team: 'acme' })], mock: 'decode-only' })
 * ```
 */
export type MockOptions<C> = 'decode-only' | { readonly identity: MockIdentity<C> }

/** A mock mode, resolved. */
export interface GateMock {
  readonly mode: 'identity' | 'decode-only'
  /** Builds the `Auth` in place of `verifyToken`. */
  readonly verify: typeof verifyToken
  /** The credentials of every request (a static identity reads none); `undefined` to read them. */
  readonly credentials: Credentials | undefined
}

/** The credentials of a static identity: no token. */
const NO_TOKEN: Credentials = Object.freeze({ scheme: 'Bearer', token: '' })

/**
 * Checks the `mock` option and emits `mock.enabled`.
 * @throws TypeError naming `mock` when it is malformed, or when `NODE_ENV` is `production` (or cannot
 * be read).
 */
export function resolveMock(
  option: unknown,
  ctx: VerifyContext,
  nowMs: number,
  emit: EventListener,
): GateMock | undefined {
  if (option === undefined) return undefined
  refuseInProduction()
  if (option === 'decode-only') {
    emit({ type: 'mock.enabled', mode: 'decode-only', issuer: undefined })
    return { mode: 'decode-only', verify: decodeOnly, credentials: undefined }
  }
  if (option === null || typeof option !== 'object' || !('identity' in option)) {
    throw new TypeError('mock must be "decode-only" or { identity: { ...claims } }')
  }
  for (const key of Object.keys(option)) {
    if (key !== 'identity') throw new TypeError(`mock: unknown option "${key}"`)
  }
  const identity = staticIdentity(option.identity, ctx, nowMs)
  emit({ type: 'mock.enabled', mode: 'identity', issuer: identity.issuer })
  return { mode: 'identity', verify: identity.verify, credentials: NO_TOKEN }
}

function refuseInProduction(): void {
  let env: string | undefined
  try {
    env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NODE_ENV
  } catch {
    // Deno without --allow-env: the environment is unknown, so it may be production.
    throw new TypeError('mock: NODE_ENV could not be read; mock modes need to know it is not "production"')
  }
  if (env?.trim().toLowerCase() === 'production') {
    throw new TypeError(
      'mock: mock modes are refused when NODE_ENV=production (tokens would not be verified); ' +
        'remove the mock option, or develop against `oidc-gate dev-issuer`',
    )
  }
}
