/**
 * Argument parsing with `node:util` `parseArgs`, and the value parsers shared by the commands. Every
 * failure is a {@link UsageError} with one readable line.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { UsageError } from './errors.js'

/** Port of `oidc-gate dev-issuer` when `--port` is not given. */
export const DEFAULT_PORT = 4400

/** The origin of a dev issuer started with the default port. */
export const DEFAULT_ISSUER_URL = `http://127.0.0.1:${DEFAULT_PORT}`

/** The team of the dev issuer and of minted tokens when `--team` is not given. */
export const DEFAULT_TEAM = 'acme'

/**
 * Parses `config.args` strictly (unknown options and missing values are errors) and turns the errors of
 * `parseArgs` into a {@link UsageError} for `command`.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(
  command: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config)
  } catch (error) {
    throw new UsageError(describeParseError(error), command)
  }
}

function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown } | null)?.code
  const quoted = /'([^']*)'/.exec(message)?.[1]
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? message}`
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${JSON.stringify(quoted ?? message)}`
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // "Option '--port <value>' argument missing", "Option '--json' does not take an argument", or
      // "Option '--now' argument is ambiguous. Did you forget … use '--now=-XYZ'" for a value like "-1".
      const first = (message.split(/\.\s/)[0] ?? message).replace(/\.$/, '')
      const option = /^Option '([^' ]+)/.exec(first)?.[1] ?? ''
      const text = first.replace(/^Option '[^']*'/, `option ${option}`)
      return text.endsWith('ambiguous')
        ? `${text}: write ${option}=VALUE for a value starting with "-"`
        : text
    }
    default:
      return message.split('\n', 1)[0] ?? message
  }
}

/** Rejects more positionals than a command takes. */
export function atMostOne(command: string, positionals: readonly string[]): string | undefined {
  if (positionals.length > 1) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`, command)
  }
  return positionals[0]
}

// The slug rule of the core's vercel() profile: lowercase letters, digits and inner hyphens.
const TEAM = /^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$/

/** A Vercel team slug (`--team`). */
export function parseTeam(command: string, value: string): string {
  if (!TEAM.test(value)) {
    throw new UsageError(
      `--team must be a Vercel team slug (lowercase letters, digits and "-"), got ${JSON.stringify(value)}`,
      command,
    )
  }
  return value
}

// The team ID rule of the core's vercel({ teamId }): "team_" and letters and digits.
const TEAM_ID = /^team_[A-Za-z0-9]{1,64}$/

/**
 * A Vercel team ID (`--team-id`), the `owner_id` claim of the team's tokens.
 *
 * @example
 * ```ts
 * parseTeamId('inspect', 'team_nLlpyC6REAqxydlFKbrMDlud') // the ID; 'acme' throws a UsageError
 * ```
 */
export function parseTeamId(command: string, value: string): string {
  if (!TEAM_ID.test(value)) {
    throw new UsageError(
      `--team-id must be a Vercel team ID ("team_" followed by letters and digits), got ${JSON.stringify(value)}`,
      command,
    )
  }
  return value
}

/** A Vercel issuer mode (`--mode`). */
export function parseMode(command: string, value: string | undefined): 'team' | 'global' {
  if (value === undefined || value === 'team') return 'team'
  if (value === 'global') return 'global'
  throw new UsageError(`--mode must be "team" or "global", got ${JSON.stringify(value)}`, command)
}

/** A TCP port (`--port`), 0 to 65535; 0 picks a free one. */
export function parsePort(command: string, value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN
  if (!(port >= 0 && port <= 65535))
    throw new UsageError(
      `--port must be a port number from 0 to 65535, got ${JSON.stringify(value)}`,
      command,
    )
  return port
}

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** A positive duration in seconds (`--ttl`): `90`, `90s`, `15m`, `12h`, `1d`. */
export function parseDuration(command: string, flag: string, value: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value)
  const seconds = match === null ? 0 : Number(match[1]) * (UNITS[match[2] || 's'] ?? 1)
  if (!(seconds > 0)) {
    throw new UsageError(`${flag} must be a positive duration like 3600, 90s, 15m or 12h`, command)
  }
  return seconds
}

/**
 * A point in time (`--now`): seconds since the epoch (`1735732800`) or an ISO 8601 date-time
 * (`2025-01-01T12:00:00Z`). Returns milliseconds since the epoch.
 */
export function parseTime(command: string, flag: string, value: string): number {
  if (/^\d{1,12}(?:\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000)
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `${flag} must be seconds since the epoch or an ISO 8601 time like 2025-01-01T12:00:00Z, got ${JSON.stringify(value)}`,
      command,
    )
  }
  return ms
}

/** Loopback hosts, where plain `http:` is acceptable. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
}

/**
 * The origin of an issuer (`--issuer-url`), e.g. `http://127.0.0.1:4400`: `https:`, or `http:` on a
 * loopback host, with no path. Returns the normalised origin.
 */
export function parseIssuerUrl(command: string, value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(`--issuer-url is not a URL: ${JSON.stringify(value)}`, command)
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new UsageError(
      '--issuer-url must use https: (http: only on 127.0.0.1, localhost or [::1])',
      command,
    )
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new UsageError('--issuer-url must not contain credentials, a query or a fragment', command)
  }
  if (url.pathname !== '/') {
    throw new UsageError(
      `--issuer-url is the issuer's origin without the team path, e.g. ${url.origin}`,
      command,
    )
  }
  return url.origin
}
