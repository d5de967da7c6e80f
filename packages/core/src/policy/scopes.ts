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

/**
 * Checks a scope hierarchy separator (the gate's `scopeHierarchy`, `compilePolicy`'s option): one
 * character that scope tokens may contain, such as `:`, `.` or `/`. Throws a `TypeError` naming
 * `option`.
 *
 * @example
 * ```ts
 * checkScopeHierarchy('scopeHierarchy', ':') // ':'
 * checkScopeHierarchy('scopeHierarchy', undefined) // undefined
 * ```
 */
export function checkScopeHierarchy(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length !== 1 || !SCOPE_TOKEN.test(value)) {
    throw new TypeError(`${option} must be one character of a scope token, such as ":", "." or "/"`)
  }
  return value
}

/**
 * The granted scopes that satisfy a required scope token: the token itself and, with a hierarchy
 * separator, every ancestor (`files:read:own` is satisfied by `files:read` and by `files`).
 *
 * @example
 * ```ts
 * grantingScopes('files:read:own', ':') // ['files:read:own', 'files:read', 'files']
 * grantingScopes('files:read', undefined) // ['files:read']
 * ```
 */
export function grantingScopes(token: string, separator: string | undefined): readonly string[] {
  const granting = [token]
  if (separator === undefined) return granting
  for (let end = token.lastIndexOf(separator); end > 0; end = token.lastIndexOf(separator, end - 1)) {
    granting.push(token.slice(0, end))
  }
  return granting
}
