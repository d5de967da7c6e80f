/**
 * Strict base64url (RFC 7515 §2): the alphabet `[A-Za-z0-9_-]`, no padding, no whitespace, and a canonical
 * encoding (the unused low bits of the last character are zero), so one byte string has one spelling.
 */

const DECODE = new Int8Array(128).fill(-1)
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i

interface NativeBytes extends Uint8Array {
  toString(encoding?: 'base64url'): string
}

// Node's Buffer decodes natively, several times faster than a loop in JavaScript; it is lenient (it skips
// or stops at characters outside the alphabet, and accepts `+`, `/` and `=`), so its result is encoded
// again and must spell exactly the input: only the canonical spelling of some bytes survives that, whatever
// the decoder tolerated. Cheaper than checking the alphabet with a regular expression first. Feature-
// detected, so edge runtimes without Buffer take the portable path.
const NativeBuffer = (globalThis as { Buffer?: { from(s: string, e: 'base64url'): NativeBytes } }).Buffer

/**
 * Decodes `input.slice(start, end)` as strict base64url.
 * Returns `undefined` for anything that is not the canonical base64url spelling of some bytes.
 */
export function decodeBase64url(input: string, start = 0, end = input.length): Uint8Array | undefined {
  if (NativeBuffer === undefined) return decodeBase64urlPortable(input, start, end)
  const text = start === 0 && end === input.length ? input : input.slice(start, end)
  const bytes = NativeBuffer.from(text, 'base64url')
  return bytes.toString('base64url') === text ? bytes : undefined
}

/**
 * {@link decodeBase64url} in plain JavaScript, for runtimes without `Buffer`.
 *
 * @example
 * ```ts
 * decodeBase64urlPortable('QUJD') // Uint8Array [65, 66, 67]
 * decodeBase64urlPortable('QUJD=') // undefined
 * ```
 */
export function decodeBase64urlPortable(
  input: string,
  start = 0,
  end = input.length,
): Uint8Array | undefined {
  const length = end - start
  const rest = length & 3
  if (rest === 1) return undefined
  const out = new Uint8Array((length >> 2) * 3 + (rest === 0 ? 0 : rest - 1))
  let o = 0
  let i = start
  const full = end - rest
  for (; i < full; i += 4) {
    const a = sextet(input, i)
    const b = sextet(input, i + 1)
    const c = sextet(input, i + 2)
    const d = sextet(input, i + 3)
    if ((a | b | c | d) < 0) return undefined
    const n = (a << 18) | (b << 12) | (c << 6) | d
    out[o++] = n >> 16
    out[o++] = (n >> 8) & 0xff
    out[o++] = n & 0xff
  }
  if (rest === 2) {
    const a = sextet(input, i)
    const b = sextet(input, i + 1)
    if ((a | b) < 0 || (b & 0x0f) !== 0) return undefined
    out[o] = (a << 2) | (b >> 4)
  } else if (rest === 3) {
    const a = sextet(input, i)
    const b = sextet(input, i + 1)
    const c = sextet(input, i + 2)
    if ((a | b | c) < 0 || (c & 0x03) !== 0) return undefined
    const n = (a << 10) | (b << 4) | (c >> 2)
    out[o++] = n >> 8
    out[o] = n & 0xff
  }
  return out
}

function sextet(input: string, i: number): number {
  const c = input.charCodeAt(i)
  return c < 128 ? (DECODE[c] as number) : -1
}

/** Encodes bytes as base64url without padding. */
export function encodeBase64url(bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number)
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!
  }
  if (i + 1 === bytes.length) {
    const n = (bytes[i] as number) << 16
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!
  } else if (i + 2 === bytes.length) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8)
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!
  }
  return out
}
