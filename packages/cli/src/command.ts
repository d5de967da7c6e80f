import type { Io } from './io.js'

/** One `oidc-gate` subcommand. */
export interface Command {
  /** The name typed after `oidc-gate`. */
  readonly name: string
  /** One line for the command list of `oidc-gate --help`. */
  readonly summary: string
  /** The text of `oidc-gate <name> --help`: usage, options, examples. */
  readonly help: string
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(args: string[], io: Io): Promise<number>
}
