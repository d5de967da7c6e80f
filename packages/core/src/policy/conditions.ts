/**
 * Matchers for the conditions of a rule: compiled once, allocation-free when called.
 */

import type { ConditionNode } from './ast.js'
import { compileGlob } from './glob.js'
import { grantingScopes } from './scopes.js'

/** Above this many values a one-of list is looked up in a `Set` instead of scanned. */
const SCAN_LIMIT = 8

/**
 * Whether `token` is one of the space-delimited tokens of `value` (RFC 6749 §3.3), without splitting.
 * A token containing a space never matches.
 *
 * @example
 * ```ts
 * hasToken('todos:read todos:write', 'todos:write') // true
 * hasToken('todos:readonly', 'todos:read') // false
 * ```
 */
export function hasToken(value: string, token: string): boolean {
  const length = token.length
  if (length === 0 || token.includes(' ')) return false
  let index = value.indexOf(token)
  while (index !== -1) {
    const end = index + length
    if (
      (index === 0 || value.charCodeAt(index - 1) === 32) &&
      (end === value.length || value.charCodeAt(end) === 32)
    ) {
      return true
    }
    index = value.indexOf(token, index + 1)
  }
  return false
}

/**
 * Whether a claim value contains `token`: as a space-delimited token of a string, or as an element of
 * an array. Any other value (missing, number, object) contains nothing.
 *
 * @example
 * ```ts
 * containsToken(['admins', 'devs'], 'devs') // true
 * containsToken('openid profile', 'profile') // true
 * ```
 */
export function containsToken(value: unknown, token: string): boolean {
  if (typeof value === 'string') return hasToken(value, token)
  return Array.isArray(value) && value.includes(token)
}

/**
 * Whether a scope claim value grants `token`: holds it, or, with a hierarchy `separator`, one of its
 * ancestors (`files` grants `files:read`).
 *
 * @example
 * ```ts
 * grantsScope('files openid', 'files:read', ':') // true
 * grantsScope('files openid', 'files:read', undefined) // false
 * ```
 */
export function grantsScope(value: unknown, token: string, separator: string | undefined): boolean {
  if (separator === undefined) return containsToken(value, token)
  const granting = grantingScopes(token, separator)
  for (let i = 0; i < granting.length; i++) if (containsToken(value, granting[i]!)) return true
  return false
}

/**
 * Compiles a condition into a predicate on the claim value (`undefined` when the claim is missing).
 * A missing or `null` claim fails every condition except `{ exists: false }`.
 *
 * @example
 * ```ts
 * const match = conditionMatcher({ op: 'oneOf', values: ['production', 'preview'] })
 * match('preview') // true
 * match(undefined) // false
 * ```
 */
export function conditionMatcher(condition: ConditionNode): (value: unknown) => boolean {
  switch (condition.op) {
    case 'equals': {
      const expected = condition.value
      return (value) => value === expected
    }
    case 'oneOf': {
      const values = condition.values
      if (values.length > SCAN_LIMIT) {
        const set: ReadonlySet<unknown> = new Set(values)
        return (value) => set.has(value)
      }
      return (value) => typeof value === 'string' && values.includes(value)
    }
    case 'glob': {
      const matches = compileGlob(condition.pattern)
      return (value) => typeof value === 'string' && matches(value)
    }
    case 'includes': {
      const tokens = condition.tokens
      if (condition.hierarchy !== undefined) return hierarchicalIncludes(tokens, condition.hierarchy)
      if (tokens.length === 1) {
        const token = tokens[0]!
        return (value) => containsToken(value, token)
      }
      return (value) => {
        for (let i = 0; i < tokens.length; i++) {
          if (!containsToken(value, tokens[i]!)) return false
        }
        return true
      }
    }
    case 'exists':
      return condition.value
        ? (value) => value !== undefined && value !== null
        : (value) => value === undefined || value === null
  }
}

/** `includes` on a scope claim with a hierarchy: each required token, or one of its ancestors, is granted. */
function hierarchicalIncludes(tokens: readonly string[], separator: string): (value: unknown) => boolean {
  const alternatives = tokens.map((token) => grantingScopes(token, separator))
  return (value) => {
    for (let i = 0; i < alternatives.length; i++) {
      const granting = alternatives[i]!
      let granted = false
      for (let j = 0; j < granting.length && !granted; j++) granted = containsToken(value, granting[j]!)
      if (!granted) return false
    }
    return true
  }
}
