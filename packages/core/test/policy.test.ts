import { describe, expect, test } from 'vitest'
import { compilePolicy, isCompiledPolicy, type Policy } from '../src/policy/index.js'

type Claims = Record<string, unknown>

const vercelClaims = {
  iss: 'https://oidc.vercel.com/acme',
  sub: 'owner:acme:project:api:environment:production',
  aud: 'https://vercel.com/acme',
  exp: 2_000_000_000,
  iat: 1_999_996_400,
  owner: 'acme',
  owner_id: 'team_1',
  project: 'api',
  project_id: 'prj_a',
  environment: 'production',
  plan: 'pro',
}

const oauthClaims = {
  iss: 'https://issuer.example',
  sub: 'user-1',
  aud: ['api', 'other'],
  scope: 'todos:read todos:write openid',
  scp: ['files.read', 'files.write'],
  groups: ['admins', 'devs'],
  roles: 'editor viewer',
  realm_access: { roles: ['offline_access', 'admin'], nested: { deep: 'yes' } },
  'https://example.com/roles': ['tenant-admin'],
  'https://example.com/app': { tenant: 't1' },
  email_verified: true,
  tenant_count: 3,
  nothing: null,
}

const allowDeny: readonly (readonly [string, Policy, Claims, boolean])[] = [
  // plain string: exact, case-sensitive equality
  ['string equal', { environment: 'production' }, vercelClaims, true],
  ['string differs', { environment: 'preview' }, vercelClaims, false],
  ['string case-sensitive', { environment: 'Production' }, vercelClaims, false],
  ['string vs missing claim', { user_id: 'usr_1' }, vercelClaims, false],
  ['string vs number claim', { exp: '2000000000' }, vercelClaims, false],
  ['string vs array claim (strict, no membership)', { aud: 'api' }, oauthClaims, false],
  ['string vs null claim', { nothing: 'null' }, oauthClaims, false],
  // array: one of
  ['one of: hit', { project_id: ['prj_b', 'prj_a'] }, vercelClaims, true],
  ['one of: miss', { project_id: ['prj_b', 'prj_c'] }, vercelClaims, false],
  ['one of: missing claim', { user_id: ['usr_1'] }, vercelClaims, false],
  ['one of: array claim is not a member test', { aud: ['api', 'other'] }, oauthClaims, false],
  [
    'one of: large list (Set lookup)',
    { project_id: Array.from({ length: 20 }, (_, i) => `prj_${i}`).concat('prj_a') },
    vercelClaims,
    true,
  ],
  [
    'one of: large list miss',
    { project_id: Array.from({ length: 20 }, (_, i) => `prj_${i}`) },
    vercelClaims,
    false,
  ],
  [
    'one of: large list vs number',
    { exp: Array.from({ length: 20 }, (_, i) => `${i}`) },
    vercelClaims,
    false,
  ],
  // equals
  ['equals number', { tenant_count: { equals: 3 } }, oauthClaims, true],
  ['equals number miss', { tenant_count: { equals: 4 } }, oauthClaims, false],
  ['equals boolean', { email_verified: { equals: true } }, oauthClaims, true],
  ['equals boolean miss', { email_verified: { equals: false } }, oauthClaims, false],
  ['equals is strict (no coercion)', { tenant_count: { equals: '3' } }, oauthClaims, false],
  ['equals string', { plan: { equals: 'pro' } }, vercelClaims, true],
  ['equals missing', { user_id: { equals: 'x' } }, vercelClaims, false],
  // glob
  ['glob prefix', { project: { glob: 'a*' } }, vercelClaims, true],
  ['glob suffix', { sub: { glob: '*:environment:production' } }, vercelClaims, true],
  ['glob middle', { sub: { glob: 'owner:acme:*:production' } }, vercelClaims, true],
  ['glob ?', { project: { glob: 'a?i' } }, vercelClaims, true],
  ['glob ? needs exactly one', { project: { glob: 'ap?i' } }, vercelClaims, false],
  ['glob is anchored', { project: { glob: 'p*' } }, vercelClaims, false],
  ['glob * matches empty', { project: { glob: 'api*' } }, vercelClaims, true],
  ['glob literal dots', { iss: { glob: 'https://oidc.vercel.com/*' } }, vercelClaims, true],
  ['glob dot is not a wildcard', { project: { glob: 'a.*' } }, vercelClaims, false],
  ['glob case-sensitive', { project: { glob: 'API*' } }, vercelClaims, false],
  ['glob vs number', { exp: { glob: '2*' } }, vercelClaims, false],
  ['glob vs array', { aud: { glob: 'a*' } }, oauthClaims, false],
  ['glob vs missing', { user_id: { glob: '*' } }, vercelClaims, false],
  // includes
  ['includes one scope', { scope: { includes: 'todos:read' } }, oauthClaims, true],
  ['includes all scopes', { scope: { includes: ['todos:read', 'openid'] } }, oauthClaims, true],
  ['includes: one missing', { scope: { includes: ['todos:read', 'admin'] } }, oauthClaims, false],
  ['includes: no prefix match', { scope: { includes: 'todos' } }, oauthClaims, false],
  ['includes: no substring across tokens', { scope: { includes: 'read' } }, oauthClaims, false],
  ['includes: case-sensitive', { scope: { includes: 'OpenID' } }, oauthClaims, false],
  ['includes array claim (scp)', { scp: { includes: 'files.read' } }, oauthClaims, true],
  ['includes array claim miss', { scp: { includes: 'files.delete' } }, oauthClaims, false],
  ['includes groups', { groups: { includes: ['devs', 'admins'] } }, oauthClaims, true],
  ['includes on a space-delimited roles string', { roles: { includes: 'viewer' } }, oauthClaims, true],
  ['includes array claim for aud', { aud: { includes: 'api' } }, oauthClaims, true],
  [
    'includes on a plain string claim is token membership',
    { environment: { includes: 'production' } },
    vercelClaims,
    true,
  ],
  ['includes vs missing', { scope: { includes: 'x' } }, vercelClaims, false],
  ['includes vs number', { exp: { includes: '2000000000' } }, vercelClaims, false],
  ['includes vs object', { realm_access: { includes: 'roles' } }, oauthClaims, false],
  // exists
  ['exists true', { plan: { exists: true } }, vercelClaims, true],
  ['exists true, missing', { user_id: { exists: true } }, vercelClaims, false],
  ['exists true, null counts as missing', { nothing: { exists: true } }, oauthClaims, false],
  ['exists false, missing', { user_id: { exists: false } }, vercelClaims, true],
  ['exists false, null', { nothing: { exists: false } }, oauthClaims, true],
  ['exists false, present', { plan: { exists: false } }, vercelClaims, false],
  ['exists true, empty string is present', { e: { exists: true } }, { e: '' }, true],
  // rule objects: AND of their keys
  [
    'rule: all keys hold',
    { owner_id: 'team_1', project_id: 'prj_a', environment: 'production' },
    vercelClaims,
    true,
  ],
  [
    'rule: one key fails',
    { owner_id: 'team_1', project_id: 'prj_a', environment: 'preview' },
    vercelClaims,
    false,
  ],
  // combinators
  [
    'anyOf: second branch',
    { anyOf: [{ environment: 'preview' }, { environment: 'production' }] },
    vercelClaims,
    true,
  ],
  [
    'anyOf: no branch',
    { anyOf: [{ environment: 'preview' }, { environment: 'development' }] },
    vercelClaims,
    false,
  ],
  ['allOf: all', { allOf: [{ environment: 'production' }, { owner: 'acme' }] }, vercelClaims, true],
  ['allOf: one fails', { allOf: [{ environment: 'production' }, { owner: 'other' }] }, vercelClaims, false],
  ['not: inner fails', { not: { project: { glob: 'sandbox-*' } } }, vercelClaims, true],
  ['not: inner holds', { not: { project: { glob: 'a*' } } }, vercelClaims, false],
  ['not: missing claim makes the inner rule fail', { not: { user_id: 'usr_1' } }, vercelClaims, true],
  ['not not', { not: { not: { environment: 'production' } } }, vercelClaims, true],
  [
    'nested combinators',
    {
      anyOf: [
        { allOf: [{ environment: 'preview' }, { not: { project: { glob: 'sandbox-*' } } }] },
        {
          allOf: [
            { environment: 'production' },
            { anyOf: [{ project_id: 'prj_x' }, { owner_id: 'team_1' }] },
          ],
        },
      ],
    },
    vercelClaims,
    true,
  ],
  // dotted paths
  ['dotted path', { 'realm_access.roles': { includes: 'admin' } }, oauthClaims, true],
  ['dotted path miss', { 'realm_access.roles': { includes: 'root' } }, oauthClaims, false],
  ['dotted path three deep', { 'realm_access.nested.deep': 'yes' }, oauthClaims, true],
  [
    'dotted path through a missing object',
    { 'resource_access.api.roles': { exists: false } },
    oauthClaims,
    true,
  ],
  ['dotted path through a string', { 'sub.length': { exists: true } }, oauthClaims, false],
  ['dotted path does not index arrays', { 'aud.0': 'api' }, oauthClaims, false],
  ['dotted path is not a flat key', { 'a.b': 'x' }, { 'a.b': 'x' }, false],
  [
    'bracket segment: a namespaced claim',
    { '[https://example.com/roles]': { includes: 'tenant-admin' } },
    oauthClaims,
    true,
  ],
  ['bracket segment then a dot', { '[https://example.com/app].tenant': 't1' }, oauthClaims, true],
  ['bracket segment with a dot in a flat key', { '[a.b]': 'x' }, { 'a.b': 'x' }, true],
  // own properties only: nothing inherited from Object.prototype
  ['no inherited constructor', { constructor: { exists: true } }, {}, false],
  ['no inherited toString', { 'toString.name': { exists: true } }, {}, false],
  ['no inherited __proto__', JSON.parse('{"__proto__":{"exists":true}}'), {}, false],
  ['own __proto__ from JSON', JSON.parse('{"__proto__":"x"}'), JSON.parse('{"__proto__":"x"}'), true],
  ['null-prototype claims', { a: 'b' }, Object.assign(Object.create(null), { a: 'b' }), true],
]

describe('compilePolicy: operators, combinators, paths', () => {
  test.each(allowDeny)('%s', (_name, policy, claims, expected) => {
    const compiled = compilePolicy(policy)
    expect(compiled.test(claims)).toBe(expected)
    expect(compiled.explain(claims).allowed).toBe(expected)
  })

  test('claims that are not an object fail every rule but exists:false and not', () => {
    for (const claims of [null, undefined, 'x', 1, ['a']] as unknown as Claims[]) {
      expect(compilePolicy({ a: 'b' }).test(claims)).toBe(false)
      expect(compilePolicy({ a: { exists: false } }).test(claims)).toBe(true)
      expect(compilePolicy({ not: { a: 'b' } }).test(claims)).toBe(true)
    }
  })

  test('a polluted Object.prototype satisfies no rule (own properties only)', () => {
    const proto = Object.prototype as Record<string, unknown>
    const polluted = {
      environment: 'production',
      groups: ['admins'],
      big: 'x9',
      realm_access: { roles: ['admin'] },
    }
    Object.assign(proto, polluted)
    try {
      const policies: Policy[] = [
        { environment: 'production' },
        { environment: ['production', 'preview'] },
        { big: Array.from({ length: 10 }, (_, i) => `x${i}`) },
        { environment: { equals: 'production' } },
        { environment: { glob: 'prod*' } },
        { environment: { exists: true } },
        { groups: { includes: 'admins' } },
        { 'realm_access.roles': { includes: 'admin' } },
      ]
      for (const policy of policies) {
        expect(compilePolicy(policy).test({})).toBe(false)
        expect(compilePolicy(policy).explain({}).allowed).toBe(false)
      }
      expect(compilePolicy({ environment: { exists: false } }).test({})).toBe(true)
    } finally {
      for (const key of Object.keys(polluted)) delete proto[key]
    }
  })

  test('a missing claim fails every operator except { exists: false } and not', () => {
    const conditions = [
      'x',
      ['x', 'y'],
      { equals: 'x' },
      { equals: 0 },
      { equals: false },
      { glob: '*' },
      { includes: 'x' },
      { exists: true },
    ] as const
    for (const condition of conditions) {
      expect(compilePolicy({ missing: condition }).test({})).toBe(false)
      expect(compilePolicy({ missing: condition }).test({ missing: null })).toBe(false)
      expect(compilePolicy({ not: { missing: condition } }).test({})).toBe(true)
    }
    expect(compilePolicy({ missing: { exists: false } }).test({})).toBe(true)
  })

  test('the compiled policy does not depend on the JSON after compilation', () => {
    const policy = { anyOf: [{ environment: ['production'] }] }
    const compiled = compilePolicy(policy)
    policy.anyOf[0]!.environment[0] = 'preview'
    expect(compiled.test({ environment: 'production' })).toBe(true)
    expect(compiled.source).toEqual({ anyOf: [{ environment: ['production'] }] })
    expect(Object.isFrozen(compiled.source)).toBe(true)
    expect(Object.isFrozen((compiled.source as { anyOf: unknown[] }).anyOf[0])).toBe(true)
  })

  test('the result is frozen, branded, and compiling it again returns it', () => {
    const compiled = compilePolicy({ environment: 'production' }, { label: 'options.policy' })
    expect(Object.isFrozen(compiled)).toBe(true)
    expect(compiled.label).toBe('options.policy')
    expect(isCompiledPolicy(compiled)).toBe(true)
    expect(compilePolicy(compiled)).toBe(compiled)
    for (const value of [null, undefined, {}, { test: () => true }, { environment: 'production' }, 'x']) {
      expect(isCompiledPolicy(value)).toBe(false)
    }
  })

  test('test can be detached from the object', () => {
    const { test: allowed } = compilePolicy({ environment: 'production' })
    expect(allowed(vercelClaims)).toBe(true)
  })
})

describe('explain', () => {
  const policy = compilePolicy({
    anyOf: [
      { owner_id: 'team_1', project_id: ['prj_a', 'prj_b'], environment: 'production' },
      { allOf: [{ environment: 'preview' }, { not: { project: { glob: 'sandbox-*' } } }] },
      { scope: { includes: ['todos:read', 'todos:write'] } },
    ],
  })

  test('an allowed decision names the matching branch and has no failures', () => {
    expect(policy.explain(vercelClaims)).toEqual({
      allowed: true,
      matched: 'policy.anyOf[0]',
      failures: [],
      missingScopes: [],
    })
    expect(policy.explain({ ...vercelClaims, environment: 'preview' }).matched).toBe('policy.anyOf[1]')
    expect(compilePolicy({ a: 'b' }, { label: 'route' }).explain({ a: 'b' }).matched).toBe('route')
    expect(
      compilePolicy({ anyOf: [{ a: 'x' }, { anyOf: [{ a: 'y' }, { a: 'b' }] }] }).explain({ a: 'b' }).matched,
    ).toBe('policy.anyOf[1].anyOf[1]')
  })

  test('a denial lists every failed rule with path, operator, expected and actual', () => {
    const decision = policy.explain({
      ...vercelClaims,
      project: 'sandbox-web',
      project_id: 'prj_c',
      environment: 'preview',
      scope: 'todos:read',
    })
    expect(decision.allowed).toBe(false)
    expect(decision.matched).toBeUndefined()
    expect(decision.failures.map((failure) => failure.message)).toEqual([
      'policy.anyOf[0].project_id: expected one of ["prj_a", "prj_b"], got "prj_c"',
      'policy.anyOf[0].environment: expected "production", got "preview"',
      'policy.anyOf[1].allOf[1].not: expected no match for {"project":{"glob":"sandbox-*"}}, got a match (project: "sandbox-web")',
      'policy.anyOf[2].scope: expected a value including all of ["todos:read", "todos:write"], got "todos:read" (missing ["todos:write"])',
    ])
    expect(decision.failures[0]).toEqual({
      rule: 'policy.anyOf[0].project_id',
      claim: 'project_id',
      operator: 'equals',
      expected: 'one of ["prj_a", "prj_b"]',
      actual: '"prj_c"',
      message: 'policy.anyOf[0].project_id: expected one of ["prj_a", "prj_b"], got "prj_c"',
    })
    expect(decision.failures[2]).toMatchObject({ rule: 'policy.anyOf[1].allOf[1].not', operator: 'not' })
    expect(decision.failures[2]).not.toHaveProperty('claim')
    expect(decision.failures[3]).toMatchObject({ operator: 'includes', missing: ['todos:write'] })
    expect(decision.missingScopes).toEqual(['todos:write'])
  })

  const describeCases: readonly (readonly [string, Policy, Claims, string])[] = [
    [
      'missing claim',
      { user_id: 'usr_1' },
      {},
      'policy.user_id: expected "usr_1", got nothing (claim missing)',
    ],
    [
      'null claim',
      { user_id: 'usr_1' },
      { user_id: null },
      'policy.user_id: expected "usr_1", got null (treated as missing)',
    ],
    ['number', { exp: { equals: 5 } }, { exp: 6 }, 'policy.exp: expected 5, got 6'],
    ['boolean', { ok: { equals: true } }, { ok: 'true' }, 'policy.ok: expected true, got "true"'],
    [
      'array claim vs equality',
      { aud: 'api' },
      { aud: ['api', 'x'] },
      'policy.aud: expected "api", got an array ["api", "x"]; the claim is an array: use { "includes": ... } to test membership',
    ],
    [
      'long array',
      { groups: { includes: 'z' } },
      { groups: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] },
      'policy.groups: expected a value including "z", got an array ["a", "b", "c", "d", "e", ... 2 more] (missing ["z"])',
    ],
    ['object claim', { act: 'x' }, { act: { sub: 'y' } }, 'policy.act: expected "x", got an object'],
    [
      'glob',
      { project: { glob: 'api-*' } },
      { project: 'web' },
      'policy.project: expected a string matching glob "api-*", got "web"',
    ],
    [
      'exists true',
      { user_id: { exists: true } },
      {},
      'policy.user_id: expected the claim to be present, got nothing (claim missing)',
    ],
    [
      'exists false',
      { user_id: { exists: false } },
      { user_id: 'u' },
      'policy.user_id: expected the claim to be absent, got "u"',
    ],
    [
      'control characters and non-ASCII are escaped',
      { name: 'x' },
      { name: 'a\nb\u202ec"é' },
      'policy.name: expected "x", got "a\\nb\\u202ec\\"\\u00e9"',
    ],
    [
      'long strings are truncated',
      { name: 'x' },
      { name: 'y'.repeat(100) },
      `policy.name: expected "x", got "${'y'.repeat(64)}"... (100 characters)`,
    ],
    [
      'dotted path location',
      { 'realm_access.roles': { includes: 'admin' } },
      { realm_access: { roles: [] } },
      'policy["realm_access.roles"]: expected a value including "admin", got an array [] (missing ["admin"])',
    ],
  ]

  test.each(describeCases)('describes: %s', (_name, source, claims, message) => {
    const decision = compilePolicy(source).explain(claims)
    expect(decision.allowed).toBe(false)
    expect(decision.failures.map((failure) => failure.message)).toEqual([message])
  })

  test('failures inside a passing anyOf or a failing not are not reported', () => {
    const compiled = compilePolicy({
      allOf: [{ anyOf: [{ a: 'x' }, { a: 'y' }] }, { not: { b: 'z' } }, { c: 'c' }],
    })
    const decision = compiled.explain({ a: 'y', b: 'q', c: 'd' })
    expect(decision.failures.map((failure) => failure.rule)).toEqual(['policy.allOf[2].c'])
  })

  test('the label prefixes every location', () => {
    const decision = compilePolicy({ anyOf: [{ a: 'x' }] }, { label: 'routes["/todos"].policy' }).explain({})
    expect(decision.failures[0]?.rule).toBe('routes["/todos"].policy.anyOf[0].a')
  })
})

describe('scopes', () => {
  test('requiredScopes lists scope/scp includes outside not, deduplicated, in order', () => {
    const compiled = compilePolicy({
      anyOf: [
        { scope: { includes: ['todos:read', 'todos:write'] } },
        { scp: { includes: 'todos:read' } },
        { allOf: [{ scope: { includes: 'admin' } }, { not: { scope: { includes: 'banned' } } }] },
        { not: { not: { scp: { includes: 'double' } } } },
        { groups: { includes: 'not-a-scope' } },
        { scope: 'exact-string-is-not-includes' },
      ],
    })
    expect(compiled.requiredScopes).toEqual(['todos:read', 'todos:write', 'admin', 'double'])
    expect(Object.isFrozen(compiled.requiredScopes)).toBe(true)
    expect(compilePolicy({ environment: 'production' }).requiredScopes).toEqual([])
  })

  const missingCases: readonly (readonly [string, Policy, Claims, readonly string[]])[] = [
    ['one missing', { scope: { includes: ['a', 'b'] } }, { scope: 'a' }, ['b']],
    ['no scope claim', { scope: { includes: ['a', 'b'] } }, {}, ['a', 'b']],
    ['scp array', { scp: { includes: ['a', 'b'] } }, { scp: ['b'] }, ['a']],
    [
      'across anyOf branches',
      { anyOf: [{ scope: { includes: 'a' } }, { scope: { includes: 'b' } }] },
      { scope: 'c' },
      ['a', 'b'],
    ],
    ['deduplicated', { anyOf: [{ scope: { includes: 'a' } }, { scp: { includes: 'a' } }] }, {}, ['a']],
    ['denied by something else', { scope: { includes: 'a' }, environment: 'production' }, { scope: 'a' }, []],
    ['groups are no scopes', { groups: { includes: 'a' } }, { groups: [] }, []],
    ['negated scope', { not: { scope: { includes: 'a' } } }, { scope: 'a' }, []],
    ['allowed', { scope: { includes: 'a' } }, { scope: 'a' }, []],
    [
      'a branch that failed inside a matching anyOf does not count',
      { allOf: [{ anyOf: [{ scope: { includes: 'a' } }, { b: 'b' }] }, { c: 'c' }] },
      { b: 'b' },
      [],
    ],
  ]

  test.each(missingCases)('missingScopes: %s', (_name, source, claims, missing) => {
    expect(compilePolicy(source).explain(claims).missingScopes).toEqual(missing)
  })
})
