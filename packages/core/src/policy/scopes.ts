/**
 * Scopes: which `includes` rules name OAuth scope tokens (on `scope` or `scp`), and the scope tokens a
 * policy requires, for the `scope` attribute of a 403 `insufficient_scope` challenge (RFC 6750 §3).
 */

import { forEachRule, type PolicyNode } from './ast.js'

/**
 * The claims whose `includes` rules are about OAuth scopes: `scope` (RFC 9068) and `scp` (vendors).
 *
 * @example
 * ```ts
 * SCOPE_CLAIMS // ['scope', 'scp']
 * ```
 */
export const SCOPE_CLAIMS: readonly string[] = ['scope', 'scp']

/**
 * Whether a claim path is a scope claim (`scope` or `scp`, top level).
 *
 * @example
 * ```ts
 * isScopeClaim(['scope']) // true
 * isScopeClaim(['realm_access', 'roles']) // false
 * ```
 */
export function isScopeClaim(segments: readonly string[]): boolean {
  return segments.length === 1 && SCOPE_CLAIMS.includes(segments[0]!)
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); this also keeps the tokens safe to quote
// in a WWW-Authenticate `scope` attribute.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/

/**
 * Why `token` is not a scope token of RFC 6749 §3.3, or `undefined` when it is one.
 *
 * @example
 * ```ts
 * scopeTokenProblem('todos:read') // undefined
 * scopeTokenProblem('todos read') // 'contains a space …'
 * ```
 */
export function scopeTokenProblem(token: string): string | undefined {
  if (SCOPE_TOKEN.test(token)) return undefined
  if (token.includes(' ')) {
    return 'contains a space; scope tokens are space-delimited, so list several scopes as an array'
  }
  return 'is not a scope token (RFC 6749 §3.3: printable ASCII without space, " or \\)'
}

/**
 * The scope tokens named by `includes` rules on `scope`/`scp` that are not negated (under an even
 * number of `not`), deduplicated, in policy order.
 *
 * @example
 * ```ts
 * // for { anyOf: [{ scope: { includes: ['a', 'b'] } }, { not: { scope: { includes: 'c' } } }] }
 * requiredScopes(node) // ['a', 'b']
 * ```
 */
export function requiredScopes(node: PolicyNode): readonly string[] {
  const found = new Set<string>()
  forEachRule(node, (rule, negated) => {
    if (negated) return
    for (const leaf of rule.leaves) {
      if (leaf.condition.op === 'includes' && isScopeClaim(leaf.segments)) {
        for (const token of leaf.condition.tokens) found.add(token)
      }
    }
  })
  return [...found]
}
