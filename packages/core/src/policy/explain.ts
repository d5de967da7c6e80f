/**
 * Explanations of a decision: the slow path, run for denials (and for the CLI). Walks the validated
 * node tree and reports every rule that failed on the way to the denial.
 */

import type { LeafNode, NotNode, PolicyNode } from './ast.js'
import { grantsScope } from './conditions.js'
import { describeExpected, describeValue, quoteList } from './describe.js'
import { isScopeClaim } from './scopes.js'
import type { PolicyDecision, PolicyFailure } from './types.js'

/** The failures that come from `includes` on a scope claim, with the scope tokens they lacked. */
const scopeFailures = new WeakMap<PolicyFailure, readonly string[]>()

function leafFailure(leaf: LeafNode, value: unknown): PolicyFailure {
  const { condition } = leaf
  const expected = describeExpected(condition)
  const actual = describeValue(value)
  const operator = condition.op === 'oneOf' ? 'equals' : condition.op
  let message = `${leaf.at}: expected ${expected}, got ${actual}`
  if (condition.op === 'includes') {
    const missing = condition.tokens.filter((token) => !grantsScope(value, token, condition.hierarchy))
    message += ` (missing ${quoteList(missing)})`
    const failure: PolicyFailure = {
      rule: leaf.at,
      claim: leaf.claim,
      operator,
      expected,
      actual,
      missing,
      message,
    }
    if (isScopeClaim(leaf.segments)) scopeFailures.set(failure, missing)
    return failure
  }
  if ((condition.op === 'equals' || condition.op === 'oneOf') && Array.isArray(value)) {
    message += '; the claim is an array: use { "includes": ... } to test membership'
  }
  return { rule: leaf.at, claim: leaf.claim, operator, expected, actual, message }
}

function notFailure(node: NotNode, claims: unknown): PolicyFailure {
  const expected = `no match for ${node.text}`
  const item = node.item
  const actual =
    item.kind === 'rule'
      ? `a match (${item.leaves.map((leaf) => `${leaf.claim}: ${describeValue(leaf.read(claims))}`).join(', ')})`
      : 'a match'
  return {
    rule: node.at,
    operator: 'not',
    expected,
    actual,
    message: `${node.at}: expected ${expected}, got ${actual}`,
  }
}

/**
 * Evaluates `node`, pushing the failures of a failed node into `failures`. Returns the location of the
 * most specific rule that matched, or `undefined` when the node failed.
 */
function evaluate(node: PolicyNode, claims: unknown, failures: PolicyFailure[]): string | undefined {
  switch (node.kind) {
    case 'rule': {
      let ok = true
      for (const leaf of node.leaves) {
        const value = leaf.read(claims)
        if (!leaf.match(value)) {
          ok = false
          failures.push(leafFailure(leaf, value))
        }
      }
      return ok ? node.at : undefined
    }
    case 'anyOf': {
      const branches: PolicyFailure[] = []
      for (const item of node.items) {
        const matched = evaluate(item, claims, branches)
        if (matched !== undefined) return matched
      }
      failures.push(...branches)
      return undefined
    }
    case 'allOf': {
      let ok = true
      for (const item of node.items) {
        if (evaluate(item, claims, failures) === undefined) ok = false
      }
      return ok ? node.at : undefined
    }
    case 'not': {
      if (evaluate(node.item, claims, []) === undefined) return node.at
      failures.push(notFailure(node, claims))
      return undefined
    }
  }
}

/**
 * Explains the decision of a policy on verified claims.
 *
 * @example
 * ```ts
 * const decision = explainPolicy(node, { environment: 'preview' })
 * decision.failures[0]?.message // 'policy.environment: expected "production", got "preview"'
 * ```
 */
export function explainPolicy(node: PolicyNode, claims: unknown): PolicyDecision {
  const failures: PolicyFailure[] = []
  const matched = evaluate(node, claims, failures)
  if (matched !== undefined) return { allowed: true, matched, failures: [], missingScopes: [] }
  const missingScopes = new Set<string>()
  for (const failure of failures) {
    for (const token of scopeFailures.get(failure) ?? []) missingScopes.add(token)
  }
  return { allowed: false, failures, missingScopes: [...missingScopes] }
}
