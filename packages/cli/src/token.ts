/**
 * Reading a token from the command line or stdin, and decoding it without verifying anything, so that
 * a token that fails verification can still be shown.
 */
import { UsageError } from './errors.js'
import type { Io } from './io.js'

/** Longest input read from stdin, bytes. Tokens are a few KiB; this only stops a runaway pipe. */
const MAX_STDIN = 1_048_576

/** A JWT's protected header and claims, decoded but not verified. */
export interface DecodedToken {
  readonly header: Readonly<Record<string, unknown>>
  readonly claims: Readonly<Record<string, unknown>>
}

/**
 * The token given as `argument`, or read from stdin when `argument` is `-` (or absent and stdin is not a
 * terminal). Surrounding whitespace and a leading `Bearer ` are removed.
 */
export async function readToken(command: string, argument: string | undefined, io: Io): Promise<string> {
  let raw: string
  if (argument === undefined || argument === '-') {
    if (argument === undefined && io.stdin.isTTY === true) {
      throw new UsageError('no token: pass it as an argument, or "-" to read it from stdin', command)
    }
    raw = await readAll(command, io.stdin)
  } else {
    raw = argument
  }
  const token = raw.trim().replace(/^bearer\s+/i, '')
  if (token === '') throw new UsageError('no token: the input is empty', command)
  return token
}

async function readAll(command: string, input: Io['stdin']): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk)
    size += bytes.length
    if (size > MAX_STDIN) throw new UsageError('stdin holds more than 1 MiB: that is not a token', command)
    chunks.push(bytes)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Decodes a compact JWS: header and claims as JSON objects. Checks nothing else.
 * @throws UsageError when `token` is not a JWT at all.
 */
export function decodeToken(command: string, token: string): DecodedToken {
  const parts = token.split('.')
  if (parts.length === 5) {
    throw new UsageError('not a JWT: this is an encrypted token (JWE), which cannot be read', command)
  }
  if (parts.length !== 3) {
    throw new UsageError(`not a JWT: expected 3 parts separated by ".", found ${parts.length}`, command)
  }
  return {
    header: decodePart(command, parts[0] ?? '', 'header'),
    claims: decodePart(command, parts[1] ?? '', 'claims'),
  }
}

function decodePart(command: string, part: string, name: string): Record<string, unknown> {
  if (part === '' || !/^[A-Za-z0-9_-]+$/.test(part)) {
    throw new UsageError(`not a JWT: the ${name} part is not base64url`, command)
  }
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(part, 'base64url')))
  } catch {
    throw new UsageError(`not a JWT: the ${name} part is not UTF-8 JSON`, command)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`not a JWT: the ${name} part is not a JSON object`, command)
  }
  return value as Record<string, unknown>
}
