import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createTestIssuer, DEFAULT_OVERSIZED_BYTES, type TestIssuer } from '../src/index.js'

describe('fault injection on the key endpoints', () => {
  let issuer: TestIssuer

  beforeAll(async () => {
    issuer = await createTestIssuer()
  })
  afterEach(() => {
    issuer.setFault(null)
    issuer.resetCounters()
  })
  afterAll(async () => {
    await issuer.close()
  })

  it('delays the JWKS and then answers normally', async () => {
    issuer.setFault({ kind: 'delay', ms: 300 })
    const started = performance.now()
    const res = await fetch(issuer.jwksUri)
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(290)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { keys: { kid: string }[] }).keys[0]?.kid).toBe(issuer.kid)
  })

  it('answers the injected status with a small JSON body, on JWKS and discovery alike', async () => {
    issuer.setFault({ kind: 'status', status: 503 })
    for (const url of [
      issuer.jwksUri,
      `${issuer.url}/.well-known/jwks`,
      `${issuer.issuer}/.well-known/openid-configuration`,
    ]) {
      const res = await fetch(url)
      expect(res.status, url).toBe(503)
      expect(res.headers.get('content-type')).toBe('application/json')
      expect(await res.json()).toEqual({ error: 'injected_fault', status: 503 })
    }
    expect(issuer.requests).toEqual({ jwks: 2, discovery: 1, exchange: 0, token: 0 })
  })

  it('answers truncated JSON that fails to parse', async () => {
    issuer.setFault({ kind: 'invalid-json' })
    const res = await fetch(issuer.jwksUri)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json')
    const text = await res.text()
    expect(text).toBe('{"keys":[')
    expect(() => JSON.parse(text)).toThrow(SyntaxError)
  })

  it('answers a 1 MiB body by default, of exactly the requested size otherwise', async () => {
    issuer.setFault({ kind: 'oversized' })
    const big = await fetch(issuer.jwksUri)
    expect(big.headers.get('content-length')).toBe(String(DEFAULT_OVERSIZED_BYTES))
    const body = await big.text()
    expect(Buffer.byteLength(body)).toBe(1024 * 1024)
    expect(JSON.parse(body)).toMatchObject({ keys: [] })

    issuer.setFault({ kind: 'oversized', bytes: 300_000, chunked: true })
    const chunked = await fetch(issuer.jwksUri)
    expect(chunked.headers.get('content-length')).toBeNull()
    expect(chunked.headers.get('transfer-encoding')).toBe('chunked')
    expect((await chunked.arrayBuffer()).byteLength).toBe(300_000)
  })

  it('resets the connection without a response, so fetch fails', async () => {
    issuer.setFault({ kind: 'reset' })
    await expect(fetch(issuer.jwksUri)).rejects.toThrow(TypeError)
    await expect(fetch(`${issuer.url}/.well-known/openid-configuration`)).rejects.toThrow(TypeError)
    expect(issuer.requests).toMatchObject({ jwks: 1, discovery: 1 })
  })

  it('switches faults at run time and leaves other routes alone', async () => {
    issuer.setFault({ kind: 'status', status: 500 })
    expect((await fetch(issuer.jwksUri)).status).toBe(500)
    expect((await fetch(`${issuer.url}/nowhere`)).status).toBe(404)
    const exchange = await fetch(`${issuer.url}/~token`, { method: 'POST', body: '{}' })
    expect(exchange.status).toBe(400)
    issuer.setFault(null)
    expect((await fetch(issuer.jwksUri)).status).toBe(200)
  })

  it('rejects malformed faults with a TypeError', () => {
    expect(() => issuer.setFault({ kind: 'delay', ms: -1 })).toThrow(TypeError)
    expect(() => issuer.setFault({ kind: 'status', status: 99 })).toThrow(TypeError)
    expect(() => issuer.setFault({ kind: 'oversized', bytes: 1 })).toThrow(TypeError)
    expect(() => issuer.setFault({ kind: 'explode' } as never)).toThrow(/fault\.kind/)
  })

  it('closes promptly even while a delayed response is pending', async () => {
    const local = await createTestIssuer()
    local.setFault({ kind: 'delay', ms: 60_000 })
    const pending = fetch(local.jwksUri).then(
      () => 'answered',
      () => 'failed',
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    const started = performance.now()
    await local.close()
    expect(performance.now() - started).toBeLessThan(1000)
    expect(await pending).toBe('failed')
  })
})
