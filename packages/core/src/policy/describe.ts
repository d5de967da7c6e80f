/**
 * Descriptions of claim values and conditions for explanations. Output is one line of printable ASCII:
 * strings are JSON-quoted with every other character escaped, long strings and arrays are truncated,
 * objects are not expanded. For logs and the CLI only, never for an HTTP response.
 */

import type { ConditionNode } from './ast.js'

const MAX_STRING = 64
const MAX_ITEMS = 5

/**
 * Quotes a string as JSON, escapes everything outside printable ASCII, truncates long strings.
 *
 * @example
 * ```ts
 * quote('preview') // '"preview"'
 * quote('a\nb') // '"a\\nb"'
 * ```
 */
export function quote(text: string): string {
  const cut = text.length > MAX_STRING
  const json = JSON.stringify(cut ? text.slice(0, MAX_STRING) : text).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
  return cut ? `${json}... (${text.length} characters)` : json
}

function describeScalar(value: unknown): string {
  if (typeof value === 'string') return quote(value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : typeof value
}

/**
 * Describes what a claim held.
 *
 * @example
 * ```ts
 * describeValue('preview') // '"preview"'
 * describeValue(undefined) // 'nothing (claim missing)'
 * describeValue(['a', 'b']) // 'an array ["a", "b"]'
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (claim missing)'
  if (value === null) return 'null (treated as missing)'
  if (Array.isArray(value)) {
    const shown = value.slice(0, MAX_ITEMS).map(describeScalar).join(', ')
    const more = value.length > MAX_ITEMS ? `, ... ${value.length - MAX_ITEMS} more` : ''
    return `an array [${shown}${more}]`
  }
  return describeScalar(value)
}

/**
 * Quotes a list of strings from the policy.
 *
 * @example
 * ```ts
 * quoteList(['production', 'preview']) // '["production", "preview"]'
 * ```
 */
export function quoteList(items: readonly string[]): string {
  return `[${items.map(quote).join(', ')}]`
}

/**
 * Describes what a condition expects.
 *
 * @example
 * ```ts
 * describeExpected({ op: 'oneOf', values: ['production'] }) // 'one of ["production"]'
 * ```
 */
export function describeExpected(condition: ConditionNode): string {
  switch (condition.op) {
    case 'equals':
      return describeScalar(condition.value)
    case 'oneOf':
      return `one of ${quoteList(condition.values)}`
    case 'glob':
      return `a string matching glob ${quote(condition.pattern)}`
    case 'includes':
      return condition.tokens.length === 1
        ? `a value including ${quote(condition.tokens[0]!)}`
        : `a value including all of ${quoteList(condition.tokens)}`
    case 'exists':
      return condition.value ? 'the claim to be present' : 'the claim to be absent'
  }
}
