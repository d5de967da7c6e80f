/**
 * The Vercel OIDC profile (https://vercel.com/docs/oidc/reference).
 *
 * Vercel's signing keys are shared across teams, so the binding to a team rests on exact checks of `iss`,
 * `aud` and `owner` (SECURITY §6.2), and on `owner_id` when the team's ID is configured: a slug can be
 * renamed and then taken by another team, the ID cannot (DESIGN §3).
 */

import { checkAlgorithms } from '../algorithms.js'
import { vercelIdentity } from '../auth.js'
import { VERCEL_CLAIM_NAMES, type VercelClaims } from '../claims.js'
import { InvalidTokenError } from '../errors.js'
import { mediaType } from '../jws.js'
import { checkUrl } from '../url.js'
import { optionalString, requiredString } from '../validate-claims.js'
import {
  audiences,
  type IssuerProfile,
  type IssuerTarget,
  initialKeys,
  type KeySetOptions,
  knownOptions,
  seconds,
} from './profile.js'

/** Options of {@link vercel}. */
export interface VercelOptions extends KeySetOptions {
  /** The team slug (the URL name of the team, `[a-z0-9-]`), e.g. `acme`. Required. */
  readonly team: string
  /**
   * The team's ID, `team_` followed by letters and digits (the `owner_id` claim of its tokens; Team
   * Settings → General → Team ID). Tokens must carry exactly this `owner_id`. Recommended: a slug can be
   * renamed and then taken by another team, which would then pass the slug checks; the ID never changes
   * hands. Default: none (the team is bound by its slug, and the gate emits a `policy.warning` at boot).
   */
  readonly teamId?: string
  /**
   * The issuer mode set in the project's settings: `team` (default) tokens have
   * `iss: https://oidc.vercel.com/<team>`, `global` tokens have `iss: https://oidc.vercel.com`.
   */
  readonly issuerMode?: 'team' | 'global'
  /**
   * Accepted audiences. Default `https://vercel.com/<team>`, the audience of every token Vercel issues.
   * Tokens from Vercel's token exchange carry the audience that was asked for: list it here (with the
   * default too, if both kinds of token call this API).
   */
  readonly audience?: string | readonly string[]
  /** The JWKS URL. Default `<issuer>/.well-known/jwks`. */
  readonly jwksUri?: string
  /**
   * The issuer's origin. Default `https://oidc.vercel.com`. Point it at a local issuer in development and
   * tests (`http:` is accepted for loopback hosts only), e.g. `createTestIssuer().url`.
   */
  readonly baseUrl?: string
  /** Largest accepted token lifetime (`exp − iat`), seconds. Default 86400 (24 h; Vercel's longest is 12 h). */
  readonly maxTokenLifetime?: number
}

const OPTIONS = [
  'team',
  'teamId',
  'issuerMode',
  'audience',
  'jwksUri',
  'baseUrl',
  'maxTokenLifetime',
  'jwks',
  'jwksFetch',
]
const TEAM = /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/
const TEAM_ID = /^team_[A-Za-z0-9]{1,64}$/

/**
 * Accept Vercel OIDC tokens of one team.
 *
 * @example
 * ```ts
 * import { createGate, vercel } from '@oidc-gate/core'
 *
 * const gate = createGate({ issuers: [vercel({ team: 'acme', teamId: 'team_nLlpyC6REAqxydlFKbrMDlud' })] })
 * const auth = await gate.authenticate(request)
 * auth.claims.project_id // 'prj_…'
 * ```
 */
export function vercel(options: VercelOptions): IssuerProfile<VercelClaims> {
  if (options === null || typeof options !== 'object') throw new TypeError('vercel() needs an options object')
  knownOptions('vercel', options, OPTIONS)
  const { team } = options
  if (typeof team !== 'string' || !TEAM.test(team)) {
    throw new TypeError(
      'vercel(): team must be a Vercel team slug (lowercase letters, digits and "-"), e.g. "acme"',
    )
  }
  const { teamId } = options
  if (teamId !== undefined && (typeof teamId !== 'string' || !TEAM_ID.test(teamId))) {
    throw new TypeError(
      'vercel(): teamId must be a Vercel team ID ("team_" followed by letters and digits), the owner_id claim of its tokens',
    )
  }
  const mode = options.issuerMode ?? 'team'
  if (mode !== 'team' && mode !== 'global')
    throw new TypeError('vercel(): issuerMode must be "team" or "global"')
  const base = checkUrl('vercel(): baseUrl', options.baseUrl ?? 'https://oidc.vercel.com').replace(/\/+$/, '')
  if (new URL(base).pathname !== '/')
    throw new TypeError('vercel(): baseUrl must be an origin without a path')
  const jwksUri = options.jwksUri === undefined ? undefined : checkUrl('vercel(): jwksUri', options.jwksUri)

  // String concatenation, not `new URL('/.well-known/jwks', issuer)`, which would drop the team path.
  const teamIssuer = `${base}/${team}`
  const keys = initialKeys('vercel', options)
  const withKeys = keys === undefined ? {} : { initialKeys: keys }
  const team_: IssuerTarget = {
    issuer: teamIssuer,
    jwksUri: jwksUri ?? `${teamIssuer}/.well-known/jwks`,
    ...withKeys,
  }
  const targets: IssuerTarget[] =
    mode === 'team'
      ? [team_]
      : [
          { issuer: base, jwksUri: jwksUri ?? `${base}/.well-known/jwks`, ...withKeys },
          // Vercel's token exchange issues team-issuer tokens even for global-mode projects.
          { ...team_, exchangedOnly: true },
        ]

  return Object.freeze<IssuerProfile<VercelClaims>>({
    profile: 'vercel',
    targets: Object.freeze(targets),
    audiences: audiences('vercel(): audience', options.audience ?? `https://vercel.com/${team}`),
    algorithms: checkAlgorithms('vercel(): algorithms', ['RS256']),
    maxTokenLifetime: seconds('vercel(): maxTokenLifetime', options.maxTokenLifetime, 86_400),
    maxTokenAge: undefined,
    claimNames: VERCEL_CLAIM_NAMES,
    policyProfile: 'vercel',
    // Vercel tokens are typed `JWT`; anything else (`at+jwt`, `dpop+jwt`, …) is another kind of token.
    acceptsTyp: (typ) => typ === undefined || (typeof typ === 'string' && mediaType(typ) === 'jwt'),
    checkClaims(claims, target) {
      for (const name of ['owner', 'owner_id', 'project', 'project_id', 'environment'] as const) {
        requiredString(claims, name)
      }
      for (const name of ['user_id', 'plan', 'custom_environment_id'] as const) optionalString(claims, name)
      if (claims.owner !== team) throw new InvalidTokenError('owner', 'owner mismatch')
      if (teamId !== undefined && claims.owner_id !== teamId) {
        throw new InvalidTokenError('owner_id', 'owner_id mismatch')
      }
      if (target.exchangedOnly === true && claims.act === undefined) {
        throw new InvalidTokenError('iss', 'issuer mismatch')
      }
    },
    present: (claims) => ({ vercel: vercelIdentity(claims as unknown as VercelClaims) }),
    warnings:
      teamId === undefined
        ? [
            `vercel({ team: '${team}' }) binds the team by its slug only: a slug can be renamed and then ` +
              'taken by another team. Pass teamId (the owner_id of its tokens, team_…) to pin the team',
          ]
        : [],
  })
}
