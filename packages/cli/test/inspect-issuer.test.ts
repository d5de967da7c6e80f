/**
 * `oidc-gate inspect --issuer URL`: RFC 9068 access tokens of any issuer, verified through the issuer's
 * metadata against the real local issuer, and never called valid on the token's own word.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli } from './cli.js'

let dir: string
let issuer: TestIssuer
let attacker: TestIssuer

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oidc-gate-cli-issuer-'))
  issuer = await createTestIssuer({ profile: 'oidc', algorithm: 'ES256', issuerPath: '/realms/acme' })
  attacker = await createTestIssuer({ profile: 'oidc' })
})

afterAll(async () => {
  await issuer?.close()
  await attacker?.close()
  await rm(dir, { recursive: true, force: true })
})

/** `oidc-gate inspect TOKEN --issuer <local issuer> …extra`. */
const inspectAt = (token: string, ...extra: string[]) =>
  cli(['inspect', token, '--issuer', issuer.issuer, ...extra])

describe.concurrent('oidc-gate inspect --issuer', { timeout: 20_000 }, () => {
  it('verifies an access token through the issuer metadata and exits 0 when the audience is pinned', async () => {
    const result = await inspectAt(await issuer.mint({ scope: 'read' }), '--audience', issuer.audience)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`oidc({ issuer: '${issuer.issuer}', audience: '${issuer.audience}' })`)
    expect(result.stdout).toMatch(
      new RegExp(`metadata +${issuer.issuer.replaceAll('/', '\\/')}\\/\\.well-known\\/openid-configuration`),
    )
    expect(result.stdout).toContain(`jwks      ${issuer.jwksUri}`)
    expect(result.stdout).toContain('✓ valid: signature, issuer, audience, lifetime and RFC 9068 claims')
    expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('allowed')
  })

  it('says "not pinned" and exits 1 without --audience, though every check passed', async () => {
    const result = await inspectAt(await issuer.mint())
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('check out for its own audience')
    expect(result.stdout).toContain(
      "not pinned: no --audience, so the audience was read from the token's own aud claim",
    )
    expect(result.stdout).toContain(
      `hint: once you know this API is its audience, pass --audience ${issuer.audience}`,
    )
    expect(result.stdout.trimEnd().split('\n').at(-1)).toMatch(/^not pinned \(.*: pass --audience\)$/)
  })

  it('refuses a token of another issuer without contacting that issuer', async () => {
    attacker.resetCounters()
    const result = await inspectAt(
      await attacker.mint({ aud: issuer.audience }),
      '--audience',
      issuer.audience,
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('refused: iss')
    expect(attacker.requests).toMatchObject({ discovery: 0, jwks: 0 })
  })

  it('refuses a token for another API with the aud check', async () => {
    const result = await inspectAt(
      await issuer.mint({ aud: 'https://other.api' }),
      '--audience',
      issuer.audience,
    )
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('refused: aud')
  })

  it('names the metadata that could not be used when its issuer is not identical (503)', async () => {
    const result = await cli([
      'inspect',
      await issuer.mint({ iss: `${issuer.issuer}/` }),
      '--issuer',
      `${issuer.issuer}/`,
      '--audience',
      issuer.audience,
    ])
    expect(result.code).toBe(1)
    expect(result.stdout).toContain('refused: jwks-unavailable (503')
    expect(result.stdout).toContain(
      `hint: cannot use the metadata at ${issuer.url}/.well-known/oauth-authorization-server/realms/acme: metadata issuer "${issuer.issuer}" is not the configured issuer "${issuer.issuer}/"`,
    )
  })

  it('prints one JSON document with the discovered jwks_uri', async () => {
    const policy = join(dir, 'scope.json')
    await writeFile(policy, JSON.stringify({ scope: { includes: 'write' } }))
    const token = await issuer.mint({ scope: 'read' })
    const result = await inspectAt(token, '--audience', issuer.audience, '--policy', policy, '--json')
    expect(result.code).toBe(1)
    const report = JSON.parse(result.stdout)
    expect(report.verifier).toEqual({
      profile: 'oidc',
      pinned: true,
      issuers: [issuer.issuer],
      metadataUrl: `${issuer.issuer}/.well-known/openid-configuration`,
      jwksUri: issuer.jwksUri,
      audiences: [issuer.audience],
      now: expect.any(String),
    })
    expect(report.verification).toEqual({ valid: true })
    expect(report.policy).toMatchObject({ allowed: false, missingScopes: ['write'] })
  })

  it('refuses Vercel options beside --issuer, and a bad issuer URL, as usage errors (exit 2)', async () => {
    const token = await issuer.mint()
    const withTeam = await inspectAt(token, '--team', 'acme')
    expect({ code: withTeam.code, stderr: withTeam.stderr }).toMatchObject({ code: 2 })
    expect(withTeam.stderr).toContain('--team cannot be used with --issuer')
    const plainHttp = await cli(['inspect', token, '--issuer', 'http://auth.example.com'])
    expect(plainHttp.code).toBe(2)
    expect(plainHttp.stderr).toContain('--issuer must use https:')
  })
})
