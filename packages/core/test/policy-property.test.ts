import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { compilePolicy, type Policy } from '../src/policy/index.js'

/*
 * A reference interpreter of the policy language, as plain as possible: it re-walks the JSON on every
 * call, splits scope strings, and turns globs into regular expressions. The compiled policy must agree
 * with it on every policy and every claims object.
 */

type Json = unknown

function read(claims: Json, path: string): Json {
  let value = claims
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) {
      return undefined
    }
    value = (value as Record<string, Json>)[key]
  }
  return value
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')
  return new RegExp(`^${escaped.replaceAll('*', '.*').replaceAll('?', '.')}$`, 's')
}

function holds(condition: Json, value: Json): boolean {
  if (typeof condition === 'string') return value === condition
  if (Array.isArray(condition)) return condition.includes(value)
  const op = condition as Record<string, Json>
  if ('equals' in op) return value === op.equals
  if ('glob' in op) return typeof value === 'string' && globToRegExp(op.glob as string).test(value)
  if ('includes' in op) {
    const have = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value : []
    return ([] as Json[]).concat(op.includes).every((token) => have.includes(token))
  }
  if ('exists' in op) return (value !== undefined && value !== null) === op.exists
  throw new Error('unknown condition')
}

function interpret(policy: Json, claims: Json): boolean {
  const node = policy as Record<string, Json>
  if ('anyOf' in node) return (node.anyOf as Json[]).some((item) => interpret(item, claims))
  if ('allOf' in node) return (node.allOf as Json[]).every((item) => interpret(item, claims))
  if ('not' in node) return !interpret(node.not, claims)
  return Object.entries(node).every(([path, condition]) => holds(condition, read(claims, path)))
}

// --- arbitraries: a small vocabulary, so that random rules and random claims meet often ---

const words = ['a', 'b', 'ab', 'ba', 'a-b', 'sandbox-1', 'prod', '']
const word = fc.constantFrom(...words)
const token = fc.constantFrom('a', 'b', 'c', 'read', 'write')
const paths = ['env', 'project', 'scope', 'groups', 'n', 'flag', 'org.team', 'org.roles', 'org.deep.x']

const glob = fc
  .array(fc.constantFrom('a', 'b', '-', '*', '?', 's'), { minLength: 1, maxLength: 6 })
  .map((chars) => chars.join(''))
  .filter((pattern) => /[*?]/.test(pattern) && !pattern.includes('**'))

const condition: fc.Arbitrary<Json> = fc.oneof(
  word.filter((w) => w !== ''),
  fc.uniqueArray(word, { minLength: 1, maxLength: 3 }),
  fc.shuffledSubarray(words, { minLength: 8, maxLength: 8 }).map((list) => list.concat(['x1', 'x2'])),
  fc.record({ equals: fc.oneof(word, fc.integer({ min: -1, max: 2 }), fc.boolean()) }),
  fc.record({ glob }),
  fc.record({ includes: fc.oneof(token, fc.uniqueArray(token, { minLength: 1, maxLength: 3 })) }),
  fc.record({ exists: fc.boolean() }),
)

const rule = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...paths), condition), {
    minLength: 1,
    maxLength: 3,
    selector: ([path]) => path,
  })
  .map((entries) => Object.fromEntries(entries))

const { policy } = fc.letrec<{ policy: Json }>((tie) => ({
  policy: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    rule,
    fc.record({ anyOf: fc.array(tie('policy'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ allOf: fc.array(tie('policy'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('policy') }),
  ),
}))

const scalar = fc.oneof(word, fc.integer({ min: -1, max: 2 }), fc.boolean(), fc.constant(null))
const value: fc.Arbitrary<Json> = fc.oneof(
  scalar,
  fc.array(fc.oneof(word, token), { maxLength: 4 }),
  fc.array(token, { maxLength: 4 }).map((tokens) => tokens.join(' ')),
  fc.array(fc.constantFrom('a', 'b', '-', 's'), { maxLength: 6 }).map((chars) => chars.join('')),
)
const claims = fc.record(
  {
    env: value,
    project: value,
    scope: value,
    groups: value,
    n: value,
    flag: value,
    org: fc.oneof(
      fc.record(
        { team: value, roles: value, deep: fc.oneof(fc.record({ x: value }, { requiredKeys: [] }), value) },
        {
          requiredKeys: [],
        },
      ),
      scalar,
      fc.array(word, { maxLength: 2 }),
    ),
  },
  { requiredKeys: [] },
)

describe('compiled policies agree with the reference interpreter', () => {
  test('test() and explain() agree with interpret() (property)', () => {
    fc.assert(
      fc.property(policy, claims, (source, input) => {
        const compiled = compilePolicy(source as Policy)
        const expected = interpret(source, input)
        expect(compiled.test(input)).toBe(expected)
        const decision = compiled.explain(input)
        expect(decision.allowed).toBe(expected)
        expect(decision.failures.length === 0).toBe(expected)
        for (const scope of decision.missingScopes) expect(compiled.requiredScopes).toContain(scope)
      }),
      { numRuns: 3000 },
    )
  })

  test('the generated policies reach both answers', () => {
    const answers = fc
      .sample(fc.tuple(policy, claims), { numRuns: 2000, seed: 42 })
      .map(([p, c]) => interpret(p, c))
    expect(answers.filter(Boolean).length).toBeGreaterThan(200)
    expect(answers.filter((answer) => !answer).length).toBeGreaterThan(200)
  })
})
