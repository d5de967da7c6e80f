import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestIssuer, type TestIssuer } from '../src/index.js'

interface ExchangeReply {
  status: number
  headers: Headers
  body: Record<string, unknown>
}

async function exchange(issuer: TestIssuer, body: unknown, raw = false): Promise<ExchangeReply> {
  const res = await fetch(`${issuer.url}/~token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ? (body as string) : JSON.stringify(body),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> }
}

describe('token exchange (POST /~token)', () => {
  let clock = Date.now()
  let team: TestIssuer
  let global: TestIssuer

  beforeAll(async () => {
    ;[team, global] = await Promise.all([
      createTestIssuer({ now: () => clock }),
      createTestIssuer({ mode: 'global', now: () => clock }),
    ])
  })
  afterAll(async () => {
    await Promise.all([team.close(), global.close()])
  })

  it('keeps the subject claims and exp, replaces aud, adds act, a fresh iat and the jti', async () => {
    const subjectToken = await team.mint({ environment: 'preview' })
    const subject = decodeJwt(subjectToken)
    clock += 5_000
    const reply = await exchange(team, { token: subjectToken, aud: 'https://api.acme.test', jti: 'req-1' })
    expect(reply.status).toBe(200)
    expect(reply.headers.get('cache-control')).toBe('no-store')
    const token = String(reply.body.token)
    expect(reply.body.expiry).toBe(subject.exp)
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: team.kid })
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(team.jwksUri)), {
      issuer: team.issuer,
      audience: 'https://api.acme.test',
      algorithms: ['RS256'],
      currentDate: new Date(clock),
    })
    const iat = Math.floor(clock / 1000)
    expect(payload).toEqual({
      ...subject,
      aud: 'https://api.acme.test',
      iat,
      nbf: iat,
      act: { sub: subject.sub, aud: subject.aud, iat: subject.iat },
      jti: 'req-1',
    })
    expect(payload.iat).toBeGreaterThan(subject.iat ?? 0)
  })

  it('issues the team iss even for a global-mode subject token', async () => {
    const subjectToken = await global.mint()
    expect(decodeJwt(subjectToken).iss).toBe(global.url)
    const reply = await exchange(global, { token: subjectToken, aud: 'https://api.acme.test' })
    expect(reply.status).toBe(200)
    const payload = decodeJwt(String(reply.body.token))
    expect(payload.iss).toBe(`${global.url}/acme`)
    expect(payload).not.toHaveProperty('jti')
  })

  it('accepts a subject signed by the previous key while it is still published', async () => {
    const local = await createTestIssuer()
    try {
      const subjectToken = await local.mint()
      await local.rotate()
      const reply = await exchange(local, { token: subjectToken, aud: 'x' })
      expect(reply.status).toBe(200)
      expect(decodeProtectedHeader(String(reply.body.token)).kid).toBe(local.kid)
    } finally {
      await local.close()
    }
  })

  it('refuses an expired subject token with 401 invalid_token', async () => {
    const reply = await exchange(team, { token: await team.mint({}, { expired: true }), aud: 'x' })
    expect(reply.status).toBe(401)
    expect(reply.body.error).toBe('invalid_token')
  })

  it('refuses forged, tampered and foreign subject tokens with 401', async () => {
    const { privateKey } = await generateKeyPair('RS256')
    const genuine = decodeJwt(await team.mint())
    const forged = await new SignJWT(genuine)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: team.kid })
      .sign(privateKey)
    const [h, , s] = (await team.mint()).split('.')
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...genuine, owner: 'evil' })).toString('base64url')}.${s}`
    const foreignIss = await team.mint({ iss: `${team.url}/acme-evil` })
    const noExp = await team.mint({}, { omit: ['exp'] })
    for (const token of [forged, tampered, foreignIss, noExp, 'not.a.jwt']) {
      const reply = await exchange(team, { token, aud: 'x' })
      expect(reply.status).toBe(401)
      expect(reply.body.error).toBe('invalid_token')
    }
  })

  it('refuses a subject signed by a key no longer in the JWKS', async () => {
    const local = await createTestIssuer()
    try {
      const subjectToken = await local.mint()
      await local.rotate({ keepPrevious: false })
      expect((await exchange(local, { token: subjectToken, aud: 'x' })).status).toBe(401)
    } finally {
      await local.close()
    }
  })

  it('answers 400 invalid_request to malformed bodies', async () => {
    const token = await team.mint()
    const bodies: [unknown, boolean][] = [
      ['{"token":', true],
      ['', true],
      [[token, 'x'], false],
      ['just a string', false],
      [{ aud: 'x' }, false],
      [{ token, aud: '' }, false],
      [{ token, aud: ['x'] }, false],
      [{ token: 42, aud: 'x' }, false],
      [{ token, aud: 'x', jti: 7 }, false],
    ]
    for (const [body, raw] of bodies) {
      const reply = await exchange(team, body, raw)
      expect(reply.status, JSON.stringify(body)).toBe(400)
      expect(reply.body.error).toBe('invalid_request')
      expect(typeof reply.body.error_description).toBe('string')
    }
  })

  it('answers 413 to a body over 64 KiB and keeps serving', async () => {
    const reply = await exchange(team, { token: 'x'.repeat(70_000), aud: 'x' })
    expect(reply.status).toBe(413)
    expect(reply.body.error).toBe('invalid_request')
    expect((await fetch(team.jwksUri)).status).toBe(200)
  })

  it('counts every exchange request', async () => {
    const local = await createTestIssuer()
    try {
      await exchange(local, { token: await local.mint(), aud: 'x' })
      await exchange(local, 'nope', true)
      expect(local.requests).toEqual({ jwks: 0, discovery: 0, exchange: 2, token: 0 })
    } finally {
      await local.close()
    }
  })
})
