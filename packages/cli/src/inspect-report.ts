/**
 * What `oidc-gate inspect` found, and its two forms: coloured text for people, JSON for scripts. Also
 * the hints: what to try next for the refusals people run into most.
 */
import type { GateEvent, IssuerProfile, PolicyDecision } from '@oidc-gate/core'
import { isLoopbackHost } from './args.js'
import { humanDuration, printable, showTime, showValue, table } from './format.js'
import type { Style } from './io.js'
import type { DecodedToken } from './token.js'

/**
 * The failed check: a verification error, the policy's refusal, or (`pinning`) a token that only checked
 * out against the team named by its own claims.
 */
export interface Refusal {
  readonly stage: 'verification' | 'policy' | 'pinning'
  readonly code: string
  readonly reason: string
  readonly message: string
  readonly status: number
}

/** What every verifier of `inspect` tells. */
interface VerifierBase {
  /** The `vercel({...})` or `oidc({...})` call this verifier amounts to. */
  readonly snippet: string
  /** Whether the trust anchor was named by the user rather than read from the token. */
  readonly pinned: boolean
  readonly issuers: readonly string[]
  readonly jwksUri: string
  readonly audiences: readonly string[]
  readonly now: string
  readonly nowGiven: boolean
}

/** A Vercel verifier: the team (`--team`, `--team-id`) is the trust anchor. */
export interface VercelVerifier extends VerifierBase {
  readonly profile: 'vercel'
  readonly team: string
  readonly teamId: string | undefined
  readonly issuerMode: 'team' | 'global'
  readonly baseUrl: string
  readonly jwksFile: string | undefined
}

/**
 * An OIDC verifier (`--issuer`): the issuer and the audience (`--audience`) are the trust anchors; the
 * keys come from the issuer's metadata.
 */
export interface OidcVerifier extends VerifierBase {
  readonly profile: 'oidc'
  /** The metadata document the keys were found through, when one was read and used. */
  readonly metadataUrl: string | undefined
}

/** Everything `inspect` prints. */
export interface Report {
  readonly header: DecodedToken['header']
  readonly claims: DecodedToken['claims']
  readonly verifier: VercelVerifier | OidcVerifier
  readonly verified: boolean
  readonly refusal: Refusal | undefined
  readonly policy:
    | {
        readonly file: string
        readonly onVerifiedClaims: boolean
        readonly decision: PolicyDecision
        readonly warnings: readonly string[]
      }
    | undefined
  readonly hints: readonly string[]
}

/** The `--json` document. */
export function toJson(report: Report): unknown {
  const { verifier, policy } = report
  return {
    header: report.header,
    claims: report.claims,
    verifier: verifier.profile === 'oidc' ? oidcVerifierJson(verifier) : vercelVerifierJson(verifier),
    verification: verification(report),
    policy:
      policy === undefined
        ? null
        : {
            file: policy.file,
            onVerifiedClaims: policy.onVerifiedClaims,
            allowed: policy.decision.allowed,
            ...(policy.decision.matched === undefined ? {} : { matched: policy.decision.matched }),
            failures: policy.decision.failures,
            missingScopes: policy.decision.missingScopes,
            warnings: policy.warnings,
          },
    allowed: report.refusal === undefined,
    refusal: report.refusal ?? null,
    hints: report.hints,
  }
}

function oidcVerifierJson(verifier: OidcVerifier): unknown {
  const { pinned, issuers, metadataUrl, jwksUri, audiences, now } = verifier
  return {
    profile: 'oidc',
    pinned,
    issuers,
    ...(metadataUrl === undefined ? {} : { metadataUrl, jwksUri }),
    audiences,
    now,
  }
}

function vercelVerifierJson(verifier: VercelVerifier): unknown {
  return {
    team: verifier.team,
    ...(verifier.teamId === undefined ? {} : { teamId: verifier.teamId }),
    pinned: verifier.pinned,
    issuerMode: verifier.issuerMode,
    baseUrl: verifier.baseUrl,
    issuers: verifier.issuers,
    jwksUri: verifier.jwksFile ?? verifier.jwksUri,
    audiences: verifier.audiences,
    now: verifier.now,
  }
}

/**
 * The refusal of a token that checked out only against the audience named by its own `aud` claim.
 *
 * @example
 * ```ts
 * if (!pinned && refusal === undefined) refusal = audienceNotPinned(['https://api.example.com'])
 * ```
 */
export function audienceNotPinned(audiences: readonly string[]): Refusal {
  return {
    stage: 'pinning',
    code: 'NOT_PINNED',
    reason: 'not-pinned',
    message: `no audience pinned: ${audiences.join(', ')} was read from the token's own aud claim`,
    status: 401,
  }
}

/** The "not pinned" refusal of a verifier. */
function notPinnedBy(verifier: Report['verifier']): Refusal {
  return verifier.profile === 'oidc' ? audienceNotPinned(verifier.audiences) : notPinned(verifier.team)
}

/**
 * The refusal of a token that checked out only against the team named by its own `owner` claim.
 *
 * @example
 * ```ts
 * if (!pinned && refusal === undefined) refusal = notPinned(team)
 * ```
 */
export function notPinned(team: string): Refusal {
  return {
    stage: 'pinning',
    code: 'NOT_PINNED',
    reason: 'not-pinned',
    message: `no team pinned: the team ${team} was read from the token's own owner claim`,
    status: 401,
  }
}

function verification(report: Report): Record<string, unknown> {
  if (!report.verified) return { valid: false, ...pick(report.refusal) }
  if (!report.verifier.pinned) return { valid: false, ...pick(notPinnedBy(report.verifier)) }
  return { valid: true }
}

function pick(refusal: Refusal | undefined): Partial<Refusal> {
  if (refusal === undefined) return {}
  const { code, reason, message, status } = refusal
  return { code, reason, message, status }
}

const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time'])

/** The text report; `now` is in seconds since the epoch. */
export function render(report: Report, style: Style, now: number): string {
  const ok = (text: string): string => style('green', `✓ ${text}`)
  const no = (text: string): string => style('red', `✗ ${text}`)
  const heading = (text: string, note = ''): string =>
    `${style('bold', text)}${note === '' ? '' : `  ${note}`}\n`
  const fields = (record: Readonly<Record<string, unknown>>) =>
    table(
      Object.entries(record).map(([name, value]) => [
        printable(name),
        TIME_CLAIMS.has(name) && typeof value === 'number' ? showTime(value, now) : showValue(value),
      ]),
    )
  const { verifier, refusal, policy } = report
  let out = heading('Header') + fields(report.header) + heading('Claims') + fields(report.claims)

  out += heading('Verification', style('dim', verifier.snippet))
  const wording = WORDING[verifier.profile]
  out += table(verifierRows(verifier))
  if (report.verified && verifier.pinned) {
    out += `  ${ok(`valid: signature, issuer, audience, lifetime and ${wording.claims}`)}\n`
  } else if (report.verified) {
    const anchor = verifier.profile === 'oidc' ? 'its own audience' : `team ${verifier.team}`
    out += `  ${ok(`signature, issuer, audience, lifetime and ${wording.claims} check out for ${anchor}`)}\n`
  } else if (refusal !== undefined) out += `  ${no(`${refusal.reason}: ${refusal.message}`)}\n`
  if (!verifier.pinned) out += `  ${no(wording.notPinned)}\n`

  if (policy === undefined) {
    out += heading('Policy', style('dim', 'none (check one with --policy FILE)'))
  } else {
    const note = policy.onVerifiedClaims ? '' : ' (on unverified claims)'
    out += heading('Policy', style('dim', `${policy.file}${note}`))
    const { decision } = policy
    if (decision.allowed) out += `  ${ok(`allowed by ${decision.matched ?? 'policy'}`)}\n`
    for (const failure of decision.failures) out += `  ${no(printable(failure.message))}\n`
    if (decision.missingScopes.length > 0) {
      out += `  missing scopes: ${printable(decision.missingScopes.join(' '))}\n`
    }
    for (const warning of policy.warnings) out += `  ${style('yellow', `warning: ${printable(warning)}`)}\n`
  }

  for (const hint of report.hints) out += `${style('yellow', `hint: ${hint}`)}\n`
  out += '\n'
  if (refusal === undefined) out += `${style(['bold', 'green'], 'allowed')}\n`
  else if (refusal.stage === 'pinning') {
    out += `${style(['bold', 'red'], 'not pinned')} (${refusal.message}: pass ${wording.pin})\n`
  } else {
    out += `${style(['bold', 'red'], `refused: ${refusal.reason}`)} (${refusal.status} ${refusal.code}: ${refusal.message})\n`
  }
  return out
}

/** How the text report speaks of each profile's checks and trust anchor. */
const WORDING = {
  vercel: {
    claims: 'Vercel claims',
    notPinned:
      "not pinned: no --team or --team-id, so the team was read from the token's own owner claim and a token of any team would pass",
    pin: '--team or --team-id',
  },
  oidc: {
    claims: 'RFC 9068 claims',
    notPinned:
      "not pinned: no --audience, so the audience was read from the token's own aud claim and a token for any API would pass",
    pin: '--audience',
  },
} as const

/** The rows of the verifier: issuer, where the keys came from, audience, and the time if given. */
function verifierRows(verifier: Report['verifier']): [string, string][] {
  const rows: [string, string][] = [['issuer', verifier.issuers.join(', ')]]
  if (verifier.profile === 'oidc') {
    rows.push(['metadata', verifier.metadataUrl ?? '(not read, or not usable)'])
    rows.push(['jwks', verifier.metadataUrl === undefined ? '(from the metadata)' : verifier.jwksUri])
  } else {
    const { jwksFile, jwksUri } = verifier
    rows.push(['jwks', jwksFile === undefined ? jwksUri : `${jwksFile} (served on ${jwksUri})`])
  }
  rows.push(['audience', verifier.audiences.join(', ')])
  if (verifier.nowGiven) rows.push(['now', verifier.now])
  return rows
}

/** What {@link hints} needs to know about the verifier. */
export interface HintContext {
  /** The profile: `oidc` for `--issuer`, `vercel` otherwise. */
  readonly kind: 'vercel' | 'oidc'
  readonly team: string
  readonly mode: 'team' | 'global'
  readonly baseUrl: string | undefined
  readonly nowMs: number
  readonly profile: Pick<IssuerProfile, 'targets' | 'audiences'>
}

/** What to try next, for the refusals people run into most. */
export function hints(
  refusal: Refusal | undefined,
  decoded: DecodedToken,
  events: readonly GateEvent[],
  context: HintContext,
): string[] {
  const out: string[] = []
  for (const event of events) {
    if (event.type === 'jwks.key-ignored') {
      out.push(`JWKS key ${printable(event.kid ?? '(no kid)')} ignored: ${event.reason}`)
    }
  }
  if (refusal?.stage === 'pinning' && context.kind === 'oidc') {
    out.push(
      `once you know this API is its audience, pass --audience ${showValue(context.profile.audiences[0])}`,
    )
  } else if (refusal?.stage === 'pinning') {
    const id =
      typeof decoded.claims.owner_id === 'string' ? ` --team-id ${showValue(decoded.claims.owner_id)}` : ''
    out.push(`once you know it is a team you trust, pass --team ${context.team}${id}`)
  }
  if (refusal === undefined || refusal.stage !== 'verification') return out
  const { claims, header } = decoded
  const now = Math.floor(context.nowMs / 1000)
  switch (refusal.reason) {
    case 'iss': {
      const accepted = context.profile.targets.map((t) => t.issuer).join(', ')
      out.push(`the token's iss is ${showValue(claims.iss)}; accepted: ${accepted}`)
      const origin =
        typeof claims.iss === 'string' && URL.canParse(claims.iss) ? new URL(claims.iss) : undefined
      if (context.kind === 'oidc') break
      if (origin !== undefined && context.baseUrl === undefined && isLoopbackHost(origin.hostname)) {
        out.push(`a dev issuer's token: pass --issuer-url ${origin.origin}`)
      } else if (origin !== undefined && context.mode === 'team' && origin.pathname === '/') {
        out.push('a global-mode token: pass --mode global')
      }
      break
    }
    case 'aud':
      out.push(
        `the token's aud is ${showValue(claims.aud)}; accepted: ${context.profile.audiences.join(', ')}` +
          ' (pass --audience for exchanged tokens)',
      )
      break
    case 'exp':
      if (typeof claims.exp === 'number') {
        out.push(
          `expired ${humanDuration(now - claims.exp)} ago; --now TIME inspects it as of an earlier time`,
        )
      }
      break
    case 'iat':
      if (typeof claims.iat === 'number' && claims.iat > now) {
        out.push(`issued in ${humanDuration(claims.iat - now)}: a clock is wrong, or --now is before iat`)
      }
      break
    case 'nbf':
      if (typeof claims.nbf === 'number') out.push(`valid in ${humanDuration(claims.nbf - now)}`)
      break
    case 'owner':
      out.push(`the token's owner is ${showValue(claims.owner)}, the team is ${context.team}`)
      break
    case 'owner_id':
      out.push(
        `the token's owner_id is ${showValue(claims.owner_id)}, not the --team-id given: ` +
          'another team, perhaps one that took over the slug',
      )
      break
    case 'kid':
      out.push(
        `the JWKS has no key ${showValue(header.kid)}: was the issuer restarted with new keys? ` +
          '"oidc-gate dev-issuer --keys FILE" keeps them',
      )
      break
    case 'jwks-unavailable': {
      const metadata = events.findLast((e) => e.type === 'discovery.fetch' && !e.ok)
      if (metadata?.type === 'discovery.fetch') {
        out.push(`cannot use the metadata at ${metadata.url}: ${metadata.error ?? 'failed'}`)
      }
      const failed = events.findLast((e) => e.type === 'jwks.fetch' && !e.ok)
      if (failed?.type === 'jwks.fetch')
        out.push(`cannot fetch ${failed.jwksUri}: ${failed.error ?? 'failed'}`)
      if (context.baseUrl !== undefined) out.push('is "oidc-gate dev-issuer" running there?')
      break
    }
    case 'signature':
      out.push(
        'the signature does not match the published key with this kid: the token was signed by another key',
      )
      break
  }
  return out
}
