/**
 * `oidc-gate inspect`: decodes a token, verifies it with the core exactly as an API configured with
 * `vercel({ team, teamId, issuerMode, baseUrl })` would, and explains the policy decision rule by rule.
 *
 * A token is only called valid against a team the user names (`--team`, `--team-id`): a team read from
 * the token's own `owner` claim pins nothing, so such a check ends "not pinned" with exit code 1.
 * With `--issuer URL`, an access token of any issuer is verified as `oidc({ issuer, audience })` would,
 * through discovery (../inspect-oidc.ts); the audience is then what must be named (`--audience`).
 */
import { resolve } from 'node:path'
import { createGate, type GateEvent, type IssuerProfile, type VercelClaims, vercel } from '@oidc-gate/core'
import {
  atMostOne,
  DEFAULT_ISSUER_URL,
  parseCommandArgs,
  parseIssuerUrl,
  parseMode,
  parseTeam,
  parseTeamId,
  parseTime,
} from '../args.js'
import type { Command } from '../command.js'
import { UsageError } from '../errors.js'
import { vercelOptionsCode } from '../format.js'
import { judge, reportOf, timeOf } from '../inspect-judge.js'
import { examineOidc, type OidcInspection } from '../inspect-oidc.js'
import { hints, notPinned, type Report, render, toJson } from '../inspect-report.js'
import { type Io, styler } from '../io.js'
import { readJsonFile } from '../json-file.js'
import { serveJwks } from '../jwks-server.js'
import { publicJwks } from '../key-file.js'
import { type DecodedToken, decodeToken, readToken } from '../token.js'

const NAME = 'inspect'

const HELP = `Usage: oidc-gate inspect [TOKEN | -] [--team SLUG] [--team-id ID] [--mode team|global]
                         [--issuer-url URL | --jwks FILE] [--audience AUD]... [--policy FILE]
                         [--now TIME] [--json]
       oidc-gate inspect [TOKEN | -] --issuer URL [--audience AUD]... [--policy FILE] [--now TIME]
                         [--json]

Decodes a Vercel OIDC token (header and claims, even when it does not verify), verifies it with
@oidc-gate/core as an API configured with vercel({ team, issuerMode, baseUrl }) would, and explains
the decision of a policy rule by rule. Reads the token from stdin with "-" (or when none is given and
stdin is not a terminal); a leading "Bearer " is ignored.

The team is the trust anchor: without --team or --team-id nothing is pinned, the token is checked
against the team of its own owner claim (so a token of any team would pass) and the verdict is
"not pinned" (exit 1).

Exit codes: 0 valid for the pinned team (and allowed by the policy), 1 refused (the failed check is
named: exp, aud, iss, owner_id, signature, policy, ..., or not pinned), 2 usage error (bad option, not
a JWT, missing file).

Where the keys come from:
  (default)          Vercel's issuer, https://oidc.vercel.com (fetched over the network).
  --issuer-url URL   A dev issuer, e.g. ${DEFAULT_ISSUER_URL}: vercel({ baseUrl: URL }).
  --jwks FILE        A JWKS file ({"keys": [...]}) or a dev issuer key file (only its public keys are
                     used), for offline checks. The file is served to the core from a temporary
                     server on 127.0.0.1 for the duration of the command. The expected issuer is still
                     Vercel's, or --issuer-url's when both are given.
  --issuer URL       Any OAuth 2 / OpenID Connect issuer, for RFC 9068 access tokens: oidc({ issuer:
                     URL, audience }). The keys are found through the issuer's metadata (discovery),
                     used only when its issuer is exactly URL. The audience (--audience) is then the
                     trust anchor: without it the token's own aud is used and the verdict is "not
                     pinned" (exit 1). Not with --team, --team-id, --mode, --issuer-url or --jwks.

Options:
  --team SLUG        Team whose tokens are accepted (iss, aud and the owner claim). Default: the
                     token's owner claim, which pins nothing.
  --team-id ID       The team's ID (team_...): the owner_id claim must equal it, as with
                     vercel({ teamId }). Pins the team by itself; with --team, both are checked.
  --mode MODE        Issuer mode of the project: team or global. Default team.
  --audience AUD     Accepted audience (repeatable). Default https://vercel.com/<team>; exchanged
                     tokens carry the audience they were exchanged for.
  --policy FILE      A JSON policy, e.g. {"environment": ["production", "preview"]}.
  --now TIME         Verify as of TIME: seconds since the epoch or ISO 8601 (2025-01-01T12:00:00Z).
  --json             Print one JSON document instead of text.
  -h, --help         Show this help.

Examples:
  oidc-gate inspect "$TOKEN" --team acme --issuer-url ${DEFAULT_ISSUER_URL} --policy policy.json
  echo "$TOKEN" | oidc-gate inspect - --team acme --jwks .oidc-gate/keys.json --issuer-url ${DEFAULT_ISSUER_URL} --json
  oidc-gate inspect "$VERCEL_OIDC_TOKEN" --team-id team_nLlpyC6REAqxydlFKbrMDlud --now 2025-01-01T12:00:00Z
  oidc-gate inspect "$ACCESS_TOKEN" --issuer https://auth.example.com/ --audience https://api.example.com
`

/** `oidc-gate inspect`. */
export const inspect: Command = {
  name: NAME,
  summary: 'decode and verify a token, and explain the policy decision rule by rule',
  help: HELP,
  async run(args, io) {
    const request = await parse(args, io)
    const report = request.oidc === undefined ? await examine(request) : await examineOidc(request.oidc, NAME)
    io.stdout.write(
      request.json
        ? `${JSON.stringify(toJson(report), null, 2)}\n`
        : render(report, styler(io.stdout, io.env), Math.floor(request.nowMs / 1000)),
    )
    return report.refusal === undefined ? 0 : 1
  },
}

/** The validated command line. */
interface Request {
  readonly token: string
  readonly decoded: DecodedToken
  readonly team: string
  readonly teamId: string | undefined
  /** Whether the user named the team (`--team` or `--team-id`), rather than the token. */
  readonly pinned: boolean
  readonly mode: 'team' | 'global'
  readonly baseUrl: string | undefined
  readonly audience: string[] | undefined
  readonly nowMs: number
  readonly nowGiven: boolean
  readonly policy: { readonly path: string; readonly source: unknown } | undefined
  readonly jwks: { readonly path: string; readonly document: unknown } | undefined
  readonly json: boolean
  /** With `--issuer`: an OIDC inspection, in place of the Vercel one. */
  readonly oidc?: OidcInspection
}

/** Options that belong to the Vercel profile, refused beside `--issuer`. */
const VERCEL_ONLY = ['team', 'team-id', 'mode', 'issuer-url', 'jwks'] as const

async function parse(args: string[], io: Io): Promise<Request> {
  const { values, positionals } = parseCommandArgs(NAME, {
    args,
    allowPositionals: true,
    options: {
      team: { type: 'string' },
      'team-id': { type: 'string' },
      mode: { type: 'string' },
      'issuer-url': { type: 'string' },
      issuer: { type: 'string' },
      jwks: { type: 'string' },
      audience: { type: 'string', multiple: true },
      policy: { type: 'string' },
      now: { type: 'string' },
      json: { type: 'boolean' },
    },
  })
  const argument = atMostOne(NAME, positionals)
  const mode = parseMode(NAME, values.mode)
  const issuerUrl = values['issuer-url']
  const baseUrl = issuerUrl === undefined ? undefined : parseIssuerUrl(NAME, issuerUrl)
  const nowMs = values.now === undefined ? Date.now() : parseTime(NAME, '--now', values.now)
  const audience = values.audience
  if (audience?.some((a) => a === '')) throw new UsageError('--audience must not be empty', NAME)
  let policy: Request['policy']
  if (values.policy !== undefined) {
    const path = resolve(values.policy)
    policy = { path, source: await readJsonFile(NAME, path, 'policy file') }
  }
  let jwks: Request['jwks']
  if (values.jwks !== undefined) {
    const path = resolve(values.jwks)
    jwks = { path, document: toJwks(path, await readJsonFile(NAME, path, 'JWKS file')) }
  }
  const token = await readToken(NAME, argument, io)
  const decoded = decodeToken(NAME, token)
  const nowGiven = values.now !== undefined
  const common = {
    token,
    decoded,
    mode,
    baseUrl,
    audience,
    nowMs,
    nowGiven,
    policy,
    jwks,
    json: values.json === true,
  }
  if (values.issuer !== undefined) {
    const clash = VERCEL_ONLY.find((name) => values[name] !== undefined)
    if (clash !== undefined) throw new UsageError(`--${clash} cannot be used with --issuer`, NAME)
    const oidc = { token, decoded, issuer: values.issuer, audience, nowMs, nowGiven, policy }
    return { ...common, team: '', teamId: undefined, pinned: false, oidc }
  }
  const team = values.team === undefined ? ownerTeam(decoded) : parseTeam(NAME, values.team)
  const teamId = values['team-id'] === undefined ? undefined : parseTeamId(NAME, values['team-id'])
  return { ...common, team, teamId, pinned: values.team !== undefined || teamId !== undefined }
}

/** Verifies the token with a gate configured as the API would be, then explains the policy. */
async function examine(request: Request): Promise<Report> {
  const { token, decoded, team, teamId, pinned, mode, baseUrl, audience, nowMs } = request
  const server = request.jwks === undefined ? undefined : await serveJwks(request.jwks.document)
  const events: GateEvent[] = []
  try {
    let profile: IssuerProfile<VercelClaims>
    try {
      profile = vercel({
        team,
        ...(teamId === undefined ? {} : { teamId }),
        issuerMode: mode,
        ...(baseUrl === undefined ? {} : { baseUrl }),
        ...(server === undefined ? {} : { jwksUri: server.url }),
        ...(audience === undefined ? {} : { audience }),
      })
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error), NAME)
    }
    const gate = createGate({ issuers: [profile], clock: () => nowMs, onEvent: (e) => events.push(e) })
    try {
      const judged = await judge(gate, token, decoded, request.policy, pinned, () => notPinned(team), NAME)
      const verifier = {
        profile: 'vercel',
        snippet: vercelOptionsCode({ team, teamId, issuerMode: mode, baseUrl }),
        team,
        teamId,
        pinned,
        issuerMode: mode,
        baseUrl: baseUrl ?? 'https://oidc.vercel.com',
        issuers: profile.targets.map((t) => t.issuer),
        jwksUri: profile.targets[0]?.jwksUri ?? '',
        jwksFile: request.jwks?.path,
        audiences: profile.audiences,
        ...timeOf(nowMs, request.nowGiven),
      } as const
      const context = { kind: 'vercel', team, mode, baseUrl, nowMs, profile } as const
      const advice = hints(judged.refusal, decoded, events, context)
      return reportOf(decoded, verifier, judged, request.policy, advice)
    } finally {
      gate.close()
    }
  } finally {
    await server?.close()
  }
}

function ownerTeam(decoded: DecodedToken): string {
  const owner = decoded.claims.owner
  if (typeof owner !== 'string') {
    throw new UsageError('the token has no owner claim to take the team from: pass --team', NAME)
  }
  try {
    return parseTeam(NAME, owner)
  } catch {
    throw new UsageError("the token's owner claim is not a team slug: pass --team", NAME)
  }
}

/** A JWKS document, or the JWKS a dev issuer would publish for a key file. */
function toJwks(path: string, value: unknown): unknown {
  const record = value as { version?: unknown; keys?: unknown } | null
  if (record === null || typeof record !== 'object' || !Array.isArray(record.keys)) {
    throw new UsageError(`${path} is neither a JWKS ({"keys": [...]}) nor a dev issuer key file`, NAME)
  }
  const isKeyFile =
    record.version === 1 && record.keys.every((k) => typeof k === 'object' && k !== null && 'jwk' in k)
  return isKeyFile ? publicJwks(value as Parameters<typeof publicJwks>[0]) : value
}
