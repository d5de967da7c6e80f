import { describe, expect, test } from 'vitest'
import { VERCEL_CLAIM_NAMES } from '../src/claims.js'
import { compilePolicy, type Policy } from '../src/policy/index.js'
import { closestName, editDistance } from '../src/policy/suggest.js'

function errorOf(policy: unknown, options: Parameters<typeof compilePolicy>[1] = {}): TypeError {
  try {
    compilePolicy(policy as Policy, options)
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError)
    return error as TypeError
  }
  throw new Error('compilePolicy did not throw')
}

const circular: { anyOf: unknown[] } = { anyOf: [{ a: 'b' }] }
circular.anyOf.push({ not: circular })
const circularArray: unknown[] = []
circularArray.push({ anyOf: circularArray })
let deep: unknown = { a: 'b' }
for (let i = 0; i < 40; i++) deep = { not: deep }

const invalid: readonly (readonly [string, unknown, string])[] = [
  // the shape of a node
  ['empty rule', {}, 'policy: the empty rule {} is not allowed (it would admit every verified token)'],
  ['nested empty rule', { anyOf: [{ a: 'b' }, {}] }, 'policy.anyOf[1]: the empty rule {} is not allowed'],
  [
    'array at the top',
    [{ a: 'b' }],
    'policy: expected a policy object, got an array; to admit any of several rules write { "anyOf": [ … ] }',
  ],
  [
    'JSON text',
    '{"a":"b"}',
    'policy: expected a policy object, got a string; parse the JSON text first (JSON.parse)',
  ],
  ['null', null, 'policy: expected a policy object, got null'],
  ['undefined', undefined, 'policy: expected a policy object, got undefined'],
  ['a Date', new Date(0), 'policy: expected a policy object, got an instance of Date'],
  ['a Map', new Map([['a', 'b']]), 'policy: expected a policy object, got an instance of Map'],
  ['a class instance', new (class Rule {})(), 'policy: expected a policy object, got an instance of Rule'],
  [
    'a literal __proto__',
    { __proto__: { a: 'b' } },
    'policy: expected a policy object, got an object with a custom prototype',
  ],
  ['symbol keys', { [Symbol('a')]: 'b', a: 'b' }, 'policy: symbol keys are not JSON'],
  ['circular object', circular, 'policy.anyOf[1].not: circular reference'],
  ['circular array', circularArray[0], 'policy.anyOf[0]: circular reference'],
  ['too deep', deep, 'nested more than 32 levels deep'],
  // combinators
  ['empty anyOf', { anyOf: [] }, 'policy.anyOf: must not be empty'],
  ['empty allOf', { not: { allOf: [] } }, 'policy.not.allOf: must not be empty'],
  ['anyOf not an array', { anyOf: { a: 'b' } }, 'policy.anyOf: expects an array of policies, got an object'],
  [
    'not with an array',
    { not: [{ a: 'b' }] },
    'policy.not: expects one policy object, not an array; to exclude several rules write { "not": { "anyOf": [ … ] } }',
  ],
  ['not with a string', { not: 'a' }, 'policy.not: expected a policy object, got a string'],
  [
    'combinator beside claims',
    { environment: 'preview', not: { a: 'b' } },
    'policy: "not" must be the only key of its object, found "environment" beside it; combine rules with allOf',
  ],
  [
    'two combinators',
    { anyOf: [{ a: 'b' }], allOf: [{ a: 'b' }] },
    'policy: "anyOf" must be the only key of its object, found "allOf" beside it',
  ],
  [
    'misspelt combinator',
    { anyof: [{ a: 'b' }] },
    'policy.anyof: an array of rule objects is no condition; did you mean the combinator "anyOf"?',
  ],
  [
    'hole in anyOf',
    { anyOf: [{ a: 'b' }, undefined] },
    'policy.anyOf[1]: expected a policy object, got undefined',
  ],
  // conditions
  [
    'empty array',
    { environment: [] },
    'policy.environment: an empty array matches nothing; list at least one value',
  ],
  [
    'number in one-of',
    { environment: ['a', 1] },
    'policy.environment[1]: expected a string, got a number; compare a number with { "equals": 1 }',
  ],
  [
    'object in one-of',
    { environment: ['a', { glob: 'b*' }] },
    'policy.environment[1]: expected a string, got an object',
  ],
  ['bare number', { exp: 5 }, 'policy.exp: a bare number is not a condition; write { "equals": 5 }'],
  [
    'bare boolean',
    { email_verified: true },
    'policy.email_verified: a bare boolean is not a condition; write { "equals": true }',
  ],
  [
    'null condition',
    { user_id: null },
    'policy.user_id: null is not a condition; to require that the claim is absent write { "exists": false }',
  ],
  ['undefined condition', { user_id: undefined }, 'policy.user_id: undefined is not a JSON value'],
  ['function condition', { user_id: () => true }, 'policy.user_id: a function is not a JSON value'],
  ['bigint condition', { n: 1n }, 'policy.n: a bigint is not a JSON value'],
  ['NaN', { n: { equals: Number.NaN } }, 'policy.n.equals: expects a string, number or boolean, got NaN'],
  [
    'Infinity',
    { n: { equals: Number.POSITIVE_INFINITY } },
    'policy.n.equals: expects a string, number or boolean, got Infinity',
  ],
  ['equals null', { n: { equals: null } }, 'policy.n.equals: expects a string, number or boolean, got null'],
  // operators
  [
    'empty operator object',
    { project: {} },
    'policy.project: empty operator object; use one of equals, glob, includes, exists',
  ],
  [
    'two operators',
    { project: { glob: 'a*', exists: true } },
    'policy.project: an operator object takes exactly one operator, got glob, exists; combine conditions with allOf',
  ],
  [
    'unknown operator with suggestion',
    { project: { globb: 'a*' } },
    'policy.project.globb: unknown operator "globb"; did you mean "glob"? (operators: equals, glob, includes, exists)',
  ],
  [
    'unknown operator by case',
    { scope: { Includes: 'a' } },
    'policy.scope.Includes: unknown operator "Includes"; did you mean "includes"?',
  ],
  [
    'unknown operator, no suggestion',
    { project: { regex: 'a.*' } },
    'policy.project.regex: unknown operator "regex" (operators: equals, glob, includes, exists)',
  ],
  [
    'not as an operator',
    { environment: { not: 'production' } },
    'policy.environment.not: "not" is a combinator, not an operator; wrap the whole rule: { "not": { "environment": … } }',
  ],
  [
    'anyOf as an operator',
    { environment: { anyOf: ['a'] } },
    'policy.environment.anyOf: "anyOf" is a combinator, not an operator; wrap the whole rule: { "anyOf": [ { "environment": … } ] }',
  ],
  [
    'exists not boolean',
    { user_id: { exists: 'yes' } },
    'policy.user_id.exists: expects true or false, got a string',
  ],
  [
    'glob not a string',
    { project: { glob: ['a*'] } },
    'policy.project.glob: expects a string pattern, got an array',
  ],
  [
    'includes not a string',
    { scope: { includes: 5 } },
    'policy.scope.includes: expects a string or an array of strings, got a number',
  ],
  [
    'includes empty array',
    { scope: { includes: [] } },
    'policy.scope.includes: an empty array matches nothing',
  ],
  ['includes empty token', { groups: { includes: '' } }, 'policy.groups.includes: "" is empty'],
  [
    'includes empty token in array',
    { groups: { includes: ['a', ''] } },
    'policy.groups.includes[1]: "" is empty',
  ],
  [
    'scope token with a space',
    { scope: { includes: 'todos:read todos:write' } },
    'policy.scope.includes: "todos:read todos:write" contains a space; scope tokens are space-delimited, so list several scopes as an array',
  ],
  [
    'scope token with a quote',
    { scp: { includes: ['a', 'b"c'] } },
    'policy.scp.includes[1]: "b\\"c" is not a scope token (RFC 6749 §3.3',
  ],
  ['scope token with a backslash', { scope: { includes: 'a\\b' } }, 'is not a scope token'],
  ['scope token non-ASCII', { scope: { includes: 'lesen:é' } }, 'is not a scope token'],
  // globs
  ['empty glob', { project: { glob: '' } }, 'policy.project.glob: invalid glob "": empty pattern'],
  [
    'glob without wildcard',
    { project: { glob: 'api' } },
    'policy.project.glob: invalid glob "api": no wildcard; use a plain string for exact equality',
  ],
  ['regex, not glob', { project: { glob: 'api-.+' } }, 'no wildcard'],
  [
    'character class',
    { project: { glob: 'api-[0-9]*' } },
    'policy.project.glob: invalid glob "api-[0-9]*": "[" is not supported (only * and ? are wildcards)',
  ],
  ['braces', { project: { glob: '{api,web}-*' } }, '"{" is not supported'],
  ['escape', { project: { glob: 'a\\*' } }, '"\\" is not supported'],
  ['double star', { sub: { glob: 'owner:**' } }, 'invalid glob "owner:**": "**" is not supported'],
  // claim paths
  ['empty key', { '': 'x' }, 'policy[""]: empty segment in claim path ""'],
  ['double dot', { 'a..b': 'x' }, 'policy["a..b"]: empty segment in claim path "a..b"'],
  ['trailing dot', { 'a.': 'x' }, 'empty segment in claim path "a."'],
  ['unclosed bracket', { '[https://x': 'x' }, 'unclosed "[" in claim path "[https://x"'],
  ['bracket not at a segment start', { 'a[b]': 'x' }, '"[" may only open a segment of claim path "a[b]"'],
  ['text after a bracket', { '[a]b': 'x' }, '"]" must end the claim path or be followed by "." in "[a]b"'],
  ['empty bracket', { '[]': 'x' }, 'empty segment in claim path "[]"'],
]

describe('compilePolicy rejects misconfiguration with a TypeError naming the path', () => {
  test.each(invalid)('%s', (_name, policy, message) => {
    expect(errorOf(policy).message).toContain(message)
  })

  test('several problems are all reported', () => {
    const error = errorOf({ anyOf: [{ environment: [] }, { project: { glob: 'x' } }, { not: [] }] })
    expect(error.message).toBe(
      [
        'invalid policy, 3 problems:',
        '  - policy.anyOf[0].environment: an empty array matches nothing; list at least one value',
        '  - policy.anyOf[1].project.glob: invalid glob "x": no wildcard; use a plain string for exact equality',
        '  - policy.anyOf[2].not: expects one policy object, not an array; to exclude several rules write { "not": { "anyOf": [ … ] } }',
      ].join('\n'),
    )
  })

  test('the label names the option', () => {
    expect(errorOf({ a: [] }, { label: 'options.policy' }).message).toBe(
      'options.policy.a: an empty array matches nothing; list at least one value',
    )
    expect(errorOf({ a: 'b' }, { label: '' }).message).toBe('compilePolicy: label must be a non-empty string')
  })
})

describe('claim names', () => {
  const vercel = { claimNames: VERCEL_CLAIM_NAMES }
  const typos: readonly (readonly [string, unknown, string])[] = [
    [
      'missing letter',
      { enviroment: 'production' },
      'policy.enviroment: unknown claim "enviroment"; did you mean "environment"?',
    ],
    [
      'inside anyOf',
      { anyOf: [{ environment: 'production' }, { enviroment: 'x' }] },
      'policy.anyOf[1].enviroment: unknown claim "enviroment"; did you mean "environment"?',
    ],
    [
      'transposition',
      { porject_id: 'prj_1' },
      'policy.porject_id: unknown claim "porject_id"; did you mean "project_id"?',
    ],
    ['missing underscore', { projectid: 'prj_1' }, 'did you mean "project_id"?'],
    ['camelCase', { projectId: 'prj_1' }, 'did you mean "project_id"?'],
    ['case', { Environment: 'production' }, 'did you mean "environment"?'],
    ['userid', { userid: 'usr_1' }, 'did you mean "user_id"?'],
    [
      'misspelt combinator',
      { anyof: [{ environment: 'x' }] },
      'policy.anyof: unknown claim "anyof"; did you mean "anyOf"?',
    ],
    [
      'first segment of a dotted path',
      { 'acts.sub': 'x' },
      'policy["acts.sub"]: unknown claim "acts"; did you mean "act"?',
    ],
    ['no suggestion when nothing is close', { colour: 'blue' }, 'policy.colour: unknown claim "colour"'],
  ]

  test.each(typos)('%s', (_name, policy, message) => {
    expect(errorOf(policy, vercel).message).toContain(message)
  })

  test('no suggestion when nothing is close', () => {
    expect(errorOf({ colour: 'blue' }, vercel).message).not.toContain('did you mean')
  })

  test('profile vercel implies the Vercel claim names; explicit claimNames win', () => {
    expect(errorOf({ enviroment: 'x' }, { profile: 'vercel' }).message).toContain(
      'did you mean "environment"?',
    )
    expect(() => compilePolicy({ custom: 'x' }, { profile: 'vercel', claimNames: ['custom'] })).not.toThrow()
  })

  test('known names, dotted paths below a known name, and no list at all are accepted', () => {
    expect(() =>
      compilePolicy({ environment: 'production', 'act.sub': { exists: true } }, vercel),
    ).not.toThrow()
    expect(() => compilePolicy({ enviroment: 'production' })).not.toThrow()
  })
})

describe('suggestions', () => {
  test.each([
    ['enviroment', 'environment', 1],
    ['porject', 'project', 1],
    ['project', 'project', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['ca', 'abc', 3],
  ] as const)('editDistance(%s, %s) = %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance)
    expect(editDistance(b, a)).toBe(distance)
  })

  test('closestName', () => {
    expect(closestName('enviroment', VERCEL_CLAIM_NAMES)).toBe('environment')
    expect(closestName('OWNER', VERCEL_CLAIM_NAMES)).toBe('owner')
    expect(closestName('xyz', VERCEL_CLAIM_NAMES)).toBeUndefined()
    expect(closestName('ab', ['xy'])).toBeUndefined()
    expect(closestName('owner', ['owner'])).toBeUndefined()
    expect(closestName('projectId', ['project', 'project_id'])).toBe('project_id')
    expect(closestName('PROJECT-ID', ['project', 'project_id'])).toBe('project_id')
  })
})
