import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type AccessTokenClaims,
  compilePolicy,
  createGate,
  type Gate,
  type GateEvent,
  InsufficientScopeError,
  oidc,
  type Policy,
  type VercelClaims,
  vercel,
} from '../src/index.js'
import { expectChallenge, expectInvalidToken, flipSignatureBit, rejection, request } from './helpers.js'

let issuer: TestIssuer
let oauth: TestIssuer
const gates: { close(): void }[] = []

beforeAll(async () => {
  ;[issuer, oauth] = await Promise.all([
    createTestIssuer({ team: 'acme' }),
    createTestIssuer({ profile: 'oidc' }),
  ])
})
afterAll(async () => {
  for (const gate of gates) gate.close()
  await Promise.all([issuer.close(), oauth.close()])
})

function vercelGate(options: { policy?: object; onEvent?: (e: GateEvent) => void } = {}): Gate<VercelClaims> {
  const gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })], ...options })
  gates.push(gate)
  return gate
}

function oauthGate(policy?: Policy): Gate<AccessTokenClaims> {
  const gate = createGate({
    issuers: [oidc({ issuer: oauth.issuer, audience: oauth.audience, jwksUri: oauth.jwksUri })],
    ...(policy === undefined ? {} : { policy }),
  })
  gates.push(gate)
  return gate
}

async function expectForbidden(promise: Promise<unknown>, scope?: string): Promise<InsufficientScopeError> {
  const error = await rejection(promise)
  expect(error).toBeInstanceOf(InsufficientScopeError)
  expect({ status: error.status, code: error.code, error: error.error }).toEqual({
    status: 403,
    code: 'ERR_INSUFFICIENT_SCOPE',
    error: 'insufficient_scope',
  })
  const challenge = error.headers['www-authenticate']
  expect(challenge).toMatch(/^Bearer error="insufficient_scope", error_description="[^"\\]*"/)
  if (scope === undefined) expect(challenge).not.toContain('scope="')
  else expect(challenge).toContain(`scope="${scope}"`)
  return error as InsufficientScopeError
}

describe('policies through the gate', () => {
  it('answers 403 insufficient_scope, never 401, when a valid token is refused by the gate-wide policy', async () => {
    const gate = vercelGate({ policy: { environment: 'production' } })
    await gate.authenticate(request(`Bearer ${await issuer.mint()}`))
    await expectForbidden(
      gate.authenticate(request(`Bearer ${await issuer.mint({ environment: 'preview' })}`)),
    )
  })

  it('applies a per-request policy after the gate-wide one: both must admit the token', async () => {
    const gate = vercelGate({ policy: { owner: 'acme', owner_id: { exists: true } } })
    const token = await issuer.mint({ environment: 'preview' })
    await gate.verify(token, { policy: { environment: ['preview', 'production'] } })
    await expectForbidden(gate.verify(token, { policy: { environment: 'production' } }))
  })

  it('names every scope the policy requires in scope="…", not only the missing ones', async () => {
    const gate = oauthGate({ scope: { includes: ['todos:read', 'todos:write'] } })
    await expectForbidden(gate.verify(await oauth.mint({ scope: 'todos:read' })), 'todos:read todos:write')
    await gate.verify(await oauth.mint({ scope: 'todos:read todos:write' }))
  })

  it('never consults a policy before the signature is verified: a forged token is 401, not 403', async () => {
    const events: GateEvent[] = []
    const gate = vercelGate({ policy: { environment: 'production' }, onEvent: (e) => events.push(e) })
    const forged = flipSignatureBit(await issuer.mint({ environment: 'preview' }))
    await expectInvalidToken(gate.verify(forged), 'signature')
    expect(events.some((e) => e.type === 'policy.denied')).toBe(false)
  })

  it('reports the failed rules in a policy.denied event and through explain(), not in the response', async () => {
    const events: GateEvent[] = []
    const gate = vercelGate({ policy: { environment: 'production' }, onEvent: (e) => events.push(e) })
    const token = await issuer.mint({ environment: 'preview' })
    const error = await expectForbidden(gate.verify(token))
    expect(JSON.stringify(error.headers)).not.toContain('preview')
    const denied = events.find((e) => e.type === 'policy.denied')
    expect(denied).toMatchObject({ type: 'policy.denied', failures: [expect.stringContaining('preview')] })
    const auth = await gate.verify(token, { policy: { environment: 'preview' } }).catch(() => undefined)
    expect(auth).toBeUndefined() // the gate-wide policy still refuses it
    const allowed = await vercelGate().verify(token)
    expect(gate.explain(allowed)).toMatchObject({ allowed: false, failures: [{ claim: 'environment' }] })
    expect(gate.explain(allowed, { environment: 'preview' })).toMatchObject({ allowed: true, failures: [] })
  })

  it('refuses a misspelt claim name at construction, suggesting the right one', () => {
    expect(() =>
      createGate({ issuers: [vercel({ team: 'acme' })], policy: { enviroment: 'production' } as never }),
    ).toThrow(
      expect.objectContaining({
        name: 'TypeError',
        message: expect.stringMatching(/enviroment.*environment/s),
      }),
    )
  })

  it('emits a policy.warning at boot for a rule pinning a renameable name without its stable ID', () => {
    const events: GateEvent[] = []
    vercelGate({ policy: { project: 'web' }, onEvent: (e) => events.push(e) })
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'policy.warning', message: expect.stringContaining('project') }),
    )
  })

  it('accepts a policy compiled once, for hot routes, and compiles JSON per-request policies once', async () => {
    const gate = vercelGate()
    const compiled = gate.compilePolicy({ environment: 'production' })
    expect(compilePolicy(compiled)).toBe(compiled)
    const token = await issuer.mint()
    await gate.verify(token, { policy: compiled })
    await expect(async () => gate.compilePolicy({ enviroment: 'x' } as never)).rejects.toThrow(TypeError)
  })

  it('rejects a per-request policy that does not compile with its TypeError, not a 401, cached token or not', async () => {
    const gate = vercelGate()
    const token = await issuer.mint()
    const typo = { not: { enviroment: 'preview' } } as never
    for (const attempt of ['first', 'cached']) {
      const authenticated = gate.authenticate(request(`Bearer ${token}`), { policy: typo })
      await expect(authenticated, attempt).rejects.toThrow(
        expect.objectContaining({
          name: 'TypeError',
          message: expect.stringMatching(/enviroment.*environment/s),
        }),
      )
      await expect(gate.verify(token, { policy: typo }), attempt).rejects.toBeInstanceOf(TypeError)
      if (attempt === 'first') await gate.authenticate(request(`Bearer ${token}`))
    }
    const auth = await gate.authenticate(request(`Bearer ${token}`))
    expect(() => gate.authorize(auth, typo)).toThrow(TypeError)
    expect(() => gate.authorize(undefined, typo)).toThrow(TypeError)
  })

  it('authorize() answers 401 without credentials and 403 when the route policy refuses', async () => {
    const gate = vercelGate()
    const auth = await gate.authenticate(request(`Bearer ${await issuer.mint({ environment: 'preview' })}`))
    await expectChallenge((async () => gate.authorize(undefined, { environment: 'production' }))(), 'missing')
    await expectForbidden((async () => gate.authorize(auth, { environment: 'production' }))())
    expect(() => gate.authorize(auth, { environment: 'preview' })).not.toThrow()
  })
})

describe('optional authentication with a per-request policy', () => {
  it('answers 401 without credentials when the request names a policy, and passes anonymous otherwise', async () => {
    const gate = vercelGate()
    expect(await gate.authenticate(request(), { optional: true })).toBeUndefined()
    await expectChallenge(
      gate.authenticate(request(), { optional: true, policy: { environment: 'production' } }),
      'missing',
    )
  })
})

describe('GateError across copies of the package', () => {
  it('recognises an error from another copy of the module with instanceof GateError and isGateError()', async () => {
    const { GateError, InvalidTokenError, isGateError } = await import('../src/index.js')
    // A second, independent instance of the errors module (as with two installed versions).
    const second = '../src/errors.ts?second-copy'
    const copy = (await import(/* @vite-ignore */ second)) as typeof import('../src/errors.js')
    const foreign = new copy.InvalidTokenError('exp', 'token expired')
    expect(foreign).toBeInstanceOf(GateError)
    expect(isGateError(foreign)).toBe(true)
    expect(foreign instanceof InvalidTokenError).toBe(false)
    expect(new InvalidTokenError('exp', 'token expired')).toBeInstanceOf(InvalidTokenError)
    expect(isGateError(new Error('x'))).toBe(false)
    expect(new Error('x') instanceof GateError).toBe(false)
  })
})
