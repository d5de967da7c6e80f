import { afterEach, describe, expect, test, vi } from 'vitest'
import { compilePolicy, type Policy, vercelSameProjectAndEnvironment } from '../src/policy/index.js'

describe('vercelSameProjectAndEnvironment', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
  })

  test('pins VERCEL_PROJECT_ID and VERCEL_TARGET_ENV', () => {
    const policy = vercelSameProjectAndEnvironment({
      VERCEL_PROJECT_ID: 'prj_1',
      VERCEL_TARGET_ENV: 'staging',
      VERCEL_ENV: 'preview',
    })
    expect(policy).toEqual({ project_id: 'prj_1', environment: 'staging' })
  })

  test.each([
    ['VERCEL_TARGET_ENV missing', { VERCEL_PROJECT_ID: 'prj_1', VERCEL_ENV: 'preview' }],
    ['VERCEL_TARGET_ENV empty', { VERCEL_PROJECT_ID: 'prj_1', VERCEL_TARGET_ENV: '', VERCEL_ENV: 'preview' }],
  ])('falls back to VERCEL_ENV: %s', (_name, env) => {
    expect(vercelSameProjectAndEnvironment(env)).toEqual({ project_id: 'prj_1', environment: 'preview' })
  })

  test('reads process.env by default', () => {
    vi.stubEnv('VERCEL_PROJECT_ID', 'prj_env')
    vi.stubEnv('VERCEL_TARGET_ENV', '')
    vi.stubEnv('VERCEL_ENV', 'production')
    expect(vercelSameProjectAndEnvironment()).toEqual({ project_id: 'prj_env', environment: 'production' })
  })

  test.each([
    ['no project ID', { VERCEL_ENV: 'production' }, 'VERCEL_PROJECT_ID is not set'],
    ['empty project ID', { VERCEL_PROJECT_ID: '', VERCEL_ENV: 'production' }, 'VERCEL_PROJECT_ID is not set'],
    ['no environment', { VERCEL_PROJECT_ID: 'prj_1' }, 'neither VERCEL_TARGET_ENV nor VERCEL_ENV is set'],
    [
      'empty environment',
      { VERCEL_PROJECT_ID: 'prj_1', VERCEL_TARGET_ENV: '', VERCEL_ENV: '' },
      'neither VERCEL_TARGET_ENV nor VERCEL_ENV is set',
    ],
    ['empty record', {}, 'VERCEL_PROJECT_ID is not set'],
  ])('fails closed at boot: %s', (_name, env, message) => {
    expect(() => vercelSameProjectAndEnvironment(env)).toThrow(TypeError)
    expect(() => vercelSameProjectAndEnvironment(env)).toThrow(`vercelSameProjectAndEnvironment: ${message}`)
  })

  test('fails closed when process.env lacks the variables', () => {
    vi.stubEnv('VERCEL_PROJECT_ID', undefined)
    expect(() => vercelSameProjectAndEnvironment()).toThrow('VERCEL_PROJECT_ID is not set')
    expect(() => vercelSameProjectAndEnvironment(undefined)).toThrow('VERCEL_PROJECT_ID is not set')
  })

  test('fails closed on a runtime without process (edge)', () => {
    let thrown: unknown
    vi.stubGlobal('process', undefined)
    try {
      vercelSameProjectAndEnvironment()
    } catch (error) {
      thrown = error
    } finally {
      vi.unstubAllGlobals()
    }
    expect(thrown).toBeInstanceOf(TypeError)
    expect(String(thrown)).toContain('VERCEL_PROJECT_ID is not set')
  })

  test('admits the same project and environment only, and composes', () => {
    const own = vercelSameProjectAndEnvironment({ VERCEL_PROJECT_ID: 'prj_1', VERCEL_ENV: 'production' })
    const policy = compilePolicy({ allOf: [own, { owner_id: 'team_1' }] }, { profile: 'vercel' })
    const claims = { owner_id: 'team_1', project_id: 'prj_1', environment: 'production' }
    expect(policy.test(claims)).toBe(true)
    expect(policy.test({ ...claims, environment: 'preview' })).toBe(false)
    expect(policy.test({ ...claims, project_id: 'prj_2' })).toBe(false)
    expect(policy.warnings).toEqual([])
  })
})

describe('rename warnings (profile vercel)', () => {
  const cases: readonly (readonly [string, Policy, readonly string[]])[] = [
    ['IDs only', { owner_id: 'team_1', project_id: 'prj_1', environment: 'production' }, []],
    [
      'project by name',
      { owner_id: 'team_1', project: 'api' },
      [
        'policy: matches "project" without project_id in the same rule; "project" changes when the team or project is renamed, and another team or project could later take the old name. Add project_id (stable)',
      ],
    ],
    ['project with its ID', { project: 'api', project_id: 'prj_1' }, []],
    [
      'owner by name',
      { anyOf: [{ environment: 'x' }, { owner: 'acme' }] },
      ['policy.anyOf[1]: matches "owner" without owner_id or project_id'],
    ],
    ['owner with owner_id', { owner: 'acme', owner_id: 'team_1' }, []],
    ['owner with project_id', { owner: 'acme', project_id: 'prj_1' }, []],
    [
      'sub by glob',
      { sub: { glob: 'owner:acme:project:api:*' } },
      ['policy: matches "sub" without project_id'],
    ],
    ['sub with project_id', { sub: { glob: '*:environment:production' }, project_id: 'prj_1' }, []],
    [
      'ID in another rule object does not count',
      { allOf: [{ project: 'api' }, { project_id: 'prj_1' }] },
      ['policy.allOf[0]: matches "project" without project_id'],
    ],
    [
      'exclusion by name, even with the ID',
      {
        allOf: [{ environment: 'preview' }, { not: { project: { glob: 'sandbox-*' }, project_id: 'prj_1' } }],
      },
      [
        'policy.allOf[1].not: excludes by "project", which changes when the team or project is renamed; after a rename the exclusion no longer applies. Exclude by project_id instead',
      ],
    ],
    ['double negation is positive', { not: { not: { owner: 'acme', owner_id: 'team_1' } } }, []],
    [
      'several names in one rule',
      { owner: 'acme', project: 'api', sub: { glob: '*' } },
      ['policy: matches "owner"', 'policy: matches "project"', 'policy: matches "sub"'],
    ],
  ]

  test.each(cases)('%s', (_name, policy, warnings) => {
    const compiled = compilePolicy(policy, { profile: 'vercel' })
    expect(compiled.warnings).toHaveLength(warnings.length)
    warnings.forEach((warning, i) => {
      expect(compiled.warnings[i]).toContain(warning)
    })
    expect(Object.isFrozen(compiled.warnings)).toBe(true)
  })

  test('generic policies get no rename warnings (sub is stable there)', () => {
    expect(compilePolicy({ sub: 'user-1' }).warnings).toEqual([])
    expect(compilePolicy({ project: 'api' }).warnings).toEqual([])
  })
})
