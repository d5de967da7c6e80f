import { createGate, oidc } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import * as dpop from 'dpop'
import * as oauth from 'oauth4webapi'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, FRAMEWORKS, type Order, startApp } from '../src/apps.js'

const NONCE_SECRET = 'interop-nonce-secret-at-least-32-bytes-long'
const CLIENT: oauth.Client = { client_id: 'client-1' }

let issuer: TestIssuer
beforeAll(async () => {
  issuer = await createTestIssuer({ profile: 'oidc' })
})
afterAll(() => issuer.close())

/** `GET url` through oauth4webapi with its DPoP handle (plain http is fine on 127.0.0.1). */
function resourceRequest(token: string, url: string, handle: oauth.DPoPHandle): Promise<Response> {
  return oauth.protectedResourceRequest(token, 'GET', new URL(url), undefined, undefined, {
    DPoP: handle,
    [oauth.allowInsecureRequests]: true,
  })
}

function gateFor(options: Parameters<typeof createGate>[0]['dpop'] = {}) {
  return createGate({
    issuers: [oidc({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri })],
    dpop: options,
  })
}

describe.each(FRAMEWORKS)('DPoP clients against %s', (framework) => {
  let app: App
  let nonceApp: App
  const gates: ReturnType<typeof gateFor>[] = []
  beforeAll(async () => {
    gates.push(gateFor(), gateFor({ nonce: { secrets: [NONCE_SECRET] } }))
    app = await startApp(framework, gates[0]!)
    nonceApp = await startApp(framework, gates[1]!)
  })
  afterAll(async () => {
    await app.close()
    await nonceApp.close()
    for (const gate of gates) gate.close()
  })

  it.each(['ES256', 'Ed25519', 'RS256', 'PS256'] as const)(
    'admits a proof made by the dpop package (%s)',
    async (alg) => {
      const keyPair = await dpop.generateKeyPair(alg)
      const token = await issuer.mint({}, { dpopKey: keyPair })
      const url = `${app.url}/orders/7`
      const proof = await dpop.generateProof(keyPair, url, 'GET', undefined, token)
      const response = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: proof } })
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({
        id: '7',
        sub: 'user-1',
        jkt: await dpop.calculateThumbprint(keyPair.publicKey),
      } satisfies Order)
      // The same proof again is a replay.
      const again = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop: proof } })
      expect(again.status).toBe(401)
      expect(again.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"')
    },
  )

  it('admits a request made by oauth4webapi’s protectedResourceRequest with a DPoP handle', async () => {
    const keyPair = await oauth.generateKeyPair('ES256')
    const token = await issuer.mint({}, { dpopKey: keyPair })
    const handle = oauth.DPoP(CLIENT, keyPair)
    const response = await resourceRequest(token, `${app.url}/orders/8`, handle)
    expect(response.status).toBe(200)
    expect(((await response.json()) as Order).jkt).toBe(await handle.calculateThumbprint())
  })

  it('lets oauth4webapi learn the server nonce from use_dpop_nonce and succeed on its retry', async () => {
    const keyPair = await oauth.generateKeyPair('ES256')
    const token = await issuer.mint({}, { dpopKey: keyPair })
    const handle = oauth.DPoP(CLIENT, keyPair)
    const call = () => resourceRequest(token, `${nonceApp.url}/orders/9`, handle)
    const first = await call().then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(oauth.isDPoPNonceError(first)).toBe(true)
    const response = await call()
    expect(response.status).toBe(200)
  })

  it('refuses a proof made by the dpop package for another URL', async () => {
    const keyPair = await dpop.generateKeyPair('ES256')
    const token = await issuer.mint({}, { dpopKey: keyPair })
    const proof = await dpop.generateProof(keyPair, `${app.url}/orders/1`, 'GET', undefined, token)
    const response = await fetch(`${app.url}/orders/2`, {
      headers: { authorization: `DPoP ${token}`, dpop: proof },
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'DPoP proof htu mismatch',
    })
  })
})
