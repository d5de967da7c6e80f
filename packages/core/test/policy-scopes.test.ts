import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compilePolicy, createGate, InsufficientScopeError, oidc, type Policy } from '../src/index.js'
import { rejection } from './helpers.js'

describe('scopes: the required scopes of a route, all of them', () => {
  it('is the same rule as includes on the scope claim', () => {
    const short = compilePolicy({ scopes: ['files:read', 'files:write'] })
    const long = compilePolicy({ scope: { includes: ['files:read', 'files:write'] } })
    for (const scope of [
      'files:read files:write',
      'files:write openid files:read',
      'files:read',
      '',
      undefined,
    ]) {
      expect(short.test({ scope }), String(scope)).toBe(long.test({ scope }))
    }
    expect(short.test({ scope: 'files:read files:write' })).toBe(true)
    expect(short.test({ scope: 'files:read' })).toBe(false)
  })

  it('takes one scope as a string, and sits beside other claims in a rule', () => {
    const policy = compilePolicy({ scopes: 'files:read', client_id: 'cli' })
    expect(policy.test({ scope: 'files:read', client_id: 'cli' })).toBe(true)
    expect(policy.test({ scope: 'files:read', client_id: 'other' })).toBe(false)
    expect(policy.test({ scope: 'files:readonly', client_id: 'cli' })).toBe(false)
  })

  it('reads the scope claim only, never scp (SECURITY C10)', () => {
    expect(compilePolicy({ scopes: 'files:read' }).test({ scp: ['files:read'] })).toBe(false)
  })

  it('lists its scopes in requiredScopes and the lacking ones in missingScopes', () => {
    const policy = compilePolicy({ anyOf: [{ scopes: ['a', 'b'] }, { scope: { includes: 'c' } }] })
    expect(policy.requiredScopes).toEqual(['a', 'b', 'c'])
    const decision = policy.explain({ scope: 'a' })
    expect(decision.missingScopes).toEqual(['b', 'c'])
    expect(decision.failures[0]?.message).toMatch(/^policy\.anyOf\[0\]\.scopes: expected .*missing \["b"\]/)
  })

  it('still reads a claim named scopes when written [scopes]', () => {
    const policy = compilePolicy({ '[scopes]': 'x' })
    expect(policy.test({ scopes: 'x' })).toBe(true)
    expect(policy.requiredScopes).toEqual([])
  })

  const bad: [string, unknown, RegExp][] = [
    ['a scope with a space', { scopes: 'files:read files:write' }, /policy\.scopes: .*contains a space/],
    ['an empty list', { scopes: [] }, /policy\.scopes: an empty array/],
    ['a number', { scopes: [1] }, /policy\.scopes\[0\]: expected a string/],
    [
      'an operator object',
      { scopes: { includes: 'a' } },
      /policy\.scopes: expects a scope or an array of scopes/,
    ],
    ['a quote', { scopes: 'a"b' }, /policy\.scopes: .*is not a scope token/],
  ]
  it.each(bad)('refuses %s at construction, naming the location', (_name, policy, message) => {
    expect(() => compilePolicy(policy as Policy)).toThrow(message)
  })

  it('is accepted with Vercel claim names checked, though scopes is not a claim', () => {
    expect(
      compilePolicy({ scopes: 'x', environment: 'production' }, { profile: 'vercel' }).requiredScopes,
    ).toEqual(['x'])
  })
})

describe('scope hierarchies, only when configured', () => {
  const hierarchical = (policy: Policy) => compilePolicy(policy, { scopeHierarchy: ':' })

  it('lets a granted scope satisfy the scopes below it', () => {
    const policy = hierarchical({ scopes: ['files:read:own'] })
    expect(policy.test({ scope: 'files' })).toBe(true)
    expect(policy.test({ scope: 'files:read' })).toBe(true)
    expect(policy.test({ scope: 'files:read:own' })).toBe(true)
  })

  it('never lets a scope satisfy its parent, a sibling or a longer name', () => {
    const policy = hierarchical({ scopes: 'files:read' })
    for (const scope of ['files:read:own', 'files:write', 'filesystem', 'file', 'files:readonly', ':read']) {
      expect(policy.test({ scope }), scope).toBe(false)
    }
  })

  it('applies to includes on scope and scp (arrays), but not to other claims', () => {
    expect(hierarchical({ scope: { includes: 'files:read' } }).test({ scope: 'openid files' })).toBe(true)
    expect(hierarchical({ scp: { includes: 'files:read' } }).test({ scp: ['files'] })).toBe(true)
    expect(hierarchical({ roles: { includes: 'files:read' } }).test({ roles: ['files'] })).toBe(false)
  })

  it('compares exactly without the option (RFC 6749 §3.3)', () => {
    expect(compilePolicy({ scopes: 'files:read' }).test({ scope: 'files' })).toBe(false)
  })

  it('reports as missing only the scopes that nothing grants', () => {
    const decision = hierarchical({ scopes: ['files:read', 'mail:send'] }).explain({ scope: 'files' })
    expect(decision.missingScopes).toEqual(['mail:send'])
  })

  it('refuses a separator that is not one scope-token character', () => {
    expect(() => compilePolicy({ scopes: 'a' }, { scopeHierarchy: ' ' })).toThrow(
      /compilePolicy: scopeHierarchy must be one character/,
    )
  })
})

describe('scopes through a gate', () => {
  let oauth: TestIssuer
  beforeAll(async () => {
    oauth = await createTestIssuer({ profile: 'oidc' })
  })
  afterAll(() => oauth.close())

  it('applies the gate scopeHierarchy to the policies it compiles, and lists the required scopes on 403', async () => {
    const issuers = [oidc({ issuer: oauth.issuer, audience: oauth.audience, jwksUri: oauth.jwksUri })]
    const gate = createGate({ issuers, scopeHierarchy: ':' })
    const flat = createGate({ issuers })
    try {
      const token = await oauth.mint({ scope: 'files' })
      await expect(
        gate.verify(token, { policy: { scopes: ['files:read', 'files:write'] } }),
      ).resolves.toBeDefined()
      const error = await rejection(flat.verify(token, { policy: { scopes: ['files:read', 'files:write'] } }))
      expect(error).toBeInstanceOf(InsufficientScopeError)
      expect((error as InsufficientScopeError).scope).toEqual(['files:read', 'files:write'])
      expect(error.headers['www-authenticate']).toContain('scope="files:read files:write"')
    } finally {
      gate.close()
      flat.close()
    }
  })
})
