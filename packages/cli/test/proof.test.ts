import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGate, fromFetch, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, isOneLine } from './cli.js'

let dir: string
let keys: string
let dpopKey: string
let issuer: TestIssuer

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oidc-gate-cli-proof-'))
  keys = join(dir, 'keys.json')
  dpopKey = join(dir, 'dpop-key.json')
  const first = await createTestIssuer()
  await writeFile(keys, JSON.stringify(first.exportKeys()), { mode: 0o600 })
  await first.close()
  issuer = await createTestIssuer({ keys: JSON.parse(JSON.stringify(first.exportKeys())) })
})

afterAll(async () => {
  await issuer?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('oidc-gate proof and mint --dpop', { timeout: 30_000 }, () => {
  it('generates a key, binds a token to it and signs a proof that a gate accepts', async () => {
    const generated = await cli(['proof', '--key', dpopKey, '--generate'])
    expect(generated.code, generated.stderr).toBe(0)
    const jkt = generated.stdout.trim()
    expect(jkt).toMatch(/^[\w-]{43}$/)
    expect((await stat(dpopKey)).mode & 0o777).toBe(0o600)

    const minted = await cli(['mint', '--keys', keys, '--issuer-url', issuer.url, '--dpop', dpopKey])
    expect(minted.code, minted.stderr).toBe(0)
    const token = minted.stdout.trim()

    const url = 'https://api.example.com/api/whoami?verbose=1'
    const proofRun = await cli(['proof', '--key', dpopKey, '--url', url, '--token', token])
    expect(proofRun.code, proofRun.stderr).toBe(0)

    const gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })
    try {
      const request = new Request(url, {
        headers: { authorization: `DPoP ${token}`, dpop: proofRun.stdout.trim() },
      })
      const auth = await gate.authenticate(fromFetch(request))
      expect(auth.dpop?.jkt).toBe(jkt)
      expect((auth.claims as { cnf?: unknown }).cnf).toEqual({ jkt })
    } finally {
      gate.close()
    }
  })

  it.each([
    ['no --key', ['proof', '--url', 'https://api.example.com/'], '--key FILE is required'],
    ['no --url', ['proof', '--key', 'k.json'], '--url URL is required'],
    [
      'a URL that is not http(s)',
      ['proof', '--key', 'k.json', '--url', 'ftp://x/'],
      '--url must be an http(s) URL',
    ],
    [
      'a missing key file',
      ['proof', '--key', '/nonexistent/k.json', '--url', 'https://a.example/'],
      'DPoP key file not found',
    ],
  ])('exits 2 with one line on stderr for %s', async (_, args, message) => {
    const result = await cli(args)
    expect(result.code).toBe(2)
    expect(isOneLine(result.stderr)).toBe(true)
    expect(result.stderr).toContain(message)
  })

  it('refuses to overwrite an existing key file with --generate', async () => {
    const path = join(dir, 'existing.json')
    await writeFile(path, '{}', { mode: 0o600 })
    const result = await cli(['proof', '--key', path, '--generate'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('exists already')
  })

  it('refuses a key file that holds no private key', async () => {
    const path = join(dir, 'public.json')
    await writeFile(path, JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }))
    const result = await cli(['proof', '--key', path, '--url', 'https://api.example.com/'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('is not a private EC P-256, Ed25519 or RSA JWK')
  })
})
