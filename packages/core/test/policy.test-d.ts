import { describe, expectTypeOf, test } from 'vitest'
import type { AccessTokenClaims, VercelClaims } from '../src/claims.js'
import {
  type ClaimPath,
  type CompiledPolicy,
  compilePolicy,
  type Policy,
  type PolicyCondition,
  type PolicyDecision,
  vercelSameProjectAndEnvironment,
} from '../src/policy/index.js'

describe('Policy<VercelClaims>', () => {
  test('accepts Vercel claim names, combinators and operators', () => {
    const policy: Policy<VercelClaims> = {
      anyOf: [
        { owner_id: 'team_1', project_id: ['prj_a', 'prj_b'], environment: 'production' },
        { allOf: [{ environment: 'preview' }, { not: { project: { glob: 'sandbox-*' } } }] },
        { environment: 'development', user_id: 'usr_9', exp: { exists: true } },
        { 'act.sub': { exists: true }, iat: { equals: 1 } },
      ],
    }
    expectTypeOf(policy).toExtend<Policy>()
  })

  test('rejects a misspelt claim name', () => {
    // @ts-expect-error `enviroment` is not a Vercel claim
    const typo: Policy<VercelClaims> = { enviroment: 'x' }
    // @ts-expect-error also inside combinators
    const nested: Policy<VercelClaims> = { anyOf: [{ environment: 'production' }, { projectid: 'prj_1' }] }
    // @ts-expect-error and in compilePolicy<VercelClaims>
    compilePolicy<VercelClaims>({ not: { ownr: 'acme' } })
    expectTypeOf(typo).not.toBeAny()
    expectTypeOf(nested).not.toBeAny()
  })

  test('rejects a combinator beside claims, and bad operators', () => {
    // @ts-expect-error a combinator must be the only key
    const mixed: Policy<VercelClaims> = { environment: 'preview', not: { project: 'sandbox' } }
    // @ts-expect-error one operator per object
    const twoOps: Policy<VercelClaims> = { project: { glob: 'a*', exists: true } }
    // @ts-expect-error unknown operator
    const unknownOp: Policy<VercelClaims> = { project: { regex: 'a.*' } }
    // @ts-expect-error `exists` takes a boolean
    const badExists: Policy<VercelClaims> = { user_id: { exists: 'yes' } }
    // @ts-expect-error a bare number is no condition
    const bareNumber: Policy<VercelClaims> = { exp: 5 }
    expectTypeOf([mixed, twoOps, unknownOp, badExists, bareNumber]).not.toBeAny()
  })

  test('the Vercel preset is a Policy<VercelClaims>', () => {
    expectTypeOf(vercelSameProjectAndEnvironment).returns.toEqualTypeOf<Policy<VercelClaims>>()
  })

  test('claim paths include dotted paths into act', () => {
    expectTypeOf<'project_id'>().toExtend<ClaimPath<VercelClaims>>()
    expectTypeOf<'act.sub'>().toExtend<ClaimPath<VercelClaims>>()
    expectTypeOf<'enviroment'>().not.toExtend<ClaimPath<VercelClaims>>()
  })
})

describe('generic Policy', () => {
  test('accepts any claim path', () => {
    const policy: Policy = {
      anyOf: [
        { 'realm_access.roles': { includes: 'admin' } },
        { scp: { includes: ['todos:read', 'todos:write'] }, anything_at_all: 'x' },
        { '[https://example.com/roles]': { includes: 'editor' } },
      ],
    }
    const access: Policy<AccessTokenClaims> = { client_id: 'app', groups: { includes: 'admins' } }
    expectTypeOf(policy).toExtend<Policy>()
    expectTypeOf(access).toExtend<Policy>()
  })

  test('still rejects values that are no condition', () => {
    // @ts-expect-error a number needs { equals }
    const bare: Policy = { exp: 5 }
    // @ts-expect-error not takes one policy, not an array
    const notArray: Policy = { not: [{ a: 'b' }] }
    expectTypeOf([bare, notArray]).not.toBeAny()
  })

  test('conditions', () => {
    expectTypeOf<'x'>().toExtend<PolicyCondition>()
    expectTypeOf<readonly ['a', 'b']>().toExtend<PolicyCondition>()
    expectTypeOf<{ equals: true }>().toExtend<PolicyCondition>()
    expectTypeOf<{ glob: 'a*'; includes: 'b' }>().not.toExtend<PolicyCondition>()
  })
})

describe('compilePolicy', () => {
  test('returns a CompiledPolicy whose methods take claims', () => {
    const compiled = compilePolicy({ environment: 'production' })
    expectTypeOf(compiled).toEqualTypeOf<CompiledPolicy>()
    expectTypeOf(compiled.test).returns.toEqualTypeOf<boolean>()
    expectTypeOf(compiled.explain).returns.toEqualTypeOf<PolicyDecision>()
    expectTypeOf(compiled.requiredScopes).toEqualTypeOf<readonly string[]>()
    expectTypeOf(compilePolicy(compiled)).toEqualTypeOf<CompiledPolicy>()
  })

  test('accepts parsed JSON', () => {
    const parsed: unknown = JSON.parse('{"environment":"production"}')
    compilePolicy(parsed as Policy)
    // JSON.parse returns any, which is accepted as is
    compilePolicy(JSON.parse('{"environment":"production"}'))
  })
})
