import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { compileGlob, globProblem } from '../src/policy/glob.js'

/** The obvious regular expression for a glob, as an oracle (fine for short test strings). */
function globRegExp(pattern: string): RegExp {
  const source = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')))
    .join('')
  return new RegExp(`^${source}$`, 's')
}

describe('glob matcher', () => {
  test.each([
    ['a*', 'a', true],
    ['a*', 'abc', true],
    ['a*', 'ba', false],
    ['*a', 'ba', true],
    ['*a', 'ab', false],
    ['*', '', true],
    ['*', 'anything', true],
    ['?', '', false],
    ['?', 'x', true],
    ['?', 'xy', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['*ab*ab*', 'abab', true],
    ['*ab*ab*', 'aba', false],
    ['*?b', 'b', false],
    ['*?b', 'ab', true],
    ['s*-?', 'sandbox-1', true],
    ['s*-?', 'sandbox-12', false],
    ['*a?b*', 'xxaQbyy', true],
    ['*a?b*', 'xxabyy', false],
    ['owner:*:project:*', 'owner:acme:project:api:environment:production', true],
    ['x*y', 'x\ny', true],
  ] as const)('%s ~ %j → %s', (pattern, value, expected) => {
    expect(globProblem(pattern)).toBeUndefined()
    expect(compileGlob(pattern)(value)).toBe(expected)
  })

  test('agrees with the regular-expression oracle (property)', () => {
    const pattern = fc
      .array(fc.constantFrom('a', 'b', '-', '*', '?'), { minLength: 1, maxLength: 8 })
      .map((chars) => chars.join(''))
      .filter((p) => globProblem(p) === undefined)
    const value = fc
      .array(fc.constantFrom('a', 'b', '-', 'c'), { maxLength: 12 })
      .map((chars) => chars.join(''))
    fc.assert(
      fc.property(pattern, value, (p, v) => compileGlob(p)(v) === globRegExp(p).test(v)),
      { numRuns: 5000 },
    )
  })

  test('is not exposed to catastrophic backtracking', () => {
    const value = 'a'.repeat(50_000)
    const started = performance.now()
    expect(compileGlob('*a*a*a*a*a*a*a*a*b')(value)).toBe(false)
    expect(compileGlob('*a?a?a?a?a?a*b')(value)).toBe(false)
    expect(compileGlob('a*a*a*a*a*a*a*a*a')(value)).toBe(true)
    expect(performance.now() - started).toBeLessThan(250)
  })
})
