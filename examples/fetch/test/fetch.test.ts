/**
 * The fetch-handler examples against a real local issuer: the Workers module and the Next.js route
 * handler called as their runtimes call them, and `Bun.serve` run by Bun itself (from the runtime
 * matrix's `@oven/bun-linux-x64`) over HTTP on 127.0.0.1.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestIssuer, type TestIssuer, vercelIds } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
let issuer: TestIssuer
let token: string
const web = vercelIds('acme', 'web')

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  token = await issuer.mint()
})
afterAll(async () => {
  await issuer.close()
})

const request = (credentials?: string) =>
  new Request('http://127.0.0.1/api/whoami', {
    headers: credentials === undefined ? {} : { authorization: credentials },
  })

describe('src/worker.ts (a Workers module)', () => {
  it('answers the caller from fetch(request, env, ctx), and 401 without a token', async () => {
    const { default: worker } = await import('../src/worker.js')
    const env = { OIDC_GATE_TEAM: 'acme', OIDC_GATE_BASE_URL: issuer.url }
    const ctx = { waitUntil() {} }
    const ok = await worker.fetch(request(`Bearer ${token}`), env, ctx)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('cache-control')).toBe('no-store')
    expect(await ok.json()).toEqual({
      owner: 'acme',
      project: 'web',
      projectId: web.projectId,
      environment: 'production',
    })
    const refused = await worker.fetch(request(), env, ctx)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/)
  })
})

describe('src/app/api/whoami/route.ts (a Next.js route handler)', () => {
  it('hands the handler the route context after auth, and applies its policy', async () => {
    process.env.OIDC_GATE_BASE_URL = issuer.url
    try {
      const { GET } = await import('../src/app/api/whoami/route.js')
      const context = { params: Promise.resolve({ slug: 'x' }) }
      const ok = await GET(request(`Bearer ${token}`), context)
      expect(await ok.json()).toEqual({
        projectId: web.projectId,
        environment: 'production',
        params: { slug: 'x' },
      })
      const dev = await GET(request(`Bearer ${await issuer.mint({ environment: 'development' })}`), context)
      expect(dev.status).toBe(403)
    } finally {
      delete process.env.OIDC_GATE_BASE_URL
    }
  })
})

/** Bun from the runtime matrix's optional dependency, when installed (linux-x64). */
function bunBinary(): string | undefined {
  try {
    const require = createRequire(join(here, '../../../runtimes/package.json'))
    const file = join(dirname(require.resolve('@oven/bun-linux-x64/package.json')), 'bin/bun')
    return existsSync(file) ? file : undefined
  } catch {
    return undefined
  }
}

const bun = bunBinary()
// Bun loads the built core (dist), which the build makes before the tests (`pnpm test`, CI).
const built = existsSync(join(here, '../../../packages/core/dist/index.js'))

describe.skipIf(bun === undefined || !built)('src/bun.ts (Bun.serve)', () => {
  let child: ChildProcess | undefined
  afterAll(() => {
    if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGTERM')
  })

  it('serves the caller over HTTP, and 401 without a token', async () => {
    child = spawn(bun as string, ['--no-install', 'src/bun.ts'], {
      cwd: join(here, '..'),
      env: { ...process.env, DO_NOT_TRACK: '1', PORT: '0', OIDC_GATE_BASE_URL: issuer.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      child?.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const found = /listening on (\S+)/.exec(out)
        if (found) resolve(found[1] as string)
      })
      child?.on('exit', (code) => reject(new Error(`bun exited with ${code}`)))
    })
    const ok = await fetch(`${url}/api/whoami`, { headers: { authorization: `Bearer ${token}` } })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ projectId: web.projectId })
    expect((await fetch(`${url}/api/whoami`)).status).toBe(401)
  })
})
