/**
 * The validated form of a policy: what `compilePolicy` compiles into closures and what `explain`
 * walks on a denial. Internal to the policy module.
 */

import type { ClaimReader } from './path.js'

/**
 * A normalised condition on one claim. Plain strings are `equals`, arrays are `oneOf`.
 *
 * @example
 * ```ts
 * const condition: ConditionNode = { op: 'oneOf', values: ['production', 'preview'] }
 * ```
 */
export type ConditionNode =
  | { readonly op: 'equals'; readonly value: string | number | boolean }
  | { readonly op: 'oneOf'; readonly values: readonly string[] }
  | { readonly op: 'glob'; readonly pattern: string }
  | {
      readonly op: 'includes'
      readonly tokens: readonly string[]
      /** On a scope claim, the separator of the gate's scope hierarchy (`files` grants `files:read`). */
      readonly hierarchy?: string | undefined
    }
  | { readonly op: 'exists'; readonly value: boolean }

/**
 * One entry of a rule object: a claim path and what its value must satisfy.
 *
 * @example
 * ```ts
 * // { environment: 'production' } at `policy` becomes
 * // { kind: 'leaf', at: 'policy.environment', claim: 'environment', segments: ['environment'],
 * //   condition: { op: 'equals', value: 'production' }, read, match }
 * ```
 */
export interface LeafNode {
  readonly kind: 'leaf'
  /** Location in the policy, e.g. `policy.anyOf[0].environment`. */
  readonly at: string
  /** The claim path as written. */
  readonly claim: string
  readonly segments: readonly string[]
  readonly condition: ConditionNode
  readonly read: ClaimReader
  readonly match: (value: unknown) => boolean
}

/**
 * A rule object: the AND of its leaves.
 *
 * @example
 * ```ts
 * const rule: RuleNode = { kind: 'rule', at: 'policy.anyOf[0]', leaves: [] }
 * ```
 */
export interface RuleNode {
  readonly kind: 'rule'
  readonly at: string
  readonly leaves: readonly LeafNode[]
}

/**
 * `anyOf` or `allOf` with at least one item. `at` is the location of the object holding the key.
 *
 * @example
 * ```ts
 * const list: ListNode = { kind: 'anyOf', at: 'policy', items: [rule] }
 * ```
 */
export interface ListNode {
  readonly kind: 'anyOf' | 'allOf'
  readonly at: string
  readonly items: readonly PolicyNode[]
}

/**
 * `not`, with the JSON of its operand for explanations. `at` ends in `.not`.
 *
 * @example
 * ```ts
 * const not: NotNode = { kind: 'not', at: 'policy.not', item: rule, text: '{"project":"sandbox"}' }
 * ```
 */
export interface NotNode {
  readonly kind: 'not'
  readonly at: string
  readonly item: PolicyNode
  readonly text: string
}

/**
 * Any node of a validated policy.
 *
 * @example
 * ```ts
 * const { node } = parsePolicy({ environment: 'production' }, 'policy', undefined)
 * node.kind // 'rule'
 * ```
 */
export type PolicyNode = RuleNode | ListNode | NotNode

/**
 * Calls `visit` for every rule object of a policy, in policy order, with whether it sits under an odd
 * number of `not`s (its matches exclude rather than admit).
 *
 * @example
 * ```ts
 * forEachRule(node, (rule, negated) => console.log(rule.at, negated))
 * ```
 */
export function forEachRule(node: PolicyNode, visit: (rule: RuleNode, negated: boolean) => void): void {
  const walk = (current: PolicyNode, negated: boolean): void => {
    switch (current.kind) {
      case 'rule':
        visit(current, negated)
        return
      case 'anyOf':
      case 'allOf':
        for (const item of current.items) walk(item, negated)
        return
      case 'not':
        walk(current.item, !negated)
        return
    }
  }
  walk(node, false)
}
