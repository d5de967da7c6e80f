import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestIssuer, type TestIssuer, vercelIds } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claimsOf, cli } from './cli.js'

let dir: string
let issuer: TestIssuer
let policy: string
let valid: string
let expired: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oidc-gate-cli-test-'))
  issuer = await createTestIssuer({ team: 'acme' })
  policy = join(dir, 'policy.json')
  await writeFile(policy, JSON.stringify({ environment: ['production', 'preview'] }))
  valid = await issuer.mint({ environment: 'preview' })
  expired = await issuer.mint({}, { expired: true })
})

afterAll(async () => {
  await issuer?.close()
  await rm(dir, { recursive: true, force: true })
})

/** `oidc-gate inspect TOKEN --team acme --issuer-url <local issuer> …extra`. */
const inspectForAcme = (token: string, ...extra: string[]) =>
  cli(['inspect', token, '--team', 'acme', '--issuer-url', issuer.url, ...extra])

describe.concurrent('oidc-gate inspect', { timeout: 20_000 }, () => {
  it('shows header, claims and the verifier, and exits 0 for a valid token of the pinned team the policy allows', async () => {
    const result = await inspectForAcme(valid, '--policy', policy)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`kid  ${issuer.kid}`)
    expect(result.stdout).toMatch(/environment +preview/)
    expect(result.stdout).toContain(`vercel({ team: 'acme', issuerMode: 'team', baseUrl: '${issuer.url}' })`)
    expect(result.stdout).toContain('✓ valid')
    expect(result.stdout).toContain('✓ allowed by policy')
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('allowed')
    expect(result.stdout).not.toContain('\u001b[')
  })

  it('exits 1 for an expired token and names the failed check', async () => {
    const result = await cli(['inspect', expired, '--issuer-url', issuer.url])
    expect(result.code).toBe(1)
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain('✗ exp: token expired')
    expect(result.stdout).toContain('refused: exp (401 ERR_INVALID_TOKEN: token expired)')
    // Decoding works although verification failed.
    expect(result.stdout).toMatch(/owner +acme/)
  })

  it('exits 1 for a token the policy refuses and shows the failed rule', async () => {
    const token = await issuer.mint({ environment: 'development' })
    const result = await inspectForAcme(token, '--policy', policy)
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('✓ valid')
    expect(result.stdout).toContain(
      '✗ policy.environment: expected one of ["production", "preview"], got "development"',
    )
    expect(result.stdout).toContain('refused: policy (403 ERR_INSUFFICIENT_SCOPE')
  })

  it('prints one JSON document with --json', async () => {
    const ok = await inspectForAcme(valid, '--policy', policy, '--json')
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toEqual({
      header: { alg: 'RS256', typ: 'JWT', kid: issuer.kid },
      claims: claimsOf(valid),
      verifier: {
        team: 'acme',
        pinned: true,
        issuerMode: 'team',
        baseUrl: issuer.url,
        issuers: [`${issuer.url}/acme`],
        jwksUri: `${issuer.url}/acme/.well-known/jwks`,
        audiences: ['https://vercel.com/acme'],
        now: expect.any(String),
      },
      verification: { valid: true },
      policy: {
        file: policy,
        onVerifiedClaims: true,
        allowed: true,
        matched: 'policy',
        failures: [],
        missingScopes: [],
        warnings: [],
      },
      allowed: true,
      refusal: null,
      hints: [],
    })
  })

  it('verifies as of --now (seconds since the epoch), which makes an expired token valid', async () => {
    const exp = claimsOf(expired).exp as number
    const result = await inspectForAcme(expired, '--now', String(exp - 60), '--json')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).verifier.now).toBe(new Date((exp - 60) * 1000).toISOString())
  })

  it('reads the token from stdin with "-", and refuses a token of another team', async () => {
    const result = await cli(['inspect', '-', '--issuer-url', issuer.url, '--team', 'other'], {
      input: `Bearer ${valid}\n`,
    })
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('refused: iss')
    expect(result.stdout).toContain(
      `hint: the token's iss is ${issuer.url}/acme; accepted: ${issuer.url}/other`,
    )
  })

  it('never calls a token valid on its own word: without --team or --team-id it says "not pinned" and exits 1', async () => {
    // A token of a team nobody configured, from the same issuer (whose keys every team shares).
    const foreign = await issuer.mint({
      owner: 'evil',
      iss: `${issuer.url}/evil`,
      aud: 'https://vercel.com/evil',
    })
    const result = await cli(['inspect', foreign, '--issuer-url', issuer.url])
    expect(result.code).toBe(1)
    expect(result.stdout).not.toContain('✓ valid')
    expect(result.stdout).toContain('check out for team evil')
    expect(result.stdout).toContain('✗ not pinned: no --team or --team-id')
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(/^not pinned \(no team pinned/)
    expect(result.stdout).toContain(
      `hint: once you know it is a team you trust, pass --team evil --team-id ${vercelIds('evil').ownerId}`,
    )

    const json = await cli(['inspect', foreign, '--issuer-url', issuer.url, '--json'])
    expect(json.code).toBe(1)
    expect(JSON.parse(json.stdout)).toMatchObject({
      verifier: { team: 'evil', pinned: false },
      verification: { valid: false, reason: 'not-pinned', code: 'NOT_PINNED' },
      allowed: false,
      refusal: { stage: 'pinning', reason: 'not-pinned' },
    })
  })

  it('pins the team by its ID with --team-id: exit 0 for its token, exit 1 owner_id for a token with another owner_id', async () => {
    const teamId = vercelIds('acme').ownerId
    const ok = await cli(['inspect', valid, '--team-id', teamId, '--issuer-url', issuer.url])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain(
      `vercel({ team: 'acme', teamId: '${teamId}', issuerMode: 'team', baseUrl: '${issuer.url}' })`,
    )
    expect(ok.stdout).toContain('✓ valid')

    const takeover = await issuer.mint({ owner_id: vercelIds('someone-else').ownerId })
    const refused = await cli([
      'inspect',
      takeover,
      '--team',
      'acme',
      '--team-id',
      teamId,
      '--issuer-url',
      issuer.url,
    ])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain('refused: owner_id (401 ERR_INVALID_TOKEN: owner_id mismatch)')
    expect(refused.stdout).toContain("hint: the token's owner_id is")
  })

  it('refuses a --team-id that is not a Vercel team ID with a usage error', async () => {
    const result = await cli(['inspect', valid, '--team-id', 'acme'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--team-id must be a Vercel team ID')
  })
})
