/**
 * `websocketGate()` on real sockets: a refused upgrade is an HTTP answer written on the socket before
 * any 101 (status, challenge, JSON body), then the connection closes; an admitted one echoes the
 * application's subprotocol, never the token; a client that resets mid-authentication crashes nothing;
 * `closeOnExpiry()` closes with 1008 on the gate's clock and leaves no timer behind.
 */

import { EventEmitter } from 'node:events'
import { connect } from 'node:net'
import type { TestIssuer } from '@oidc-gate/testing'
import { vercelIds } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  type Auth,
  bearerProtocol,
  createGate,
  type Gate,
  POLICY_VIOLATION,
  refuseUpgrade,
  type VercelAuth,
  type VercelClaims,
  vercel,
  websocketGate,
} from '../src/index.js'
import {
  type AcmeFixture,
  acmeFixture,
  sendUpgrade,
  startUpgradeServer,
  UPGRADE_LINES,
  type UpgradeServer,
} from './websocket-helpers.js'

let fixture: AcmeFixture
let issuer: TestIssuer
let gate: Gate<VercelClaims>
let server: UpgradeServer
let token: string
const web = vercelIds('acme', 'web')

beforeAll(async () => {
  fixture = await acmeFixture()
  ;({ issuer, gate, token } = fixture)
  server = await startUpgradeServer(websocketGate(gate, { protocols: ['chat.v1'] }))
})

afterAll(async () => {
  await server.close()
  await fixture.close()
})

const protocols = (...names: string[]) => ['Sec-WebSocket-Protocol', names.join(', ')]

describe('a refused upgrade is an HTTP answer on the socket, before any 101', () => {
  it('answers 401 with the bare challenge and the JSON body when no token is offered', async () => {
    const answer = await sendUpgrade(server.url, protocols('chat.v1'))
    expect(answer.status).toBe(401)
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="api"(, DPoP |$)/)
    expect(answer.headers).toMatchObject({
      'content-type': 'application/json',
      'cache-control': 'no-store',
      connection: 'close',
      'content-length': String(Buffer.byteLength(answer.body)),
    })
    expect(JSON.parse(answer.body)).toEqual({
      error: 'unauthorized',
      error_description: 'authentication required',
    })
  })

  it('answers 401 invalid_token for an expired token in the subprotocol', async () => {
    const expired = await issuer.mint({}, { expired: true })
    const answer = await sendUpgrade(server.url, protocols(bearerProtocol(expired), 'chat.v1'))
    expect(answer.status).toBe(401)
    expect(answer.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/)
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_token' })
    expect(answer.body).not.toContain(expired)
  })

  it('answers 400 invalid_request for two tokens, and for a token in both places', async () => {
    for (const lines of [
      protocols(bearerProtocol(token), bearerProtocol(`${token}x`), 'chat.v1'),
      ['Authorization', `Bearer ${token}`, ...protocols(bearerProtocol(token), 'chat.v1')],
      ['Authorization', `Bearer ${token}`, 'Authorization', `Bearer ${token}`],
    ]) {
      const answer = await sendUpgrade(server.url, lines)
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_request' })
    }
  })

  it('answers 503 with Retry-After when the keys cannot be fetched', async () => {
    const cold = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })], cache: false })
    const coldServer = await startUpgradeServer(websocketGate(cold, { protocols: ['chat.v1'] }))
    issuer.setFault({ kind: 'status', status: 500 })
    try {
      const answer = await sendUpgrade(coldServer.url, protocols(bearerProtocol(token), 'chat.v1'))
      expect(answer.status).toBe(503)
      expect(answer.headers['retry-after']).toMatch(/^[1-9]\d*$/)
      expect(JSON.parse(answer.body)).toMatchObject({ error: 'temporarily_unavailable' })
    } finally {
      issuer.setFault(null)
      await coldServer.close()
      cold.close()
    }
  })

  it('closes the connection after the answer', async () => {
    const { port } = new URL(server.url)
    const socket = connect(Number(port), '127.0.0.1')
    let received = ''
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk
    })
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    const lines = [...UPGRADE_LINES]
    let head = 'GET /ws HTTP/1.1\r\n'
    for (let i = 0; i < lines.length; i += 2) head += `${lines[i]}: ${lines[i + 1]}\r\n`
    socket.write(`${head}\r\n`)
    await closed
    expect(received).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/)
    expect(received.endsWith('"error_description":"authentication required"}')).toBe(true)
  })

  it('refuseUpgrade() answers anything that is not a GateError as a bare 401 invalid_token, no detail', async () => {
    const { createServer } = await import('node:http')
    const plain = createServer()
    plain.on('upgrade', (_req, socket) => refuseUpgrade(socket, new Error('secret stack detail')))
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve))
    try {
      const address = plain.address() as { port: number }
      const answer = await sendUpgrade(`http://127.0.0.1:${address.port}`, [])
      expect(answer.status).toBe(401)
      expect(JSON.parse(answer.body)).toEqual({
        error: 'invalid_token',
        error_description: 'token could not be verified',
      })
      expect(answer.body).not.toContain('secret')
    } finally {
      plain.closeAllConnections()
      await new Promise((resolve) => plain.close(resolve))
    }
  })
})

describe('an admitted upgrade', () => {
  it("gets a 101 that echoes the application's subprotocol, never the token", async () => {
    const before = server.admitted.length
    const answer = await sendUpgrade(server.url, protocols(bearerProtocol(token), 'chat.v1'))
    expect(answer.status).toBe(101)
    expect(answer.headers['sec-websocket-protocol']).toBe('chat.v1')
    expect(JSON.stringify(answer.headers)).not.toContain(token)
    expect((server.admitted[before] as VercelAuth | undefined)?.vercel.projectId).toBe(web.projectId)
  })

  it('gets a 101 without a subprotocol when the token came in Authorization and none was offered', async () => {
    const answer = await sendUpgrade(server.url, ['Authorization', `Bearer ${token}`])
    expect(answer.status).toBe(101)
    expect(answer.headers['sec-websocket-protocol']).toBeUndefined()
  })
})

describe('a client that leaves while the gate works', () => {
  for (const [name, lines] of [
    ['with a valid token', () => protocols(bearerProtocol(token), 'chat.v1')],
    ['without a token', () => protocols('chat.v1')],
  ] as const) {
    it(`crashes nothing and upgrades nothing when it resets the connection (${name})`, async () => {
      // A gate without cached keys waits for the (slowed) JWKS: the client resets meanwhile.
      const cold = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })], cache: false })
      const slow = await startUpgradeServer(websocketGate(cold, { protocols: ['chat.v1'] }))
      issuer.setFault({ kind: 'delay', ms: 300 })
      try {
        const socket = connect(Number(new URL(slow.url).port), '127.0.0.1')
        const all = [...UPGRADE_LINES, ...lines()]
        let head = 'GET /ws HTTP/1.1\r\n'
        for (let i = 0; i < all.length; i += 2) head += `${all[i]}: ${all[i + 1]}\r\n`
        socket.on('error', () => {})
        socket.write(`${head}\r\n`, () => setTimeout(() => socket.resetAndDestroy(), 50))
        await vi.waitFor(() => expect(slow.admitted).toHaveLength(1), { timeout: 3000 })
        expect(slow.admitted[0]).toBeUndefined()
      } finally {
        issuer.setFault(null)
        await slow.close()
        cold.close()
      }
    })
  }
})

/** A connection shaped like `ws`'s WebSocket: `close(code, reason)` and a `close` event. */
class Connection extends EventEmitter {
  readyState = 1
  closed: [number | undefined, string | undefined] | undefined
  close(code?: number, reason?: string): void {
    this.closed = [code, reason]
    this.readyState = 3
    this.emit('close')
  }
}

const timeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length

describe('closeOnExpiry() closes the connection when the token expires', () => {
  it('closes with 1008 "token expired" when exp passes on the gate clock', async () => {
    // The gate's clock runs 300 ms short of the token's exp: the connection must close in ~300 ms.
    const exp = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).exp as number
    const skew = exp * 1000 - 300 - Date.now()
    const late = createGate({
      issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
      clock: () => Date.now() + skew,
    })
    try {
      const upgrades = websocketGate(late)
      const auth = await late.verify(token)
      const connection = new Connection()
      const started = Date.now()
      upgrades.closeOnExpiry(connection, auth)
      expect(connection.closed).toBeUndefined()
      await vi.waitFor(() => expect(connection.closed).toEqual([POLICY_VIOLATION, 'token expired']), {
        timeout: 2000,
        interval: 20,
      })
      expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    } finally {
      late.close()
    }
  })

  it('closes at once a connection whose token expired within the clock tolerance', async () => {
    const exp = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).exp as number
    const past = createGate({
      issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
      clockTolerance: 5,
      clock: () => exp * 1000 + 2000,
    })
    try {
      const auth = await past.verify(token)
      const connection = new Connection()
      websocketGate(past).closeOnExpiry(connection, auth)
      expect(connection.closed).toEqual([1008, 'token expired'])
    } finally {
      past.close()
    }
  })

  it('clears its timer when the connection closes first: no handle is left', async () => {
    const auth = await gate.verify(token)
    const before = timeouts()
    const connection = new Connection()
    websocketGate(gate).closeOnExpiry(connection, auth)
    expect(timeouts()).toBe(before + 1)
    connection.close(1000, 'bye')
    expect(timeouts()).toBe(before)
    expect(connection.closed).toEqual([1000, 'bye'])
  })

  it('returns a function that cancels the timer', async () => {
    const auth = await gate.verify(token)
    const before = timeouts()
    const stop = websocketGate(gate).closeOnExpiry(new Connection(), auth)
    expect(timeouts()).toBe(before + 1)
    stop()
    expect(timeouts()).toBe(before)
  })

  it('listens with addEventListener on Web-standard sockets', async () => {
    const auth = await gate.verify(token)
    const before = timeouts()
    const target = new EventTarget()
    const connection = {
      readyState: 1,
      addEventListener: target.addEventListener.bind(target),
      close: () => target.dispatchEvent(new Event('close')),
    }
    websocketGate(gate).closeOnExpiry(connection, auth)
    expect(timeouts()).toBe(before + 1)
    connection.close()
    expect(timeouts()).toBe(before)
  })

  it('sets no timer for a connection already closing or closed, nor for a token without exp', async () => {
    const auth = await gate.verify(token)
    const before = timeouts()
    const closing = Object.assign(new Connection(), { readyState: 2 })
    websocketGate(gate).closeOnExpiry(closing, auth)
    const noExp = { ...auth, claims: { ...auth.claims, exp: undefined } } as unknown as Auth<VercelClaims>
    websocketGate(gate).closeOnExpiry(new Connection(), noExp)
    expect(timeouts()).toBe(before)
    expect(closing.closed).toBeUndefined()
  })
})
