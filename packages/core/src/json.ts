/**
 * A strict JSON parser (RFC 8259) for JOSE headers and claims sets. Unlike `JSON.parse` it rejects
 * duplicate member names (RFC 7515 §4, RFC 7519 §4: a first-wins component elsewhere would read other
 * claims than the verifier did) and bounds the nesting depth.
 */

import type { JsonValue } from './claims.js'

/** Why a text is not acceptable JSON. */
export type JsonProblem = 'syntax' | 'duplicate' | 'depth'

/** Thrown by {@link parseJson}. */
export class JsonParseError extends Error {
  readonly problem: JsonProblem
  constructor(problem: JsonProblem) {
    super(`invalid JSON (${problem})`)
    this.problem = problem
  }
}

/** Parses `text` as one JSON value. @throws JsonParseError */
export function parseJson(text: string, maxDepth = 16): JsonValue {
  const parser = new Parser(text, maxDepth)
  parser.ws()
  const value = parser.value(0)
  parser.ws()
  if (parser.i !== text.length) throw new JsonParseError('syntax')
  return value
}

class Parser {
  i = 0
  constructor(
    readonly s: string,
    readonly maxDepth: number,
  ) {}

  ws(): void {
    const s = this.s
    let i = this.i
    for (;;) {
      const c = s.charCodeAt(i)
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++
      else break
    }
    this.i = i
  }

  value(depth: number): JsonValue {
    const c = this.s.charCodeAt(this.i)
    if (c === 0x22) return this.string()
    if (c === 0x7b) return this.object(depth + 1)
    if (c === 0x5b) return this.array(depth + 1)
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number()
    if (this.s.startsWith('true', this.i)) {
      this.i += 4
      return true
    }
    if (this.s.startsWith('false', this.i)) {
      this.i += 5
      return false
    }
    if (this.s.startsWith('null', this.i)) {
      this.i += 4
      return null
    }
    throw new JsonParseError('syntax')
  }

  object(depth: number): { [key: string]: JsonValue } {
    if (depth > this.maxDepth) throw new JsonParseError('depth')
    this.i++
    const out: { [key: string]: JsonValue } = {}
    this.ws()
    if (this.s.charCodeAt(this.i) === 0x7d) {
      this.i++
      return out
    }
    for (;;) {
      if (this.s.charCodeAt(this.i) !== 0x22) throw new JsonParseError('syntax')
      const key = this.string()
      this.ws()
      if (this.s.charCodeAt(this.i) !== 0x3a) throw new JsonParseError('syntax')
      this.i++
      this.ws()
      const value = this.value(depth)
      if (Object.hasOwn(out, key)) throw new JsonParseError('duplicate')
      if (key === '__proto__') {
        Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true })
      } else {
        out[key] = value
      }
      this.ws()
      const c = this.s.charCodeAt(this.i++)
      if (c === 0x7d) return out
      if (c !== 0x2c) throw new JsonParseError('syntax')
      this.ws()
    }
  }

  array(depth: number): JsonValue[] {
    if (depth > this.maxDepth) throw new JsonParseError('depth')
    this.i++
    const out: JsonValue[] = []
    this.ws()
    if (this.s.charCodeAt(this.i) === 0x5d) {
      this.i++
      return out
    }
    for (;;) {
      out.push(this.value(depth))
      this.ws()
      const c = this.s.charCodeAt(this.i++)
      if (c === 0x5d) return out
      if (c !== 0x2c) throw new JsonParseError('syntax')
      this.ws()
    }
  }

  string(): string {
    const s = this.s
    let i = this.i + 1
    const start = i
    // Fast path: no escapes.
    for (;;) {
      const c = s.charCodeAt(i)
      if (c === 0x22) {
        this.i = i + 1
        return s.slice(start, i)
      }
      if (c === 0x5c) break
      if (c < 0x20 || Number.isNaN(c)) throw new JsonParseError('syntax')
      i++
    }
    let out = s.slice(start, i)
    for (;;) {
      const c = s.charCodeAt(i)
      if (c === 0x22) {
        this.i = i + 1
        return out
      }
      if (c < 0x20 || Number.isNaN(c)) throw new JsonParseError('syntax')
      if (c !== 0x5c) {
        out += s[i]
        i++
        continue
      }
      const e = s.charCodeAt(i + 1)
      i += 2
      switch (e) {
        case 0x22:
          out += '"'
          break
        case 0x5c:
          out += '\\'
          break
        case 0x2f:
          out += '/'
          break
        case 0x62:
          out += '\b'
          break
        case 0x66:
          out += '\f'
          break
        case 0x6e:
          out += '\n'
          break
        case 0x72:
          out += '\r'
          break
        case 0x74:
          out += '\t'
          break
        case 0x75: {
          const hex = s.slice(i, i + 4)
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonParseError('syntax')
          out += String.fromCharCode(Number.parseInt(hex, 16))
          i += 4
          break
        }
        default:
          throw new JsonParseError('syntax')
      }
    }
  }

  number(): number {
    const s = this.s
    const start = this.i
    let i = start
    if (s.charCodeAt(i) === 0x2d) i++
    const first = s.charCodeAt(i)
    if (first === 0x30) i++
    else if (first >= 0x31 && first <= 0x39) i = digits(s, i)
    else throw new JsonParseError('syntax')
    if (s.charCodeAt(i) === 0x2e) {
      const after = digits(s, i + 1)
      if (after === i + 1) throw new JsonParseError('syntax')
      i = after
    }
    const e = s.charCodeAt(i)
    if (e === 0x65 || e === 0x45) {
      i++
      const sign = s.charCodeAt(i)
      if (sign === 0x2b || sign === 0x2d) i++
      const after = digits(s, i)
      if (after === i) throw new JsonParseError('syntax')
      i = after
    }
    this.i = i
    // May be ±Infinity for huge exponents (1e400): claim checks require finite numbers.
    return Number(s.slice(start, i))
  }
}

function digits(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i)
    if (c >= 0x30 && c <= 0x39) i++
    else return i
  }
}
