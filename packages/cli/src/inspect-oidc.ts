/**
 * `oidc-gate inspect --issuer URL`: verifies an OAuth 2 access token (RFC 9068) as an API configured with
 * `oidc({ issuer, audience })` would, the keys found through the issuer's metadata (discovery).
 *
 * The issuer the user names is one trust anchor; the audience is the other: without `--audience` the
 * token is checked against its own `aud` claim, which pins nothing, so the verdict is "not pinned".
 */
import { type AccessTokenClaims, createGate, type GateEvent, type IssuerProfile, oidc } from '@oidc-gate/core'
import { UsageError } from './errors.js'
import { judge, type PolicyFile, reportOf, timeOf } from './inspect-judge.js'
import { audienceNotPinned, hints, type Report } from './inspect-report.js'
import type { DecodedToken } from './token.js'

/** The command line of an `--issuer` inspection. */
export interface OidcInspection {
  readonly token: string
  readonly decoded: DecodedToken
  /** The issuer identifier, exactly as the API configures it. */
  readonly issuer: string
  /** `--audience` values; `undefined`: the token's own `aud` (pins nothing). */
  readonly audience: readonly string[] | undefined
  readonly nowMs: number
  readonly nowGiven: boolean
  readonly policy: PolicyFile | undefined
}

/**
 * Verifies the token with a gate configured as `oidc({ issuer, audience })`, then explains the policy.
 * @throws UsageError when the issuer or the audience cannot configure `oidc()`.
 *
 * @example
 * ```ts
 * const report = await examineOidc({ token, decoded, issuer: 'https://auth.example.com', audience: ['https://api.example.com'], nowMs: Date.now(), nowGiven: false, policy: undefined }, 'inspect')
 * ```
 */
export async function examineOidc(request: OidcInspection, command: string): Promise<Report> {
  const { token, decoded, issuer, nowMs } = request
  const pinned = request.audience !== undefined
  const audiences = request.audience ?? tokenAudiences(decoded, command)
  let profile: IssuerProfile<AccessTokenClaims>
  try {
    profile = oidc({ issuer, audience: audiences })
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    throw new UsageError(message.replace(/^oidc\(\): (issuer|audience)/, '--$1'), command)
  }
  const events: GateEvent[] = []
  const gate = createGate({ issuers: [profile], clock: () => nowMs, onEvent: (e) => events.push(e) })
  try {
    const notPinned = () => audienceNotPinned(audiences)
    const judged = await judge(gate, token, decoded, request.policy, pinned, notPinned, command)
    const metadata = events.findLast((e) => e.type === 'discovery.fetch' && e.ok)
    const used = metadata?.type === 'discovery.fetch' ? metadata : undefined
    const verifier = {
      profile: 'oidc',
      snippet: `oidc({ issuer: ${quote(issuer)}, audience: ${audiences.map(quote).join(', ')} })`,
      pinned,
      issuers: [issuer],
      metadataUrl: used?.url,
      jwksUri: used?.jwksUri ?? '',
      audiences,
      ...timeOf(nowMs, request.nowGiven),
    } as const
    // The Vercel-only members of the hint context are unused for this profile.
    const context = { kind: 'oidc', team: '', mode: 'team', baseUrl: undefined, nowMs, profile } as const
    return reportOf(
      decoded,
      verifier,
      judged,
      request.policy,
      hints(judged.refusal, decoded, events, context),
    )
  } finally {
    gate.close()
  }
}

function quote(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
}

/** The token's own audiences, when `--audience` is not given. */
function tokenAudiences(decoded: DecodedToken, command: string): string[] {
  const { aud } = decoded.claims
  const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
  if (list.length === 0 || !list.every((a) => typeof a === 'string' && a.length > 0)) {
    throw new UsageError('the token has no aud claim to take the audience from: pass --audience', command)
  }
  return list as string[]
}
