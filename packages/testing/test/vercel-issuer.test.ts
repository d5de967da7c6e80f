import { connect } from 'node:net'
import {
  compactVerify,
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  jwtVerify,
} from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestIssuer, type TestIssuer, vercelIds } from '../src/index.js'

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0)
const NOW_S = NOW / 1000

async function getJson(url: string): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(url)
  return { status: res.status, headers: res.headers, body: await res.json() }
}

function verifyRemote(issuer: TestIssuer, token: string, audience = issuer.audience) {
  return jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
    issuer: issuer.issuer,
    audience,
    algorithms: ['RS256'],
  })
}

describe('Vercel profile, team mode', () => {
  let issuer: TestIssuer
  let fixed: TestIssuer

  beforeAll(async () => {
    ;[issuer, fixed] = await Promise.all([createTestIssuer(), createTestIssuer({ now: () => NOW })])
  })
  afterAll(async () => {
    await Promise.all([issuer.close(), fixed.close()])
  })

  it('exposes team-mode issuer, JWKS URI and audience derived from the team', () => {
    expect(issuer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(issuer.team).toBe('acme')
    expect(issuer.mode).toBe('team')
    expect(issuer.profile).toBe('vercel')
    expect(issuer.algorithm).toBe('RS256')
    expect(issuer.issuer).toBe(`${issuer.url}/acme`)
    expect(issuer.jwksUri).toBe(`${issuer.url}/acme/.well-known/jwks`)
    expect(issuer.audience).toBe('https://vercel.com/acme')
    expect(issuer.kid).toMatch(/^mrk-[0-9a-f]{32}$/)
  })

  it('serves team and global discovery documents whose issuer and jwks_uri match their path', async () => {
    const team = await getJson(`${issuer.url}/acme/.well-known/openid-configuration`)
    expect(team.status).toBe(200)
    expect(team.headers.get('content-type')).toBe('application/json')
    expect(team.body).toMatchObject({
      issuer: `${issuer.url}/acme`,
      jwks_uri: `${issuer.url}/acme/.well-known/jwks`,
      id_token_signing_alg_values_supported: ['RS256'],
    })
    const global = await getJson(`${issuer.url}/.well-known/openid-configuration`)
    expect(global.body).toMatchObject({ issuer: issuer.url, jwks_uri: `${issuer.url}/.well-known/jwks` })
  })

  it('serves the same public-only JWKS on both layouts with the default Cache-Control', async () => {
    const team = await getJson(`${issuer.url}/acme/.well-known/jwks`)
    const global = await getJson(`${issuer.url}/.well-known/jwks`)
    expect(team.status).toBe(200)
    expect(team.headers.get('content-type')).toBe('application/json')
    expect(team.headers.get('cache-control')).toBe('public, max-age=300')
    expect(global.body).toEqual(team.body)
    const { keys } = team.body as { keys: Record<string, unknown>[] }
    expect(keys).toHaveLength(1)
    expect(Object.keys(keys[0] ?? {})).toEqual(['kty', 'n', 'e', 'kid', 'alg', 'use'])
    expect(keys[0]).toMatchObject({ kty: 'RSA', e: 'AQAB', kid: issuer.kid, alg: 'RS256', use: 'sig' })
    // RSA-2048: 256-byte modulus, 342 base64url characters
    expect(String(keys[0]?.n)).toHaveLength(342)
  })

  it('serves any well-formed team path with the shared keys, like oidc.vercel.com', async () => {
    const other = await getJson(`${issuer.url}/other-team/.well-known/openid-configuration`)
    expect(other.body).toMatchObject({
      issuer: `${issuer.url}/other-team`,
      jwks_uri: `${issuer.url}/other-team/.well-known/jwks`,
    })
    const jwks = await getJson(`${issuer.url}/other-team/.well-known/jwks`)
    expect((jwks.body as { keys: { kid: string }[] }).keys[0]?.kid).toBe(issuer.kid)
  })

  it('changes or drops the JWKS Cache-Control header on request', async () => {
    const local = await createTestIssuer()
    try {
      local.setCacheControl('no-store')
      expect((await fetch(local.jwksUri)).headers.get('cache-control')).toBe('no-store')
      local.setCacheControl(null)
      expect((await fetch(local.jwksUri)).headers.get('cache-control')).toBeNull()
      expect(() => local.setCacheControl('a\r\nb')).toThrow(TypeError)
    } finally {
      await local.close()
    }
  })

  it('answers unknown paths with a JSON 404 and wrong methods with a 405', async () => {
    for (const path of [
      '/',
      '/jwks',
      '/acme/.well-known/jwks/',
      '/ACME/.well-known/jwks',
      '/a/b/.well-known/jwks',
    ]) {
      const res = await fetch(`${issuer.url}${path}`)
      expect(res.status, path).toBe(404)
      expect(await res.json()).toEqual({ error: 'not_found' })
    }
    const post = await fetch(issuer.jwksUri, { method: 'POST', body: '{}' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    const get = await fetch(`${issuer.url}/~token`)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
  })

  it('survives odd request targets and garbage on the socket', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(issuer.url).port), '127.0.0.1')
      let data = ''
      socket.on('data', (chunk) => {
        data += chunk.toString()
      })
      socket.on('end', () => resolve(data))
      socket.on('error', reject)
      socket.write('OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    })
    expect(reply).toMatch(/^HTTP\/1\.1 404/)
    const garbage = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(issuer.url).port), '127.0.0.1')
      let data = ''
      socket.on('data', (chunk) => {
        data += chunk.toString()
      })
      socket.on('close', () => resolve(data))
      socket.on('error', reject)
      socket.write('\x00\x01 not http at all\r\n\r\n')
    })
    expect(garbage).toMatch(/^HTTP\/1\.1 400/)
    expect((await fetch(issuer.jwksUri)).status).toBe(200)
  })

  it('mints tokens that verify over HTTP with the exact issuer and audience', async () => {
    const token = await issuer.mint()
    const { payload, protectedHeader } = await verifyRemote(issuer, token)
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: issuer.kid })
    expect(payload.iss).toBe(issuer.issuer)
    await expect(
      jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), { issuer: `${issuer.url}/acme-evil` }),
    ).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed)
  })

  it('mints Vercel-shaped claims by default, in Vercel order', async () => {
    const token = await fixed.mint()
    const ids = vercelIds('acme', 'web')
    const sub = 'owner:acme:project:web:environment:production'
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', typ: 'JWT', kid: fixed.kid })
    const claims = decodeJwt(token)
    expect(claims).toEqual({
      iss: fixed.issuer,
      sub,
      scope: sub,
      aud: 'https://vercel.com/acme',
      owner: 'acme',
      owner_id: ids.ownerId,
      project: 'web',
      project_id: ids.projectId,
      environment: 'production',
      plan: 'pro',
      nbf: NOW_S,
      iat: NOW_S,
      exp: NOW_S + 3600,
    })
    expect(Object.keys(claims)).toEqual([
      'iss',
      'sub',
      'scope',
      'aud',
      'owner',
      'owner_id',
      'project',
      'project_id',
      'environment',
      'plan',
      'nbf',
      'iat',
      'exp',
    ])
    expect(ids.ownerId).toMatch(/^team_[A-Za-z0-9]{24}$/)
    expect(ids.projectId).toMatch(/^prj_[A-Za-z0-9]{28}$/)
  })

  it('derives sub, scope and ids from overridden project and environment', async () => {
    const claims = decodeJwt(await fixed.mint({ project: 'api', environment: 'preview' }))
    expect(claims).toMatchObject({
      sub: 'owner:acme:project:api:environment:preview',
      scope: 'owner:acme:project:api:environment:preview',
      project: 'api',
      project_id: vercelIds('acme', 'api').projectId,
      environment: 'preview',
    })
    expect(claims.user_id).toBeUndefined()
    expect(vercelIds('acme', 'api').projectId).not.toBe(vercelIds('acme', 'web').projectId)
  })

  it('mints a token of another team that keeps this issuer and audience', async () => {
    const claims = decodeJwt(await fixed.mint({ owner: 'other-team' }))
    expect(claims).toMatchObject({
      iss: fixed.issuer,
      aud: 'https://vercel.com/acme',
      owner: 'other-team',
      owner_id: vercelIds('other-team').ownerId,
      project_id: vercelIds('other-team', 'web').projectId,
      sub: 'owner:other-team:project:web:environment:production',
    })
    expect(vercelIds('other-team').ownerId).not.toBe(vercelIds('acme').ownerId)
  })

  it('adds a stable user_id to development tokens unless one is given', async () => {
    const dev = decodeJwt(await fixed.mint({ environment: 'development' }))
    expect(dev.user_id).toBe(vercelIds('acme').userId)
    expect(dev.user_id).toMatch(/^usr_[A-Za-z0-9]{24}$/)
    const own = decodeJwt(await fixed.mint({ environment: 'development', user_id: 'usr_9' }))
    expect(own.user_id).toBe('usr_9')
  })

  it('keeps an explicit sub and lets scope follow it', async () => {
    const claims = decodeJwt(await fixed.mint({ sub: 'custom-subject', project: 'api' }))
    expect(claims.sub).toBe('custom-subject')
    expect(claims.scope).toBe('custom-subject')
    const both = decodeJwt(await fixed.mint({ sub: 's', scope: 'other' }))
    expect(both.scope).toBe('other')
  })

  it('lets claims override any default, add new ones, and leaves out omitted or undefined ones', async () => {
    const claims = decodeJwt(
      await fixed.mint(
        {
          iss: 'https://oidc.vercel.com/acme',
          aud: ['a', 'b'],
          custom_environment_id: 'env_1',
          extra: { x: 1 },
          plan: undefined,
        },
        { omit: ['nbf', 'scope'] },
      ),
    )
    expect(claims).toMatchObject({
      iss: 'https://oidc.vercel.com/acme',
      aud: ['a', 'b'],
      custom_environment_id: 'env_1',
      extra: { x: 1 },
    })
    expect(claims).not.toHaveProperty('nbf')
    expect(claims).not.toHaveProperty('scope')
    expect(claims).not.toHaveProperty('plan')
  })

  it('applies ttl, expired and notYetValid relative to the clock', async () => {
    expect(decodeJwt(await fixed.mint({}, { ttl: 60 }))).toMatchObject({
      iat: NOW_S,
      nbf: NOW_S,
      exp: NOW_S + 60,
    })
    expect(decodeJwt(await fixed.mint({}, { expired: true }))).toMatchObject({
      iat: NOW_S - 7200,
      nbf: NOW_S - 7200,
      exp: NOW_S - 3600,
    })
    expect(decodeJwt(await fixed.mint({}, { notYetValid: true }))).toMatchObject({
      iat: NOW_S,
      nbf: NOW_S + 3600,
      exp: NOW_S + 7200,
    })
  })

  it('mints expired and not-yet-valid tokens that a verifier refuses', async () => {
    await expect(verifyRemote(issuer, await issuer.mint({}, { expired: true }))).rejects.toBeInstanceOf(
      errors.JWTExpired,
    )
    const early = verifyRemote(issuer, await issuer.mint({}, { notYetValid: true }))
    await expect(early).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed)
    await expect(early).rejects.toMatchObject({ claim: 'nbf' })
  })

  it('merges header overrides and removes header members set to undefined', async () => {
    const token = await fixed.mint({}, { header: { typ: 'at+jwt', kid: 'other', x5u: 'https://evil.test' } })
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'RS256',
      typ: 'at+jwt',
      kid: 'other',
      x5u: 'https://evil.test',
    })
    const noKid = await fixed.mint({}, { header: { kid: undefined } })
    expect(decodeProtectedHeader(noKid)).toEqual({ alg: 'RS256', typ: 'JWT' })
  })

  it('rejects bad mint options with a TypeError naming the option', async () => {
    await expect(fixed.mint({}, { ttl: 0 })).rejects.toThrow(/options\.ttl/)
    await expect(fixed.mint({}, { expired: true, notYetValid: true })).rejects.toThrow(TypeError)
    await expect(fixed.mint({}, { tll: 5 } as never)).rejects.toThrow(/"tll"/)
    await expect(fixed.mint({}, { key: 'previous' })).rejects.toThrow(/rotate\(\)/)
  })

  it('signs raw JWS with no defaults and a verbatim payload', async () => {
    const payload = '{"sub":"a","sub":"b"}'
    const token = await issuer.sign({ alg: 'RS256', kid: issuer.kid }, payload)
    const [h, p] = token.split('.')
    expect(JSON.parse(Buffer.from(h ?? '', 'base64url').toString())).toEqual({
      alg: 'RS256',
      kid: issuer.kid,
    })
    expect(Buffer.from(p ?? '', 'base64url').toString()).toBe(payload)
    const jwks = createLocalJWKSet((await getJson(issuer.jwksUri)).body as { keys: never[] })
    const verified = await compactVerify(token, jwks)
    expect(new TextDecoder().decode(verified.payload)).toBe(payload)
  })

  it('signs headers a JOSE library would refuse to produce, for attack tokens', async () => {
    const jwks = createLocalJWKSet((await getJson(issuer.jwksUri)).body as { keys: never[] })
    const crit = await issuer.sign({ alg: 'RS256', kid: issuer.kid, crit: ['exp'] }, { sub: 'x' })
    expect(decodeProtectedHeader(crit)).toEqual({ alg: 'RS256', kid: issuer.kid, crit: ['exp'] })
    await expect(compactVerify(crit, jwks)).rejects.toBeInstanceOf(errors.JOSENotSupported)
    const lying = await issuer.sign({ alg: 'HS256' }, { sub: 'x' })
    expect(decodeProtectedHeader(lying)).toEqual({ alg: 'HS256' })
  })
})

describe('Vercel profile, global mode', () => {
  it('uses the origin as issuer and its root JWKS, both layouts still served', async () => {
    const issuer = await createTestIssuer({ team: 'my-team-2', mode: 'global' })
    try {
      expect(issuer.issuer).toBe(issuer.url)
      expect(issuer.jwksUri).toBe(`${issuer.url}/.well-known/jwks`)
      expect(issuer.audience).toBe('https://vercel.com/my-team-2')
      const { payload } = await verifyRemote(issuer, await issuer.mint())
      expect(payload).toMatchObject({ iss: issuer.url, owner: 'my-team-2' })
      const team = await getJson(`${issuer.url}/my-team-2/.well-known/openid-configuration`)
      expect((team.body as { issuer: string }).issuer).toBe(`${issuer.url}/my-team-2`)
    } finally {
      await issuer.close()
    }
  })
})

describe('key rotation', () => {
  it('publishes new and previous keys during overlap, so tokens of both verify', async () => {
    const issuer = await createTestIssuer()
    try {
      const oldKid = issuer.kid
      const oldToken = await issuer.mint()
      const newKid = await issuer.rotate()
      expect(newKid).not.toBe(oldKid)
      expect(issuer.kid).toBe(newKid)
      const jwks = (await getJson(issuer.jwksUri)).body as { keys: { kid: string }[] }
      expect(jwks.keys.map((k) => k.kid)).toEqual([newKid, oldKid])
      const newToken = await issuer.mint()
      const previousToken = await issuer.mint({}, { key: 'previous' })
      expect(decodeProtectedHeader(newToken).kid).toBe(newKid)
      expect(decodeProtectedHeader(previousToken).kid).toBe(oldKid)
      for (const token of [oldToken, newToken, previousToken]) await verifyRemote(issuer, token)
    } finally {
      await issuer.close()
    }
  })

  it('drops the previous key from the JWKS with keepPrevious false, so its tokens fail', async () => {
    const issuer = await createTestIssuer()
    try {
      const oldToken = await issuer.mint()
      const newKid = await issuer.rotate({ keepPrevious: false })
      const jwks = (await getJson(issuer.jwksUri)).body as { keys: { kid: string }[] }
      expect(jwks.keys.map((k) => k.kid)).toEqual([newKid])
      await verifyRemote(issuer, await issuer.mint())
      await expect(verifyRemote(issuer, oldToken)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
    } finally {
      await issuer.close()
    }
  })

  it('keeps at most the current and the previous key across several rotations', async () => {
    const issuer = await createTestIssuer()
    try {
      const first = issuer.kid
      const second = await issuer.rotate()
      const third = await issuer.rotate()
      const jwks = (await getJson(issuer.jwksUri)).body as { keys: { kid: string }[] }
      expect(jwks.keys.map((k) => k.kid)).toEqual([third, second])
      expect(jwks.keys.map((k) => k.kid)).not.toContain(first)
    } finally {
      await issuer.close()
    }
  })

  it('removes a key from the JWKS on request while it can still sign', async () => {
    const issuer = await createTestIssuer()
    try {
      const oldKid = issuer.kid
      await issuer.rotate()
      issuer.removeKey(oldKid)
      const jwks = (await getJson(issuer.jwksUri)).body as { keys: { kid: string }[] }
      expect(jwks.keys.map((k) => k.kid)).toEqual([issuer.kid])
      const orphan = await issuer.mint({}, { key: 'previous' })
      await expect(verifyRemote(issuer, orphan)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey)
      issuer.removeKey('unknown-kid')
    } finally {
      await issuer.close()
    }
  })
})

describe('counters', () => {
  it('counts JWKS, discovery and exchange requests live, and resets them', async () => {
    const issuer = await createTestIssuer()
    try {
      const { requests } = issuer
      await fetch(issuer.jwksUri)
      await fetch(`${issuer.url}/.well-known/jwks`)
      await fetch(`${issuer.url}/acme/.well-known/openid-configuration`)
      await fetch(`${issuer.url}/~token`, { method: 'POST', body: 'nope' })
      await fetch(`${issuer.url}/nowhere`)
      expect(requests).toEqual({ jwks: 2, discovery: 1, exchange: 1, token: 0 })
      expect({ ...issuer.requests }).toEqual({ jwks: 2, discovery: 1, exchange: 1, token: 0 })
      issuer.resetCounters()
      expect(requests.jwks).toBe(0)
      expect(issuer.requests).toEqual({ jwks: 0, discovery: 0, exchange: 0, token: 0 })
    } finally {
      await issuer.close()
    }
  })
})

describe('key export and restart', () => {
  it('restarts on the same port with the same keys, so earlier tokens still verify', async () => {
    const first = await createTestIssuer({ team: 'acme' })
    const port = Number(new URL(first.url).port)
    await first.rotate()
    const token = await first.mint()
    const previousToken = await first.mint({}, { key: 'previous' })
    const file = JSON.parse(JSON.stringify(first.exportKeys()))
    expect(file).toMatchObject({ version: 1, algorithm: 'RS256', current: first.kid })
    expect(file.keys).toHaveLength(2)
    const kid = first.kid
    await first.close()

    const second = await createTestIssuer({ team: 'acme', port, keys: file })
    try {
      expect(second.url).toBe(first.url)
      expect(second.kid).toBe(kid)
      await verifyRemote(second, token)
      await verifyRemote(second, previousToken)
      await verifyRemote(second, await second.mint({}, { key: 'previous' }))
      expect(second.exportKeys()).toEqual(file)
    } finally {
      await second.close()
    }
  })

  it('refuses key files that are malformed or of another algorithm', async () => {
    const oidc = await createTestIssuer({ profile: 'oidc', algorithm: 'ES256' })
    const file = oidc.exportKeys()
    await oidc.close()
    await expect(createTestIssuer({ keys: file })).rejects.toThrow(/options\.keys/)
    await expect(createTestIssuer({ keys: { ...file, current: 'nope' } })).rejects.toThrow(/options\.keys/)
    await expect(createTestIssuer({ keys: {} as never })).rejects.toThrow(TypeError)
    const restored = await createTestIssuer({ profile: 'oidc', keys: file })
    expect(restored.algorithm).toBe('ES256')
    expect(restored.kid).toBe(file.current)
    await restored.close()
  })
})

describe('options and lifecycle', () => {
  it('rejects invalid options with a TypeError naming the option', async () => {
    await expect(createTestIssuer({ team: 'Acme' })).rejects.toThrow(/options\.team/)
    await expect(createTestIssuer({ team: 'a/b' })).rejects.toThrow(TypeError)
    await expect(createTestIssuer({ algorithm: 'ES256' })).rejects.toThrow(/options\.algorithm/)
    await expect(createTestIssuer({ port: -1 })).rejects.toThrow(/options\.port/)
    await expect(createTestIssuer({ mode: 'both' as never })).rejects.toThrow(/options\.mode/)
    await expect(createTestIssuer({ teem: 'x' } as never)).rejects.toThrow(/"teem"/)
  })

  it('frees its port on close and is safe to close twice', async () => {
    const issuer = await createTestIssuer()
    const port = Number(new URL(issuer.url).port)
    await fetch(issuer.jwksUri) // leaves a keep-alive connection open
    await issuer.close()
    await issuer.close()
    await expect(fetch(issuer.jwksUri)).rejects.toThrow(TypeError)
    const again = await createTestIssuer({ port })
    expect(again.url).toBe(issuer.url)
    await again.close()
  })
})
