/**
 * `oidc-gate dev-issuer`: runs the local Vercel-compatible issuer of `@oidc-gate/testing` until SIGINT or
 * SIGTERM, and prints what to configure to trust it.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type TestIssuer, vercelIds } from '@oidc-gate/testing'
import { DEFAULT_PORT, DEFAULT_TEAM, parseCommandArgs, parseMode, parsePort, parseTeam } from '../args.js'
import type { Command } from '../command.js'
import { table, vercelOptionsCode } from '../format.js'
import { type Io, styler } from '../io.js'
import { startIssuer } from '../issuer.js'
import { readKeyFile, warnIfShared, writeKeyFile } from '../key-file.js'

const NAME = 'dev-issuer'

const HELP = `Usage: oidc-gate dev-issuer [--port N] [--team SLUG] [--mode team|global] [--keys FILE] [--json]

Runs a local Vercel-compatible OIDC issuer on 127.0.0.1 (discovery, JWKS, POST /~token token exchange)
until Ctrl+C (SIGINT) or SIGTERM, and prints the vercel({ ... }) options that make @oidc-gate/core trust
it, the team pinned by its ID (teamId, the owner_id of the tokens; the same for a team slug on every
start). Test tooling: its keys are throwaway keys, never trust it in production.

Options:
  --port N        TCP port on 127.0.0.1; 0 picks a free port. Default ${DEFAULT_PORT}.
                  The port is part of every token's iss: keep it fixed across restarts.
  --team SLUG     Vercel team slug, the owner of the tokens. Default ${DEFAULT_TEAM}.
  --mode MODE     Issuer mode: team (iss = <url>/<team>) or global (iss = <url>). Default team.
  --keys FILE     Key file holding the private signing keys: loaded if it exists, else created
                  (mode 0600). Keeps keys, and so tokens, valid across restarts; "oidc-gate mint"
                  signs with it. Without --keys the keys are new at each start and live in a
                  temporary key file (its path is printed) that is deleted on exit.
  --json          Print one JSON line (url, issuer, jwksUri, keys, vercel options) instead of text.
  -h, --help      Show this help.

Examples:
  oidc-gate dev-issuer --keys .oidc-gate/keys.json
  oidc-gate dev-issuer --port 0 --team my-team --mode global --json
`

/** `oidc-gate dev-issuer`. */
export const devIssuer: Command = {
  name: NAME,
  summary: 'run a local Vercel-compatible issuer (JWKS, discovery, token exchange)',
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(NAME, {
      args,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        team: { type: 'string' },
        mode: { type: 'string' },
        keys: { type: 'string' },
        json: { type: 'boolean' },
      },
    })
    const port = parsePort(NAME, values.port ?? String(DEFAULT_PORT))
    const team = parseTeam(NAME, values.team ?? DEFAULT_TEAM)
    const mode = parseMode(NAME, values.mode)
    const keysPath = values.keys === undefined ? undefined : resolve(values.keys)
    const loaded = keysPath === undefined ? undefined : await readKeyFile(NAME, keysPath, true)
    if (keysPath !== undefined && loaded !== undefined) await warnIfShared(keysPath, io)

    // Listen before anything is printed: whoever reads the URL may signal at once.
    const stopped = io.untilStopped()
    const issuer = await startIssuer(
      NAME,
      { team, mode, port, ...(loaded === undefined ? {} : { keys: loaded }) },
      keysPath,
    )
    let tempDir: string | undefined
    try {
      let keyFile: string
      if (keysPath === undefined) {
        tempDir = await mkdtemp(join(tmpdir(), 'oidc-gate-'))
        keyFile = join(tempDir, 'keys.json')
        await writeKeyFile(keyFile, issuer.exportKeys())
      } else {
        keyFile = keysPath
        if (loaded === undefined) await writeKeyFile(keysPath, issuer.exportKeys())
      }
      const keysNote =
        tempDir !== undefined
          ? 'new keys, deleted on exit (pass --keys FILE to keep them)'
          : loaded === undefined
            ? 'new keys, saved'
            : 'loaded'
      report(io, values.json === true, issuer, keyFile, keysNote, tempDir !== undefined)
      const signal = await stopped
      if (values.json !== true) io.stderr.write(`oidc-gate: ${signal}: dev issuer stopped\n`)
    } finally {
      await issuer.close()
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true })
    }
    return 0
  },
}

function report(
  io: Io,
  json: boolean,
  issuer: TestIssuer,
  keyFile: string,
  keysNote: string,
  temporary: boolean,
): void {
  // The team's ID pins the team for good: its tokens carry it as owner_id, and slugs can change hands.
  const options = {
    team: issuer.team,
    teamId: vercelIds(issuer.team).ownerId,
    issuerMode: issuer.mode,
    baseUrl: issuer.url,
  }
  const mintCommand = `oidc-gate mint --keys ${keyFile} --issuer-url ${issuer.url} --team ${issuer.team}${
    issuer.mode === 'global' ? ' --mode global' : ''
  }`
  if (json) {
    io.stdout.write(
      `${JSON.stringify({
        url: issuer.url,
        issuer: issuer.issuer,
        jwksUri: issuer.jwksUri,
        exchangeUri: `${issuer.url}/~token`,
        team: issuer.team,
        teamId: options.teamId,
        mode: issuer.mode,
        kid: issuer.kid,
        keys: keyFile,
        temporaryKeys: temporary,
        vercel: options,
        env: { OIDC_GATE_BASE_URL: issuer.url, OIDC_GATE_TEAM: issuer.team },
        mint: mintCommand,
      })}\n`,
    )
    return
  }
  const style = styler(io.stdout, io.env)
  io.stdout.write(
    `${style('bold', 'oidc-gate dev issuer')} listening on ${style('cyan', issuer.url)}\n` +
      table([
        ['issuer', `${issuer.issuer} (${issuer.mode} mode)`],
        ['team', `${issuer.team} (ID ${options.teamId}, the owner_id of its tokens)`],
        ['jwks', issuer.jwksUri],
        ['exchange', `POST ${issuer.url}/~token`],
        ['kid', issuer.kid],
        ['keys', `${keyFile} (${keysNote})`],
      ]) +
      `\nTrust it from @oidc-gate/core:\n  ${style('green', vercelOptionsCode(options))}\n` +
      '\nOr set, for the examples in examples/<framework>:\n' +
      `  ${style('green', `OIDC_GATE_BASE_URL=${issuer.url} OIDC_GATE_TEAM=${issuer.team}`)}\n` +
      (issuer.mode === 'global' ? `  ${style('yellow', 'note: the examples expect team mode')}\n` : '') +
      `\nMint a token:\n  ${style('green', mintCommand)}\n` +
      `\n${style('dim', 'Press Ctrl+C to stop.')}\n`,
  )
}
