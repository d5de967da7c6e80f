/**
 * The two ways a command fails on purpose. Anything else that escapes a command is reported as an
 * unexpected error, still in one line.
 */

/** Bad input (unknown command or option, a value that does not parse, a missing file): exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
  /** The command whose `--help` the message points to, if any. */
  readonly command: string | undefined
  constructor(message: string, command?: string) {
    super(message)
    this.command = command
  }
}

/** The command ran but the answer is no (a refused token, an unreachable issuer): exit code 1. */
export class CommandError extends Error {
  override readonly name = 'CommandError'
}
