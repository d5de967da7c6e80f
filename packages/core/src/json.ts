/**
 * Strict JSON for JOSE headers and claims sets. `JSON.parse` keeps the last of duplicate member names;
 * RFC 7515 §4 and RFC 7519 §4 allow that, but a first-wins component elsewhere would then read other
 * claims than the verifier did, so duplicates are refused (SECURITY P4). Nesting depth is bounded (P5).
 *
 * The text is parsed by the native `JSON.parse` (fast, and the syntax authority). A walk of the parsed
 * value counts its members and bounds its depth; a scan of the already-valid text counts member names.
 * Fewer members in the value than names in the text means a duplicate.
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
  const members = countMembers(value, maxDepth)
  if (members < 0) throw new JsonParseError('depth')
  if (countMemberNames(text) !== members) throw new JsonParseError('duplicate')
  return value
}

/**
 * Counts the member names of valid JSON text: the strings followed by `:`. Jumps from quote to quote
 * with `indexOf` (native and fast); what lies between strings needs no look.
 */
function countMemberNames(text: string): number {
  let names = 0
  let i = text.indexOf('"')
  while (i !== -1) {
    let end = text.indexOf('"', i + 1)
    while (isEscaped(text, end)) end = text.indexOf('"', end + 1)
    let next = text.charCodeAt(++end)
    while (next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09) next = text.charCodeAt(++end)
    if (next === 0x3a) names++
    i = text.indexOf('"', end)
  }
  return names
}

/** Whether the quote at `at` is escaped: preceded by an odd number of backslashes. */
function isEscaped(text: string, at: number): boolean {
  let backslashes = 0
  for (let i = at - 1; text.charCodeAt(i) === 0x5c; i--) backslashes++
  return (backslashes & 1) === 1
}

/**
 * Counts the members of the objects in `value`, or returns -1 when objects and arrays nest deeper than
 * `depthLeft` (so the walk itself never recurses deeper than that).
 */
function countMembers(value: JsonValue, depthLeft: number): number {
  if (value === null || typeof value !== 'object') return 0
  if (depthLeft === 0) return -1
  let count = 0
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inner = countMembers(value[i] as JsonValue, depthLeft - 1)
      if (inner < 0) return -1
      count += inner
    }
    return count
  }
  // `for…in` allocates no array of keys; objects from JSON.parse have no inherited enumerable members.
  for (const key in value) {
    const inner = countMembers(value[key] as JsonValue, depthLeft - 1)
    if (inner < 0) return -1
    count += 1 + inner
  }
  return count
}
