/**
 * SECURITY §1 and C13: the signature is verified before any claim is looked at, so a token that is not
 * signed by the issuer learns nothing about the configuration (audience, team, required claims) from the
 * error descriptions. The only claim read before the signature is `iss`, to select the issuer's keys.
 */

import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGate, type Gate, type VercelClaims, vercel } from '../src/index.js'
import { claimsOf, expectInvalidToken, segmentJson, signingInput, signJws } from './helpers.js'

let issuer: TestIssuer
let gate: Gate<VercelClaims>
let header: Record<string, unknown>
let valid: Record<string, unknown>
let attacker: KeyObject

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })
  await gate.warmup()
  const token = await issuer.mint()
  header = segmentJson(token, 0)
  valid = claimsOf(token)
  attacker = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
})

afterAll(async () => {
  gate.close()
  await issuer.close()
})

type Claims = Record<string, unknown>
const without = (claims: Claims, name: string): Claims => {
  const { [name]: _, ...rest } = claims
  return rest
}

/** The steps an attacker would take to learn the configuration, one claim at a time. */
const probes: [string, (valid: Claims) => Claims][] = [
  ['aud missing', (c) => without(c, 'aud')],
  ['exp missing', (c) => without(c, 'exp')],
  ['owner missing', (c) => without(c, 'owner')],
  ['owner mismatch', (c) => ({ ...c, owner: 'guess' })],
  ['audience mismatch', (c) => ({ ...c, aud: 'https://vercel.com/guess' })],
  ['token expired', (c) => ({ ...c, exp: 1 })],
  ['everything right', (c) => c],
]

describe('an unsigned or wrongly signed token learns only that the signature failed', () => {
  for (const [step, edit] of probes) {
    it(`answers 401 invalid_token "signature invalid" to an unsigned token (signature AAAA) with ${step}`, async () => {
      const unsigned = `${signingInput(header, edit(valid))}.AAAA`
      const error = await expectInvalidToken(gate.verify(unsigned), 'signature')
      expect(error.message).toBe('signature invalid')
    })

    it(`answers 401 invalid_token "signature invalid" to a token signed by another key with ${step}`, async () => {
      const forged = signJws(header, edit(valid), attacker, 'RS256')
      const error = await expectInvalidToken(gate.verify(forged), 'signature')
      expect(error.message).toBe('signature invalid')
    })

    it(`answers 401 invalid_token "no matching key" to a token with an unknown kid with ${step}`, async () => {
      const forged = signJws({ ...header, kid: 'mrk-guess' }, edit(valid), attacker, 'RS256')
      const error = await expectInvalidToken(gate.verify(forged), 'kid')
      expect(error.message).toBe('no matching key')
    })
  }

  it('still names the issuer for an unknown iss, without fetching any key', async () => {
    const before = issuer.requests.jwks
    const fresh = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })
    try {
      const unsigned = `${signingInput(header, { ...valid, iss: 'https://evil.test' })}.AAAA`
      const error = await expectInvalidToken(fresh.verify(unsigned), 'iss')
      expect(error.message).toBe('issuer not accepted')
      expect(issuer.requests.jwks).toBe(before)
    } finally {
      fresh.close()
    }
  })
})

describe('a token signed by the issuer keeps its precise error description', () => {
  const signed: [string, () => Promise<string>, string, string][] = [
    ['aud missing', () => issuer.mint({ aud: undefined }), 'aud', 'aud missing'],
    ['exp missing', () => issuer.mint({ exp: undefined }), 'exp', 'exp missing'],
    ['owner missing', () => issuer.mint({ owner: undefined }), 'owner', 'owner missing'],
    ['owner mismatch', () => issuer.mint({ owner: 'other' }), 'owner', 'owner mismatch'],
    [
      'a foreign audience',
      () => issuer.mint({ aud: 'https://vercel.com/other' }),
      'aud',
      'audience mismatch',
    ],
    ['an expired token', () => issuer.mint({}, { expired: true }), 'exp', 'token expired'],
  ]
  for (const [name, mint, reason, description] of signed) {
    it(`answers 401 invalid_token "${description}" for ${name}`, async () => {
      const error = await expectInvalidToken(gate.verify(await mint()), reason)
      expect(error.message).toBe(description)
    })
  }
})
