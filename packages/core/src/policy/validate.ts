/**
 * Validation of policy JSON into the node tree the compiler uses. Every problem is reported with its
 * location in the policy (`policy.anyOf[1].enviroment`) and, for misspelt names, the closest known one.
 */

import type { ConditionNode, LeafNode, PolicyNode } from './ast.js'
import { conditionMatcher } from './conditions.js'
import { globProblem } from './glob.js'
import { claimReader, locationKey, parseClaimPath } from './path.js'
import { isScopeClaim, scopeTokenProblem } from './scopes.js'
import { closestName } from './suggest.js'
import type { PolicyCombinator, PolicyOperator } from './types.js'

/**
 * The combinator keys; they cannot be used as claim names.
 *
 * @example
 * ```ts
 * COMBINATORS.includes('not') // true
 * ```
 */
export const COMBINATORS: readonly PolicyCombinator[] = ['anyOf', 'allOf', 'not']

/**
 * The operator keys of an operator object.
 *
 * @example
 * ```ts
 * OPERATORS.includes('glob') // true
 * ```
 */
export const OPERATORS: readonly PolicyOperator[] = ['equals', 'glob', 'includes', 'exists']

/** Deeper policies are refused (they are mistakes, or cycles). */
const MAX_DEPTH = 32

interface Context {
  readonly errors: string[]
  readonly claimNames: ReadonlySet<string> | undefined
  readonly ancestors: Set<object>
  /** The separator of hierarchical scopes, for `includes` on scope claims and `scopes`. */
  readonly scopeHierarchy: string | undefined
}

/**
 * The rule key that names required scopes: `{ "scopes": ["files:read"] }` is
 * `{ "scope": { "includes": ["files:read"] } }`. A claim named `scopes` is read with `[scopes]`.
 *
 * @example
 * ```ts
 * SCOPES_KEY // 'scopes'
 * ```
 */
export const SCOPES_KEY = 'scopes'

/** Describes a non-JSON or unexpected value for an error message. */
function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  switch (typeof value) {
    case 'undefined':
      return 'undefined'
    case 'function':
      return 'a function'
    case 'symbol':
      return 'a symbol'
    case 'bigint':
      return 'a bigint'
    case 'string':
      return 'a string'
    case 'boolean':
      return 'a boolean'
    case 'number':
      return Number.isFinite(value) ? 'a number' : `${value}`
    default: {
      if (isPlainObject(value)) return 'an object'
      const ctor = (value as { constructor?: { name?: unknown; prototype?: unknown } }).constructor
      return ctor?.prototype === Object.getPrototypeOf(value) &&
        typeof ctor?.name === 'string' &&
        ctor.name !== ''
        ? `an instance of ${ctor.name}`
        : 'an object with a custom prototype'
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function isJsonScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'boolean' || Number.isFinite(value)
}

function didYouMean(name: string, candidates: Iterable<string>): string {
  const closest = closestName(name, candidates)
  return closest === undefined ? '' : `; did you mean "${closest}"?`
}

/** A hint when a key that looks like a combinator (`anyof`, `Not`) holds something that is no condition. */
function combinatorHint(key: string): string {
  const lower = key.toLowerCase()
  const combinator = COMBINATORS.find((name) => name.toLowerCase() === lower)
  return combinator === undefined ? '' : `; did you mean the combinator "${combinator}"?`
}

/** Checks an object for keys a JSON document cannot have, and for cycles and depth. */
function enter(value: object, at: string, ctx: Context): boolean {
  if (ctx.ancestors.has(value)) {
    ctx.errors.push(`${at}: circular reference`)
    return false
  }
  if (ctx.ancestors.size >= MAX_DEPTH) {
    ctx.errors.push(`${at}: nested more than ${MAX_DEPTH} levels deep`)
    return false
  }
  if (Object.getOwnPropertySymbols(value).length > 0) {
    ctx.errors.push(`${at}: symbol keys are not JSON`)
    return false
  }
  return true
}

function parseNode(value: unknown, at: string, ctx: Context): PolicyNode | undefined {
  if (Array.isArray(value)) {
    ctx.errors.push(
      `${at}: expected a policy object, got an array; to admit any of several rules write { "anyOf": [ … ] }`,
    )
    return undefined
  }
  if (!isPlainObject(value)) {
    const hint = typeof value === 'string' ? '; parse the JSON text first (JSON.parse)' : ''
    ctx.errors.push(`${at}: expected a policy object, got ${kindOf(value)}${hint}`)
    return undefined
  }
  if (!enter(value, at, ctx)) return undefined
  ctx.ancestors.add(value)
  try {
    const keys = Object.keys(value)
    if (keys.length === 0) {
      ctx.errors.push(
        `${at}: the empty rule {} is not allowed (it would admit every verified token); name at least one claim`,
      )
      return undefined
    }
    const combinator = keys.find((key): key is PolicyCombinator =>
      COMBINATORS.includes(key as PolicyCombinator),
    )
    if (combinator !== undefined) {
      if (keys.length > 1) {
        const others = keys.filter((key) => key !== combinator).map((key) => `"${key}"`)
        ctx.errors.push(
          `${at}: "${combinator}" must be the only key of its object, found ${others.join(', ')} beside it; ` +
            'combine rules with allOf',
        )
        return undefined
      }
      return parseCombinator(combinator, value[combinator], at, ctx)
    }
    return parseRule(value, keys, at, ctx)
  } finally {
    ctx.ancestors.delete(value)
  }
}

function parseCombinator(
  combinator: PolicyCombinator,
  operand: unknown,
  at: string,
  ctx: Context,
): PolicyNode | undefined {
  const where = `${at}.${combinator}`
  if (combinator === 'not') {
    if (Array.isArray(operand)) {
      ctx.errors.push(
        `${where}: expects one policy object, not an array; to exclude several rules write { "not": { "anyOf": [ … ] } }`,
      )
      return undefined
    }
    const item = parseNode(operand, where, ctx)
    if (item === undefined) return undefined
    return { kind: 'not', at: where, item, text: compactJson(operand) }
  }
  if (!Array.isArray(operand)) {
    ctx.errors.push(`${where}: expects an array of policies, got ${kindOf(operand)}`)
    return undefined
  }
  if (operand.length === 0) {
    ctx.errors.push(`${where}: must not be empty (an empty ${combinator} is a configuration mistake)`)
    return undefined
  }
  if (!enter(operand, where, ctx)) return undefined
  ctx.ancestors.add(operand)
  const items: PolicyNode[] = []
  let valid = true
  for (let i = 0; i < operand.length; i++) {
    const item = parseNode(operand[i], `${where}[${i}]`, ctx)
    if (item === undefined) valid = false
    else items.push(item)
  }
  ctx.ancestors.delete(operand)
  return valid ? { kind: combinator, at, items } : undefined
}

function parseRule(rule: Record<string, unknown>, keys: readonly string[], at: string, ctx: Context) {
  const leaves: LeafNode[] = []
  let valid = true
  for (const key of keys) {
    const where = locationKey(at, key)
    if (key === SCOPES_KEY) {
      const leaf = parseScopes(rule[key], where, ctx)
      if (leaf === undefined) valid = false
      else leaves.push(leaf)
      continue
    }
    const segments = parseClaimPath(key)
    if (typeof segments === 'string') {
      ctx.errors.push(`${where}: ${segments}`)
      valid = false
      continue
    }
    const first = segments[0]!
    if (ctx.claimNames !== undefined && !ctx.claimNames.has(first)) {
      const suggestion = didYouMean(first, [...ctx.claimNames, ...COMBINATORS])
      ctx.errors.push(`${where}: unknown claim "${first}"${suggestion}`)
      valid = false
      continue
    }
    const condition = parseCondition(rule[key], where, key, segments, ctx)
    if (condition === undefined) {
      valid = false
      continue
    }
    leaves.push({
      kind: 'leaf',
      at: where,
      claim: key,
      segments,
      condition,
      read: claimReader(segments),
      match: conditionMatcher(condition),
    })
  }
  return valid ? ({ kind: 'rule', at, leaves } as const) : undefined
}

/** `scopes`: a scope token or a non-empty array of them, all required in the `scope` claim. */
function parseScopes(value: unknown, at: string, ctx: Context): LeafNode | undefined {
  const check = (token: string, tokenAt: string): boolean => {
    const problem = scopeTokenProblem(token)
    if (problem !== undefined) ctx.errors.push(`${tokenAt}: ${JSON.stringify(token)} ${problem}`)
    return problem === undefined
  }
  let tokens: readonly string[] | undefined
  if (typeof value === 'string') tokens = check(value, at) ? [value] : undefined
  else if (Array.isArray(value) && enter(value, at, ctx)) tokens = parseStringList(value, at, ctx, check)
  else if (!Array.isArray(value)) {
    ctx.errors.push(`${at}: expects a scope or an array of scopes, all required, got ${kindOf(value)}`)
  }
  if (tokens === undefined) return undefined
  const condition: ConditionNode = { op: 'includes', tokens, hierarchy: ctx.scopeHierarchy }
  const segments = ['scope']
  return {
    kind: 'leaf',
    at,
    claim: 'scope',
    segments,
    condition,
    read: claimReader(segments),
    match: conditionMatcher(condition),
  }
}

function parseStringList(
  value: readonly unknown[],
  at: string,
  ctx: Context,
  check: (item: string, where: string) => boolean,
): readonly string[] | undefined {
  if (value.length === 0) {
    ctx.errors.push(`${at}: an empty array matches nothing; list at least one value`)
    return undefined
  }
  const items = new Set<string>()
  let valid = true
  for (let i = 0; i < value.length; i++) {
    const item = value[i]
    const where = `${at}[${i}]`
    if (typeof item !== 'string') {
      const hint = isJsonScalar(item) ? `; compare ${kindOf(item)} with { "equals": ${String(item)} }` : ''
      ctx.errors.push(`${where}: expected a string, got ${kindOf(item)}${hint}`)
      valid = false
    } else if (check(item, where)) {
      items.add(item)
    } else {
      valid = false
    }
  }
  return valid ? [...items] : undefined
}

function parseCondition(
  value: unknown,
  at: string,
  key: string,
  segments: readonly string[],
  ctx: Context,
): ConditionNode | undefined {
  if (typeof value === 'string') return { op: 'equals', value }
  if (Array.isArray(value)) {
    if (value.some((item) => isPlainObject(item)) && combinatorHint(key) !== '') {
      ctx.errors.push(`${at}: an array of rule objects is no condition${combinatorHint(key)}`)
      return undefined
    }
    if (!enter(value, at, ctx)) return undefined
    const values = parseStringList(value, at, ctx, () => true)
    return values === undefined ? undefined : { op: 'oneOf', values }
  }
  if (isPlainObject(value)) {
    if (!enter(value, at, ctx)) return undefined
    return parseOperator(value, at, key, segments, ctx)
  }
  if (value === null) {
    ctx.errors.push(
      `${at}: null is not a condition; to require that the claim is absent write { "exists": false }`,
    )
  } else if (isJsonScalar(value)) {
    ctx.errors.push(`${at}: a bare ${typeof value} is not a condition; write { "equals": ${String(value)} }`)
  } else {
    ctx.errors.push(`${at}: ${kindOf(value)} is not a JSON value`)
  }
  return undefined
}

function parseOperator(
  value: Record<string, unknown>,
  at: string,
  key: string,
  segments: readonly string[],
  ctx: Context,
): ConditionNode | undefined {
  const keys = Object.keys(value)
  if (keys.length !== 1) {
    ctx.errors.push(
      keys.length === 0
        ? `${at}: empty operator object; use one of ${OPERATORS.join(', ')}`
        : `${at}: an operator object takes exactly one operator, got ${keys.join(', ')}; combine conditions with allOf`,
    )
    return undefined
  }
  const operator = keys[0]!
  const where = locationKey(at, operator)
  const operand = value[operator]
  switch (operator) {
    case 'equals':
      if (isJsonScalar(operand)) return { op: 'equals', value: operand }
      ctx.errors.push(`${where}: expects a string, number or boolean, got ${kindOf(operand)}`)
      return undefined
    case 'glob': {
      if (typeof operand !== 'string') {
        ctx.errors.push(`${where}: expects a string pattern, got ${kindOf(operand)}`)
        return undefined
      }
      const problem = globProblem(operand)
      if (problem === undefined) return { op: 'glob', pattern: operand }
      ctx.errors.push(`${where}: invalid glob ${JSON.stringify(operand)}: ${problem}`)
      return undefined
    }
    case 'includes': {
      const scope = isScopeClaim(segments)
      const check = (token: string, tokenAt: string): boolean => {
        const problem = token === '' ? 'is empty' : scope ? scopeTokenProblem(token) : undefined
        if (problem === undefined) return true
        ctx.errors.push(`${tokenAt}: ${JSON.stringify(token)} ${problem}`)
        return false
      }
      const hierarchy = scope ? ctx.scopeHierarchy : undefined
      if (typeof operand === 'string')
        return check(operand, where) ? { op: 'includes', tokens: [operand], hierarchy } : undefined
      if (Array.isArray(operand)) {
        const tokens = parseStringList(operand, where, ctx, check)
        return tokens === undefined ? undefined : { op: 'includes', tokens, hierarchy }
      }
      ctx.errors.push(`${where}: expects a string or an array of strings, got ${kindOf(operand)}`)
      return undefined
    }
    case 'exists':
      if (typeof operand === 'boolean') return { op: 'exists', value: operand }
      ctx.errors.push(`${where}: expects true or false, got ${kindOf(operand)}`)
      return undefined
    default: {
      if (COMBINATORS.includes(operator as PolicyCombinator)) {
        ctx.errors.push(
          `${where}: "${operator}" is a combinator, not an operator; wrap the whole rule: ` +
            `{ "${operator}": ${operator === 'not' ? `{ "${key}": … }` : `[ { "${key}": … } ]`} }`,
        )
      } else {
        const suggestion = didYouMean(operator, OPERATORS)
        const hint = suggestion !== '' ? suggestion : combinatorHint(key)
        ctx.errors.push(
          `${where}: unknown operator "${operator}"${hint} (operators: ${OPERATORS.join(', ')})`,
        )
      }
      return undefined
    }
  }
}

/** Compact JSON of a validated value, truncated for messages. */
function compactJson(value: unknown): string {
  const text = JSON.stringify(value) ?? ''
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

/** Deep copy of validated policy JSON, frozen; objects are built with `Object.fromEntries` (no setters). */
function frozenCopy(value: unknown): unknown {
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy))
  if (typeof value === 'object' && value !== null) {
    return Object.freeze(
      Object.fromEntries(Object.entries(value).map(([key, item]) => [key, frozenCopy(item)])),
    )
  }
  return value
}

/**
 * Validates policy JSON and builds its node tree, or throws a `TypeError` listing every problem with
 * its location.
 *
 * @example
 * ```ts
 * const { node, source } = parsePolicy({ environment: 'production' }, 'policy', undefined)
 * parsePolicy({ enviroment: 'production' }, 'policy', ['environment'])
 * // throws TypeError: policy.enviroment: unknown claim "enviroment"; did you mean "environment"?
 * ```
 */
export function parsePolicy(
  policy: unknown,
  label: string,
  claimNames: readonly string[] | undefined,
  scopeHierarchy?: string,
): { readonly node: PolicyNode; readonly source: unknown } {
  const ctx: Context = {
    errors: [],
    claimNames: claimNames === undefined ? undefined : new Set(claimNames),
    ancestors: new Set(),
    scopeHierarchy,
  }
  const node = parseNode(policy, label, ctx)
  if (node === undefined || ctx.errors.length > 0) {
    const { errors } = ctx
    throw new TypeError(
      errors.length <= 1
        ? (errors[0] ?? `${label}: invalid policy`)
        : `invalid ${label}, ${errors.length} problems:\n${errors.map((error) => `  - ${error}`).join('\n')}`,
    )
  }
  return { node, source: frozenCopy(policy) }
}
