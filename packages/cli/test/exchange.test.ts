import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGate, vercel } from '@oidc-gate/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claimsOf, cli, type Running, start } from './cli.js'

let dir: string
let issuer: Running
let url: string
let keys: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oidc-gate-cli-test-'))
  keys = join(dir, 'keys.json')
  issuer = await start(['dev-issuer', '--port', '0', '--keys', keys, '--json'], (out) => out.includes('\n'))
  url = JSON.parse(issuer.stdout()).url
})

afterAll(async () => {
  await issuer?.stop('SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

describe.concurrent('oidc-gate exchange (with dev-issuer and mint: the README walkthrough)', {
  timeout: 20_000,
}, () => {
  it('exchanges a minted token at the running dev issuer; the core and inspect accept the new token', async () => {
    const minted = await cli(['mint', '--keys', keys, '--issuer-url', url, '--environment', 'preview'])
    expect(minted.code).toBe(0)
    const token = minted.stdout.trim()

    const result = await cli(['exchange', '--aud', 'https://api.example.test', '--issuer-url', url, '-'], {
      input: token,
    })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const exchanged = result.stdout.trim()
    expect(claimsOf(exchanged)).toMatchObject({
      aud: 'https://api.example.test',
      exp: claimsOf(token).exp,
      act: { sub: 'owner:acme:project:web:environment:preview', aud: 'https://vercel.com/acme' },
    })

    const gate = createGate({
      issuers: [vercel({ team: 'acme', baseUrl: url, audience: 'https://api.example.test' })],
    })
    expect((await gate.verify(exchanged)).vercel.exchanged).toBe(true)
    gate.close()

    const inspected = await cli([
      'inspect',
      exchanged,
      '--team',
      'acme',
      '--issuer-url',
      url,
      '--audience',
      'https://api.example.test',
    ])
    expect(inspected.code).toBe(0)
  })
})
