import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGate, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer, vercelIds } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli } from './cli.js'

let dir: string
let keys: string
let issuer: TestIssuer

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oidc-gate-cli-test-'))
  keys = join(dir, 'keys.json')
  const first = await createTestIssuer()
  await writeFile(keys, JSON.stringify(first.exportKeys()), { mode: 0o600 })
  await first.close()
  // The dev issuer as `oidc-gate dev-issuer --keys FILE` runs it: started from the same key file.
  issuer = await createTestIssuer({ keys: first.exportKeys() })
})

afterAll(async () => {
  await issuer?.close()
  await rm(dir, { recursive: true, force: true })
})

describe.concurrent('oidc-gate mint', { timeout: 20_000 }, () => {
  it('prints a token that the core verifies against a dev issuer started from the same key file', async () => {
    const result = await cli([
      'mint',
      '--keys',
      keys,
      '--issuer-url',
      issuer.url,
      '--project',
      'api',
      '--environment',
      'preview',
      '--ttl',
      '15m',
    ])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)

    const gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })
    const auth = await gate.verify(result.stdout.trim())
    expect(auth.claims).toMatchObject({
      iss: `${issuer.url}/acme`,
      aud: 'https://vercel.com/acme',
      owner: 'acme',
      project: 'api',
      project_id: vercelIds('acme', 'api').projectId,
      environment: 'preview',
      sub: 'owner:acme:project:api:environment:preview',
    })
    expect(auth.claims.exp - auth.claims.iat).toBe(900)
    gate.close()
  })

  it('warns on stderr when the key file is readable by other users, as dev-issuer does, and still mints', async () => {
    const shared = join(dir, 'shared-keys.json')
    await writeFile(shared, JSON.stringify(issuer.exportKeys()), { mode: 0o644 })
    await chmod(shared, 0o644)
    const result = await cli(['mint', '--keys', shared])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe(`oidc-gate: warning: ${shared} is readable by other users; chmod 600 it\n`)
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/)
  })
})
