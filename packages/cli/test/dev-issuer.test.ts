import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { vercelIds } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Running, start } from './cli.js'

let dir: string
const running = new Set<Running>()

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oidc-gate-cli-test-'))
})

afterAll(async () => {
  await Promise.all([...running].map((r) => r.stop('SIGKILL')))
  await rm(dir, { recursive: true, force: true })
})

async function devIssuer(args: readonly string[], ready: (stdout: string) => boolean): Promise<Running> {
  const r = await start(['dev-issuer', ...args], ready)
  running.add(r)
  return r
}

const jsonLine = (stdout: string): boolean => stdout.includes('\n')

describe.concurrent('oidc-gate dev-issuer', { timeout: 20_000 }, () => {
  it('prints its URL and the vercel() options with the team ID, serves the JWKS, saves the keys 0600 and stops on SIGTERM', async () => {
    const keys = join(dir, 'nested', 'keys.json')
    const issuer = await devIssuer(['--port', '0', '--team', 'acme', '--keys', keys], (out) =>
      out.includes('Press Ctrl+C'),
    )
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(issuer.stdout())?.[1]
    expect(url).toBeDefined()
    const teamId = vercelIds('acme').ownerId
    expect(issuer.stdout()).toContain(
      `vercel({ team: 'acme', teamId: '${teamId}', issuerMode: 'team', baseUrl: '${url}' })`,
    )
    expect(issuer.stdout()).toContain(`OIDC_GATE_BASE_URL=${url} OIDC_GATE_TEAM=acme`)
    expect(issuer.stdout()).toContain(`oidc-gate mint --keys ${keys} --issuer-url ${url} --team acme`)

    const file = JSON.parse(await readFile(keys, 'utf8'))
    expect((await stat(keys)).mode & 0o777).toBe(0o600)
    const jwks = (await (await fetch(`${url}/acme/.well-known/jwks`)).json()) as { keys: { kid: string }[] }
    expect(jwks.keys.map((k) => k.kid)).toEqual([file.current])

    const result = await issuer.stop('SIGTERM')
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('SIGTERM: dev issuer stopped')
    await expect(fetch(`${url}/acme/.well-known/jwks`)).rejects.toThrow()

    // Restarted from the same file, it publishes the same key.
    const again = await devIssuer(['--port', '0', '--keys', keys, '--json'], jsonLine)
    const info = JSON.parse(again.stdout())
    expect(info.kid).toBe(file.current)
    expect(JSON.parse(await readFile(keys, 'utf8'))).toEqual(file)
    expect((await again.stop('SIGINT')).code).toBe(0)
  })

  it('without --keys, keeps new keys in a temporary key file that it deletes on exit', async () => {
    const issuer = await devIssuer(['--port', '0', '--mode', 'global', '--team', 'beta', '--json'], jsonLine)
    const info = JSON.parse(issuer.stdout())
    expect(info).toMatchObject({
      issuer: info.url,
      jwksUri: `${info.url}/.well-known/jwks`,
      team: 'beta',
      teamId: vercelIds('beta').ownerId,
      mode: 'global',
      temporaryKeys: true,
      vercel: { team: 'beta', teamId: vercelIds('beta').ownerId, issuerMode: 'global', baseUrl: info.url },
      env: { OIDC_GATE_BASE_URL: info.url, OIDC_GATE_TEAM: 'beta' },
    })
    expect(JSON.parse(await readFile(info.keys, 'utf8')).current).toBe(info.kid)
    expect((await issuer.stop('SIGTERM')).code).toBe(0)
    await expect(stat(info.keys)).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
