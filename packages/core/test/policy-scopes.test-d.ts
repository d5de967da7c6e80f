import { describe, expectTypeOf, test } from 'vitest'
import type { AccessTokenClaims, VercelClaims } from '../src/claims.js'
import type { Policy } from '../src/policy/index.js'

describe('scopes in typed policies', () => {
  test('is a rule entry beside claim names, taking one scope or a list', () => {
    const vercel: Policy<VercelClaims> = { scopes: ['deploy:write'], environment: 'production' }
    const oauth: Policy<AccessTokenClaims> = { anyOf: [{ scopes: 'files:read' }, { client_id: 'admin' }] }
    expectTypeOf(vercel).toExtend<Policy>()
    expectTypeOf(oauth).toExtend<Policy>()
  })

  test('refuses what is not a list of scopes', () => {
    // @ts-expect-error scopes are strings
    const numbers: Policy<VercelClaims> = { scopes: [1] }
    // @ts-expect-error no operator objects
    const operator: Policy<VercelClaims> = { scopes: { includes: 'a' } }
    expectTypeOf([numbers, operator]).not.toBeAny()
  })
})
