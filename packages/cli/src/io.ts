/**
 * What a command may touch of the outside world: the standard streams, the environment and the stop
 * signal of long-running commands. `run()` takes it as a parameter so the CLI can be driven in-process.
 */
import { isatty } from 'node:tty'
import { styleText } from 'node:util'

/** A text sink such as `process.stdout`. */
export interface Output {
  write(chunk: string): unknown
  /** `true` when the stream is a terminal: output is coloured then (unless `NO_COLOR`). */
  readonly isTTY?: boolean | undefined
}

/** A byte or text source such as `process.stdin`. */
export interface Input extends AsyncIterable<string | Uint8Array> {
  /** `true` when the stream is a terminal: a command then never waits for a token on it. */
  readonly isTTY?: boolean | undefined
}

/**
 * The process environment of a command.
 *
 * @example
 * ```ts
 * const lines: string[] = []
 * const io: Partial<Io> = { stdout: { write: (s: string) => lines.push(s) }, env: {} }
 * ```
 */
export interface Io {
  readonly stdout: Output
  readonly stderr: Output
  readonly stdin: Input
  /** Environment variables (`NO_COLOR`, `FORCE_COLOR`, `TERM`). Default `process.env`. */
  readonly env: Readonly<Record<string, string | undefined>>
  /**
   * Resolves with a signal name when a long-running command (`dev-issuer`) must stop. Default: the
   * first `SIGINT` or `SIGTERM` of the process.
   */
  readonly untilStopped: () => Promise<string>
}

/** The real process: standard streams, `process.env` and `SIGINT`/`SIGTERM`. */
export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    // process.stdin is created on first use only: a command that reads no token never opens it.
    stdin: { isTTY: isatty(0), [Symbol.asyncIterator]: () => process.stdin[Symbol.asyncIterator]() },
    env: process.env,
    untilStopped: () =>
      new Promise<string>((resolve) => {
        const stop = (signal: NodeJS.Signals): void => {
          process.off('SIGINT', stop)
          process.off('SIGTERM', stop)
          resolve(signal)
        }
        process.on('SIGINT', stop)
        process.on('SIGTERM', stop)
      }),
  }
}

/** A format accepted by `util.styleText`. */
export type StyleFormat = Parameters<typeof styleText>[0]

/** Styles `text` for one output stream, or returns it unchanged when that stream gets no colour. */
export type Style = (format: StyleFormat, text: string) => string

/**
 * A styler for `stream`: colour on a terminal, none when the stream is not a TTY, `TERM=dumb` or `NO_COLOR`
 * is set (https://no-color.org); `FORCE_COLOR` (other than `0`) forces colour on.
 */
export function styler(stream: Output, env: Io['env']): Style {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== ''
  const force = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0'
  const enabled = !noColor && (force || (stream.isTTY === true && env.TERM !== 'dumb'))
  // The decision is ours (the stream may not be process.stdout): tell styleText not to second-guess it.
  return enabled
    ? (format, text) => styleText(format, text, { validateStream: false })
    : (_format, text) => text
}
