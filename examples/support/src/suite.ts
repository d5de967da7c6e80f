/**
 * The contract every example API is tested against (vitest): the example runs as a real process, from the
 * TypeScript sources, trusting a local test issuer, and is called over HTTP.
 */

import { createTestIssuer, type TestIssuer, vercelIds } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type Deployed, type Identity, routes } from './index.js'
import { type ExampleName, launch, type RunningExample, startExample } from './process.js'

interface Route {
  readonly method: string
  readonly path: string
}

/** Declares the tests of `examples/<name>`. */
export function describeExample(name: ExampleName): void {
  describe(`examples/${name}`, () => {
    let issuer: TestIssuer
    let api: RunningExample
    const started: { stop(signal: NodeJS.Signals): Promise<unknown> }[] = []

    beforeAll(async () => {
      issuer = await createTestIssuer({ team: 'acme' })
      api = await startExample(name, {
        source: true,
        env: { OIDC_GATE_BASE_URL: issuer.url, OIDC_GATE_TEAM: 'acme' },
      })
      started.push(api)
    })

    afterAll(async () => {
      await Promise.all(started.map((p) => p.stop('SIGKILL')))
      await issuer?.close()
    })

    const call = (route: Route, token?: string, url = api.url) =>
      fetch(url + route.path, {
        method: route.method,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      })

    const web = vercelIds('acme', 'web')

    it('GET /health is public', async () => {
      const res = await call(routes.health)
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ ok: true })
    })

    it('GET /api/whoami answers the caller identity', async () => {
      const res = await call(routes.whoami, await issuer.mint())
      expect(res.status).toBe(200)
      expect(res.headers.get('cache-control')).toBe('no-store')
      expect(await res.json()).toEqual({
        owner: 'acme',
        project: 'web',
        projectId: web.projectId,
        environment: 'production',
      } satisfies Identity)

      const dev = await call(routes.whoami, await issuer.mint({ environment: 'development' }))
      expect(await dev.json()).toMatchObject({ environment: 'development', userId: web.userId })
    })

    it('GET /api/whoami without a token is 401 with bare Bearer and DPoP challenges', async () => {
      const res = await call(routes.whoami)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer, DPoP algs="ES256 EdDSA Ed25519 RS256 PS256"')
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await res.json()).toEqual({
        error: 'unauthorized',
        error_description: 'authentication required',
      })
    })

    it('an expired token is 401 invalid_token', async () => {
      const res = await call(routes.whoami, await issuer.mint({}, { expired: true }))
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
      expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'token expired' })
    })

    it('POST /api/deploy with a preview token is 403 insufficient_scope', async () => {
      const res = await call(routes.deploy, await issuer.mint({ environment: 'preview' }))
      expect(res.status).toBe(403)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope"/)
      expect(await res.json()).toEqual({
        error: 'insufficient_scope',
        error_description: 'the token does not grant access to this resource',
      })
    })

    it('POST /api/deploy with a production token deploys', async () => {
      const res = await call(routes.deploy, await issuer.mint())
      expect(res.status).toBe(200)
      expect(await res.json()).toEqual({ deployed: true, project: 'web' } satisfies Deployed)
    })

    it('stops cleanly on SIGTERM, exit code 0', async () => {
      const exit = await api.stop('SIGTERM')
      expect(exit).toEqual({ code: 0, signal: null })
      expect(api.stdout()).toContain('SIGTERM: stopped')
      expect(api.stderr()).toBe('')
    })

    it('without OIDC_GATE_BASE_URL, embeds a local issuer and prints a working curl command', async () => {
      const embedded = await startExample(name, { source: true })
      started.push(embedded)
      const line = await vi.waitFor(() => {
        const found = /^try: curl -H "Authorization: Bearer (\S+)" (\S+)$/m.exec(embedded.stdout())
        expect(found).not.toBeNull()
        return found!
      })
      expect(line[2]).toBe(embedded.url + routes.whoami.path)
      const res = await call(routes.whoami, line[1], embedded.url)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ owner: 'acme', project: 'web' })
      expect(await embedded.stop('SIGINT')).toEqual({ code: 0, signal: null })
    })

    it('refuses a bad configuration with one line and exit code 2', async () => {
      const bad = launch(name, { source: true, env: { OIDC_GATE_ISSUER_MODE: 'both' } })
      started.push(bad)
      expect(await bad.exited).toEqual({ code: 2, signal: null })
      expect(bad.stderr()).toBe('error: OIDC_GATE_ISSUER_MODE must be team or global\n')
    })
  })
}
