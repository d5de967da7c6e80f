/**
 * `oidc-gate exchange`: trades a token for one with another audience at the issuer's `POST /~token`
 * (the dev issuer's, or Vercel's own, which has the same contract).
 */
import { atMostOne, DEFAULT_ISSUER_URL, parseCommandArgs, parseIssuerUrl } from '../args.js'
import type { Command } from '../command.js'
import { CommandError, UsageError } from '../errors.js'
import { fetchFailure } from '../fetch-error.js'
import { printable } from '../format.js'
import { decodeToken, readToken } from '../token.js'

const NAME = 'exchange'

const HELP = `Usage: oidc-gate exchange --aud AUDIENCE [TOKEN | -] [--jti ID] [--issuer-url URL] [--json]

Exchanges a Vercel OIDC token for one with another audience at the issuer's POST /~token
({ token, aud, jti? } -> { token, expiry }) and prints the new token. The new token keeps the claims
and the exp of the original, gets the team iss, a fresh iat and an act claim. An API accepts it with
vercel({ team, audience: AUDIENCE }) (inspect it with --audience AUDIENCE).
Reads the token from stdin with "-" (or when none is given and stdin is not a terminal).

Options:
  --aud AUDIENCE     The audience of the new token. Required.
  --jti ID           A jti for the new token.
  --issuer-url URL   The issuer's origin. Default ${DEFAULT_ISSUER_URL} (the dev issuer);
                     https://oidc.vercel.com exchanges real Vercel tokens.
  --json             Print the issuer's answer, {"token": ..., "expiry": ...}.
  -h, --help         Show this help.

Exit codes: 0 exchanged, 1 refused by the issuer or issuer unreachable, 2 usage error.

Examples:
  oidc-gate exchange --aud https://api.example.com "$TOKEN"
  oidc-gate mint --keys .oidc-gate/keys.json | oidc-gate exchange --aud https://api.example.com -
`

/** `oidc-gate exchange`. */
export const exchange: Command = {
  name: NAME,
  summary: 'exchange a token for another audience at the issuer (POST /~token)',
  help: HELP,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(NAME, {
      args,
      allowPositionals: true,
      options: {
        aud: { type: 'string' },
        jti: { type: 'string' },
        'issuer-url': { type: 'string' },
        json: { type: 'boolean' },
      },
    })
    const argument = atMostOne(NAME, positionals)
    if (values.aud === undefined || values.aud === '')
      throw new UsageError('--aud AUDIENCE is required', NAME)
    if (values.jti === '') throw new UsageError('--jti must not be empty', NAME)
    const url = parseIssuerUrl(NAME, values['issuer-url'] ?? DEFAULT_ISSUER_URL)
    const token = await readToken(NAME, argument, io)
    decodeToken(NAME, token)

    const endpoint = `${url}/~token`
    let response: Response
    let text: string
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          token,
          aud: values.aud,
          ...(values.jti === undefined ? {} : { jti: values.jti }),
        }),
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      })
      text = await response.text()
    } catch (error) {
      throw new CommandError(`cannot reach ${endpoint} (${fetchFailure(error)})`)
    }
    let body: { token?: unknown; expiry?: unknown; error?: unknown; error_description?: unknown } | undefined
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    if (response.status !== 200) {
      const what = [body?.error, body?.error_description].filter((v) => typeof v === 'string').join(': ')
      throw new CommandError(
        `the issuer refused the exchange: HTTP ${response.status}${what === '' ? '' : ` ${printable(what)}`}`,
      )
    }
    if (typeof body?.token !== 'string') {
      throw new CommandError(`${endpoint} answered 200 without a token`)
    }
    io.stdout.write(
      values.json === true
        ? `${JSON.stringify({ token: body.token, expiry: body.expiry })}\n`
        : `${body.token}\n`,
    )
    return 0
  },
}
