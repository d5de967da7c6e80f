/**
 * `compilePolicy`: validates policy JSON once, at construction, and turns it into closures. Evaluation
 * calls those closures only; it never walks the JSON again and allocates nothing.
 */

import { VERCEL_CLAIM_NAMES } from '../claims.js'
import type { LeafNode, PolicyNode } from './ast.js'
import { explainPolicy } from './explain.js'
import { checkScopeHierarchy, requiredScopes } from './scopes.js'
import type { CompiledPolicy, CompilePolicyOptions, Policy } from './types.js'
import { parsePolicy } from './validate.js'
import { renameWarnings } from './warnings.js'

/** A compiled node; `claims` is always a non-null, non-array object (see `compilePolicy`). */
type Predicate = (claims: Readonly<Record<string, unknown>>) => boolean

const hasOwn = Object.hasOwn

/** What non-object claims are evaluated as: nothing present. */
const NO_CLAIMS: Readonly<Record<string, unknown>> = Object.freeze(Object.create(null))

/** The claims to evaluate: the object itself, or no claims for anything that is not a plain object. */
function asClaims(claims: unknown): Readonly<Record<string, unknown>> {
  return typeof claims === 'object' && claims !== null && !Array.isArray(claims)
    ? (claims as Readonly<Record<string, unknown>>)
    : NO_CLAIMS
}

/** Brand of compiled policies; `Symbol.for` so that it survives two copies of the package. */
const COMPILED = Symbol.for('oidc-gate.compiled-policy')

function all(predicates: readonly Predicate[]): Predicate {
  if (predicates.length === 1) return predicates[0]!
  if (predicates.length === 2) {
    const [a, b] = predicates as [Predicate, Predicate]
    return (claims) => a(claims) && b(claims)
  }
  if (predicates.length === 3) {
    const [a, b, c] = predicates as [Predicate, Predicate, Predicate]
    return (claims) => a(claims) && b(claims) && c(claims)
  }
  return (claims) => {
    for (let i = 0; i < predicates.length; i++) if (!predicates[i]!(claims)) return false
    return true
  }
}

function any(predicates: readonly Predicate[]): Predicate {
  if (predicates.length === 1) return predicates[0]!
  if (predicates.length === 2) {
    const [a, b] = predicates as [Predicate, Predicate]
    return (claims) => a(claims) || b(claims)
  }
  if (predicates.length === 3) {
    const [a, b, c] = predicates as [Predicate, Predicate, Predicate]
    return (claims) => a(claims) || b(claims) || c(claims)
  }
  return (claims) => {
    for (let i = 0; i < predicates.length; i++) if (predicates[i]!(claims)) return true
    return false
  }
}

/**
 * A leaf as one closure. Top-level claims are read directly, and the own-property check runs only when
 * the value would match: a value inherited from `Object.prototype` (a function or an object) can never
 * equal a string, number or boolean, but a polluted prototype could, so the check stays.
 */
function compileLeaf(leaf: LeafNode): Predicate {
  const { segments, condition, match } = leaf
  if (segments.length !== 1) {
    const { read } = leaf
    return (claims) => match(read(claims))
  }
  const key = segments[0]!
  switch (condition.op) {
    case 'equals': {
      const expected = condition.value
      return (claims) => claims[key] === expected && hasOwn(claims, key)
    }
    case 'oneOf':
      if (condition.values.length <= 8) {
        const values = condition.values
        return (claims) => {
          const value = claims[key]
          return typeof value === 'string' && values.includes(value) && hasOwn(claims, key)
        }
      }
      return (claims) => match(claims[key]) && hasOwn(claims, key)
    case 'exists':
      return condition.value
        ? (claims) => {
            const value = claims[key]
            return value !== undefined && value !== null && hasOwn(claims, key)
          }
        : (claims) => {
            const value = claims[key]
            return value === undefined || value === null || !hasOwn(claims, key)
          }
    default:
      return (claims) => {
        const value = claims[key]
        return value !== undefined && match(value) && hasOwn(claims, key)
      }
  }
}

function compileNode(node: PolicyNode): Predicate {
  switch (node.kind) {
    case 'rule':
      return all(node.leaves.map(compileLeaf))
    case 'allOf':
      return all(node.items.map(compileNode))
    case 'anyOf':
      return any(node.items.map(compileNode))
    case 'not': {
      const inner = compileNode(node.item)
      return (claims) => !inner(claims)
    }
  }
}

/**
 * Validates a policy and compiles it into a predicate, once, at construction. Throws a `TypeError`
 * naming every problem by its location (`policy.anyOf[1].enviroment: unknown claim "enviroment"; did
 * you mean "environment"?`). Passing an already compiled policy returns it unchanged.
 *
 * With `profile: 'vercel'`, claim names are checked against the Vercel claims and rules on renameable
 * names are reported in `warnings`. Type the policy with `compilePolicy<VercelClaims>(…)` to have
 * TypeScript check the claim names too.
 *
 * @example
 * ```ts
 * import { compilePolicy, type VercelClaims } from '@oidc-gate/core'
 *
 * const policy = compilePolicy<VercelClaims>(
 *   { anyOf: [
 *     { owner_id: 'team_1', project_id: ['prj_a', 'prj_b'], environment: 'production' },
 *     { environment: 'development', user_id: 'usr_9' },
 *   ] },
 *   { profile: 'vercel' },
 * )
 * policy.test(claims) // true or false, on verified claims
 * policy.explain(claims).failures // why not, for the logs
 * ```
 */
export function compilePolicy<C = Record<string, unknown>>(
  policy: Policy<NoInfer<C>> | CompiledPolicy,
  options: CompilePolicyOptions = {},
): CompiledPolicy {
  if (isCompiledPolicy(policy)) return policy
  const label = options.label ?? 'policy'
  if (typeof label !== 'string' || label === '')
    throw new TypeError('compilePolicy: label must be a non-empty string')
  const claimNames = options.claimNames ?? (options.profile === 'vercel' ? VERCEL_CLAIM_NAMES : undefined)
  const hierarchy = checkScopeHierarchy('compilePolicy: scopeHierarchy', options.scopeHierarchy)
  const { node, source } = parsePolicy(policy, label, claimNames, hierarchy)
  const root = compileNode(node)
  const test: CompiledPolicy['test'] = (claims) => root(asClaims(claims))
  const compiled: CompiledPolicy & { readonly [COMPILED]: true } = {
    [COMPILED]: true,
    source,
    label,
    test,
    explain: (claims) => explainPolicy(node, asClaims(claims)),
    requiredScopes: Object.freeze([...requiredScopes(node)]),
    warnings: Object.freeze(options.profile === 'vercel' ? [...renameWarnings(node)] : []),
  }
  return Object.freeze(compiled)
}

/**
 * Whether a value is a policy returned by {@link compilePolicy} (as opposed to policy JSON).
 *
 * @example
 * ```ts
 * isCompiledPolicy(compilePolicy({ environment: 'production' })) // true
 * isCompiledPolicy({ environment: 'production' }) // false
 * ```
 */
export function isCompiledPolicy(value: unknown): value is CompiledPolicy {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [COMPILED]?: unknown })[COMPILED] === true &&
    typeof (value as { test?: unknown }).test === 'function'
  )
}
