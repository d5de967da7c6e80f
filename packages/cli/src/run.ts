/**
 * The `oidc-gate` dispatcher: picks the command, prints help and versions, and turns every failure into
 * one line on stderr and an exit code (2 usage, 1 refused or failed).
 */
import { readFileSync } from 'node:fs'
import type { Command } from './command.js'
import { devIssuer } from './commands/dev-issuer.js'
import { exchange } from './commands/exchange.js'
import { inspect } from './commands/inspect.js'
import { mint } from './commands/mint.js'
import { proof } from './commands/proof.js'
import { CommandError, UsageError } from './errors.js'
import { printable } from './format.js'
import { type Io, processIo, styler } from './io.js'

const COMMANDS: readonly Command[] = [devIssuer, mint, inspect, exchange, proof]

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return `Usage: oidc-gate <command> [options]

Develop and debug APIs protected by oidc-gate: a local Vercel-compatible issuer, tokens signed by it,
and the explanation of why a token is accepted or refused.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options:
  -h, --help      Show help (also "oidc-gate <command> --help").
  -v, --version   Show the version.

Examples:
  oidc-gate dev-issuer --keys .oidc-gate/keys.json
  TOKEN=$(oidc-gate mint --keys .oidc-gate/keys.json --environment preview)
  oidc-gate inspect "$TOKEN" --issuer-url http://127.0.0.1:4400 --policy policy.json
  oidc-gate exchange --aud https://api.example.com "$TOKEN"
`
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

/**
 * Runs `oidc-gate` with `argv` (the arguments after the program name) and resolves to the exit code:
 * 0 success, 1 refused (an invalid or refused token, an issuer that said no or could not be reached),
 * 2 usage error. Never rejects: every error is reported as one line on `io.stderr`.
 *
 * @example
 * ```ts
 * import { run } from '@oidc-gate/cli'
 *
 * const code = await run(['inspect', token, '--issuer-url', 'http://127.0.0.1:4400', '--json'])
 * ```
 */
export async function run(argv: readonly string[], io: Partial<Io> = {}): Promise<number> {
  const full: Io = { ...processIo(), ...io }
  const [name, ...rest] = argv
  try {
    if (name === undefined) {
      full.stderr.write(help())
      return 2
    }
    if (name === '-h' || name === '--help' || name === 'help') {
      const topic = name === 'help' ? rest[0] : undefined
      const command = topic === undefined ? undefined : find(topic)
      full.stdout.write(command?.help ?? help())
      return 0
    }
    if (name === '-v' || name === '--version') {
      full.stdout.write(`${version()}\n`)
      return 0
    }
    const command = find(name)
    // `--help` anywhere before a `--` shows the command's help, whatever else is on the line.
    const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest
    if (options.includes('--help') || options.includes('-h')) {
      full.stdout.write(command.help)
      return 0
    }
    return await command.run(rest, full)
  } catch (error) {
    return fail(error, full)
  }
}

function find(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name)
  if (command !== undefined) return command
  if (name.startsWith('-')) throw new UsageError(`unknown option ${name}`)
  const near = name.length < 2 ? undefined : COMMANDS.find((c) => c.name.startsWith(name.slice(0, 3)))
  throw new UsageError(
    `unknown command "${name}"${near === undefined ? '' : `; did you mean "${near.name}"?`}`,
  )
}

function fail(error: unknown, io: Io): number {
  const style = styler(io.stderr, io.env)
  const line = (text: string): void => {
    io.stderr.write(`${style('red', 'oidc-gate:')} ${printable(text.replace(/\s*\n\s*/g, ' '))}\n`)
  }
  if (error instanceof UsageError) {
    const helpCommand = error.command === undefined ? 'oidc-gate --help' : `oidc-gate ${error.command} --help`
    line(`${error.message} (see "${helpCommand}")`)
    return 2
  }
  if (error instanceof CommandError) {
    line(error.message)
    return 1
  }
  line(`unexpected error: ${error instanceof Error ? error.message : String(error)}`)
  return 1
}
