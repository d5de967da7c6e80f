/**
 * Strict JSON for JOSE headers and claims sets. `JSON.parse` keeps the last of duplicate member names;
 * RFC 7515 §4 and RFC 7519 §4 allow that, but a first-wins component elsewhere would then read other
 * claims than the verifier did, so duplicates are refused (SECURITY P4). Nesting depth is bounded (P5).
 *
 * The text is parsed by the native `JSON.parse` (fast, and the syntax authority); one linear scan of the
 * already-valid text then counts member names and depth. Fewer members in the parsed value than names
 * in the text means a duplicate.
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
  let value: JsonValue
  try {
    value = JSON.parse(text)
  } catch {
    throw new JsonParseError('syntax')
  }
  const names = scanMemberNames(text, maxDepth)
  if (names < 0) throw new JsonParseError('depth')
  if (names !== countMembers(value)) throw new JsonParseError('duplicate')
  return value
}

/**
 * Counts the member names of valid JSON text (a string followed by `:`), or returns -1 when objects and
 * arrays nest deeper than `maxDepth`.
 */
function scanMemberNames(text: string, maxDepth: number): number {
  let names = 0
  let depth = 0
  let i = 0
  const n = text.length
  while (i < n) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      let end = text.indexOf('"', i + 1)
      while (isEscaped(text, end)) end = text.indexOf('"', end + 1)
      i = end + 1
      let next = text.charCodeAt(i)
      while (next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09) next = text.charCodeAt(++i)
      if (next === 0x3a) names++
      continue
    }
    if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return -1
    } else if (c === 0x7d || c === 0x5d) {
      depth--
    }
    i++
  }
  return names
}

/** Whether the quote at `at` is escaped: preceded by an odd number of backslashes. */
function isEscaped(text: string, at: number): boolean {
  let backslashes = 0
  for (let i = at - 1; text.charCodeAt(i) === 0x5c; i--) backslashes++
  return (backslashes & 1) === 1
}

function countMembers(value: JsonValue): number {
  if (value === null || typeof value !== 'object') return 0
  let count = 0
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) count += countMembers(value[i] as JsonValue)
    return count
  }
  // `for…in` allocates no array of keys; objects from JSON.parse have no inherited enumerable members.
  for (const key in value) count += 1 + countMembers(value[key] as JsonValue)
  return count
}
