/**
 * `oidc-gate mint`: prints a Vercel-shaped OIDC token signed with the dev issuer's key file.
 *
 * The key file is the link to the running dev issuer: `dev-issuer` always keeps its keys in one (with
 * `--keys FILE`, or a temporary file whose path it prints), and `mint` signs with an in-process issuer
 * loaded from that file on a free port, then sets `iss` to the dev issuer's URL. With `--issuer-url`,
 * `mint` first checks that the issuer there publishes the key, so a token never silently fails later.
 */
import { resolve } from 'node:path'
import type { MintClaims, TestIssuerKeyFile } from '@oidc-gate/testing'
import {
  DEFAULT_ISSUER_URL,
  DEFAULT_TEAM,
  parseCommandArgs,
  parseDuration,
  parseIssuerUrl,
  parseMode,
  parseTeam,
} from '../args.js'
import type { Command } from '../command.js'
import { readDpopKey } from '../dpop-key.js'
import { CommandError, UsageError } from '../errors.js'
import { fetchFailure } from '../fetch-error.js'
import { startIssuer } from '../issuer.js'
import { readKeyFile, warnIfShared } from '../key-file.js'

const NAME = 'mint'

const HELP = `Usage: oidc-gate mint --keys FILE [--issuer-url URL] [--team SLUG] [--mode team|global]
                      [--project NAME] [--project-id ID] [--environment ENV] [--user ID]
                      [--ttl DURATION] [--aud AUDIENCE] [--dpop KEY_FILE]

Prints a Vercel-shaped OIDC token (header typ JWT, RS256) signed with the dev issuer's keys, for
curl -H "Authorization: Bearer $TOKEN" against an API that trusts the dev issuer.

How it signs: with the private key in the dev issuer's key file (--keys), locally; the dev issuer has
no minting endpoint. Start the issuer with "oidc-gate dev-issuer --keys FILE" (or use the temporary key
file it prints) and pass the same FILE here. The token's iss is <issuer-url>/<team> (team mode) or
<issuer-url> (global mode). With --issuer-url, mint first asks that issuer for its JWKS and refuses
(exit 1) when it does not publish the key of FILE, e.g. when it was restarted with new keys.

Options:
  --keys FILE         The dev issuer's key file. Required.
  --issuer-url URL    Origin of the running dev issuer, checked before minting.
                      Default ${DEFAULT_ISSUER_URL} (not contacted).
  --team SLUG         Team slug: owner, iss and aud. Default ${DEFAULT_TEAM}.
  --mode MODE         Issuer mode of the dev issuer: team or global. Default team.
  --project NAME      Project name. Default web.
  --project-id ID     project_id claim. Default derived from the team and project names.
  --environment ENV   production, preview, development or a custom environment. Default production.
  --user ID           user_id claim. Default for development tokens: derived from the names.
  --ttl DURATION      Lifetime: seconds or 90s, 15m, 12h, 1d. Default 1h.
  --aud AUDIENCE      aud claim. Default https://vercel.com/<team>.
  --dpop KEY_FILE     Bind the token to this DPoP client key (cnf.jkt), a private JWK as written by
                      "oidc-gate proof --key KEY_FILE --generate". Send it as "Authorization: DPoP".
  -h, --help          Show this help.

Examples:
  TOKEN=$(oidc-gate mint --keys .oidc-gate/keys.json --project web --environment preview)
  oidc-gate mint --keys .oidc-gate/keys.json --issuer-url http://127.0.0.1:4401 --environment development --ttl 12h
`

/** `oidc-gate mint`. */
export const mint: Command = {
  name: NAME,
  summary: "print a Vercel-shaped token signed with the dev issuer's keys",
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(NAME, {
      args,
      allowPositionals: false,
      options: {
        keys: { type: 'string' },
        'issuer-url': { type: 'string' },
        team: { type: 'string' },
        mode: { type: 'string' },
        project: { type: 'string' },
        'project-id': { type: 'string' },
        environment: { type: 'string' },
        user: { type: 'string' },
        ttl: { type: 'string' },
        aud: { type: 'string' },
        dpop: { type: 'string' },
      },
    })
    if (values.keys === undefined) {
      throw new UsageError(
        '--keys FILE is required: the key file of "oidc-gate dev-issuer --keys FILE"',
        NAME,
      )
    }
    const team = parseTeam(NAME, values.team ?? DEFAULT_TEAM)
    const mode = parseMode(NAME, values.mode)
    const checkIssuer = values['issuer-url'] !== undefined
    const url = parseIssuerUrl(NAME, values['issuer-url'] ?? DEFAULT_ISSUER_URL)
    const ttl = values.ttl === undefined ? 3600 : parseDuration(NAME, '--ttl', values.ttl)
    const claims: MintClaims = { iss: mode === 'team' ? `${url}/${team}` : url }
    for (const [flag, claim] of [
      ['project', 'project'],
      ['project-id', 'project_id'],
      ['environment', 'environment'],
      ['user', 'user_id'],
      ['aud', 'aud'],
    ] as const) {
      const value = values[flag]
      if (value === undefined) continue
      if (value === '') throw new UsageError(`--${flag} must not be empty`, NAME)
      claims[claim] = value
    }

    const path = resolve(values.keys)
    const keys = await readKeyFile(NAME, path)
    const dpop = values.dpop === undefined ? {} : { jkt: (await readDpopKey(NAME, resolve(values.dpop))).jkt }
    await warnIfShared(path, io)
    if (checkIssuer) await ensurePublished(url, team, mode, keys, path)
    const issuer = await startIssuer(NAME, { team, mode, keys }, path)
    try {
      io.stdout.write(`${await issuer.mint(claims, { ttl, ...dpop })}\n`)
    } finally {
      await issuer.close()
    }
    return 0
  },
}

/** Asks the issuer at `url` for its JWKS and fails unless it publishes the current key of `keys`. */
async function ensurePublished(
  url: string,
  team: string,
  mode: 'team' | 'global',
  keys: TestIssuerKeyFile,
  path: string,
): Promise<void> {
  const jwksUri = mode === 'team' ? `${url}/${team}/.well-known/jwks` : `${url}/.well-known/jwks`
  let body: unknown
  try {
    const response = await fetch(jwksUri, { redirect: 'manual', signal: AbortSignal.timeout(5000) })
    if (response.status !== 200) {
      await response.body?.cancel()
      throw new CommandError(
        `${jwksUri} answered HTTP ${response.status}: is ${url} an oidc-gate dev issuer?`,
      )
    }
    body = await response.json()
  } catch (error) {
    if (error instanceof CommandError) throw error
    throw new CommandError(
      `cannot read the JWKS of ${url} (${fetchFailure(error)}): is "oidc-gate dev-issuer" running?`,
    )
  }
  const published = (body as { keys?: unknown } | null)?.keys
  const found = Array.isArray(published) && published.some((key) => key?.kid === keys.current)
  if (!found) {
    throw new CommandError(
      `the issuer at ${url} does not publish the key of ${path} (kid ${keys.current}): ` +
        `start it with "oidc-gate dev-issuer --keys ${path}"`,
    )
  }
}
