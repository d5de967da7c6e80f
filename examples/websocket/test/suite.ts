/**
 * The behaviour every WebSocket example is tested for (vitest): the example's server runs in this
 * process on 127.0.0.1, trusting a local test issuer, and real `ws` clients connect to it.
 */

import { bearerProtocol, createGate, type Gate, type VercelClaims, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer, vercelIds } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import { CHAT_PATH, CHAT_PROTOCOL, type RunningChat } from '../src/chat.js'

/** How a client is set up: the subprotocols it offers and the headers it sends. */
interface ClientOptions {
  readonly protocols?: readonly string[]
  readonly headers?: Record<string, string | string[]>
}

/** An open connection and what it received. */
interface Conversation {
  readonly ws: WebSocket
  /** The `Sec-WebSocket-Protocol` of the 101. */
  readonly echoed: string | undefined
  /** The next message, parsed. */
  next(): Promise<unknown>
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>
}

/** A refused handshake, as the client saw it. */
interface Refusal {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: string
}

function client(url: string, { protocols = [], headers = {} }: ClientOptions): WebSocket {
  return new WebSocket(`${url.replace(/^http/, 'ws')}${CHAT_PATH}`, [...protocols], { headers })
}

function converse(url: string, options: ClientOptions): Promise<Conversation> {
  const ws = client(url, options)
  const inbox: unknown[] = []
  const waiting: ((message: unknown) => void)[] = []
  let echoed: string | undefined
  ws.on('upgrade', (res) => {
    echoed = res.headers['sec-websocket-protocol']
  })
  ws.on('message', (data) => {
    const message = JSON.parse(String(data))
    const waiter = waiting.shift()
    if (waiter === undefined) inbox.push(message)
    else waiter(message)
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  )
  return new Promise((resolve, reject) => {
    ws.on('error', reject)
    ws.on('open', () =>
      resolve({
        ws,
        echoed,
        closed,
        next: () =>
          inbox.length > 0 ? Promise.resolve(inbox.shift()) : new Promise((done) => waiting.push(done)),
      }),
    )
  })
}

function refused(url: string, options: ClientOptions): Promise<Refusal> {
  const ws = client(url, options)
  return new Promise((resolve, reject) => {
    ws.on('error', () => {})
    ws.on('open', () => {
      ws.terminate()
      reject(new Error('the upgrade was accepted'))
    })
    ws.on('unexpected-response', (req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
        req.destroy()
      })
    })
  })
}

const timeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length

/** The number of timers once it stops changing (closing handshakes of earlier tests hold some briefly). */
async function settledTimeouts(): Promise<number> {
  let last = timeouts()
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    const now = timeouts()
    if (now === last) return now
    last = now
  }
}

/** What differs between the examples. */
export interface ChatExample {
  /** Starts the example's server with `gate`, on 127.0.0.1 and any free port. */
  listen(gate: Gate<VercelClaims>): Promise<RunningChat>
  /**
   * Whether a refusal carries its JSON body. @hono/node-server writes the status and headers of a
   * refused upgrade without the body.
   */
  readonly refusalBody: boolean
}

/** Declares the tests of one WebSocket example. */
export function describeChat(name: string, example: ChatExample): void {
  describe(`examples/websocket: ${name}`, () => {
    let issuer: TestIssuer
    let gate: Gate<VercelClaims>
    let server: RunningChat
    let token: string
    const web = vercelIds('acme', 'web')

    beforeAll(async () => {
      issuer = await createTestIssuer({ team: 'acme' })
      gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })] })
      await gate.warmup()
      server = await example.listen(gate)
      token = await issuer.mint()
    })

    afterAll(async () => {
      await server?.close()
      gate?.close()
      await issuer?.close()
    })

    const expectRefusal = (refusal: Refusal, status: number, error: string, challenge: RegExp) => {
      expect(refusal.status).toBe(status)
      expect(refusal.headers['www-authenticate']).toMatch(challenge)
      if (example.refusalBody) {
        expect(refusal.headers['content-type']).toMatch(/^application\/json/)
        expect(JSON.parse(refusal.body)).toMatchObject({ error })
      }
    }

    it('admits a browser-style client with the token in the subprotocol, echoes chat.v1, and talks', async () => {
      const talk = await converse(server.url, { protocols: [bearerProtocol(token), CHAT_PROTOCOL] })
      expect(talk.echoed).toBe(CHAT_PROTOCOL)
      expect(talk.ws.protocol).toBe(CHAT_PROTOCOL)
      expect(await talk.next()).toEqual({ hello: 'web', environment: 'production' })
      talk.ws.send('ping')
      expect(await talk.next()).toEqual({ projectId: web.projectId, echo: 'ping' })
      talk.ws.close()
      expect((await talk.closed).code).toBe(1005)
    })

    it('admits a Node client with the token in Authorization, and talks', async () => {
      const talk = await converse(server.url, { headers: { authorization: `Bearer ${token}` } })
      expect(talk.echoed).toBeUndefined()
      expect(await talk.next()).toEqual({ hello: 'web', environment: 'production' })
      talk.ws.send('pong')
      expect(await talk.next()).toEqual({ projectId: web.projectId, echo: 'pong' })
      talk.ws.close()
    })

    it('answers 401 with a bare challenge when no token is offered: the client sees the status', async () => {
      const ws = client(server.url, { protocols: [CHAT_PROTOCOL] })
      const error = await new Promise<Error>((resolve) => ws.on('error', resolve))
      expect(error.message).toBe('Unexpected server response: 401')
      const refusal = await refused(server.url, { protocols: [CHAT_PROTOCOL] })
      expectRefusal(refusal, 401, 'unauthorized', /^Bearer(, DPoP algs="[^"]*")?$/)
    })

    it('answers 401 invalid_token for an expired token in the subprotocol', async () => {
      const expired = await issuer.mint({}, { expired: true })
      const refusal = await refused(server.url, { protocols: [bearerProtocol(expired), CHAT_PROTOCOL] })
      expectRefusal(refusal, 401, 'invalid_token', /^Bearer error="invalid_token"/)
      expect(refusal.body).not.toContain(expired)
    })

    it('answers 401 invalid_token for a wrongly signed token in Authorization', async () => {
      const [h, p, s] = token.split('.') as [string, string, string]
      const forged = `${h}.${p}.${s.slice(0, -4)}AAAA`
      const refusal = await refused(server.url, { headers: { authorization: `Bearer ${forged}` } })
      expectRefusal(refusal, 401, 'invalid_token', /^Bearer error="invalid_token"/)
    })

    it("answers 403 insufficient_scope for a valid token the route's policy refuses", async () => {
      const development = await issuer.mint({ environment: 'development' })
      const refusal = await refused(server.url, { protocols: [bearerProtocol(development), CHAT_PROTOCOL] })
      expectRefusal(refusal, 403, 'insufficient_scope', /^Bearer error="insufficient_scope"/)
    })

    const badInput: [string, () => ClientOptions][] = [
      [
        'two token subprotocols',
        () => ({ protocols: [bearerProtocol(token), bearerProtocol(`${token}x`), CHAT_PROTOCOL] }),
      ],
      [
        'a token in the subprotocol and in Authorization',
        () => ({
          protocols: [bearerProtocol(token), CHAT_PROTOCOL],
          headers: { authorization: `Bearer ${token}` },
        }),
      ],
      [
        'two Authorization field lines',
        () => ({ headers: { authorization: [`Bearer ${token}`, `Bearer ${token}`] } }),
      ],
      [
        'a Sec-WebSocket-Protocol over 10 KiB',
        () => ({ protocols: [bearerProtocol(token), CHAT_PROTOCOL, `x${'y'.repeat(10_240)}`] }),
      ],
      [
        '17 subprotocols',
        () => ({
          protocols: [bearerProtocol(token), CHAT_PROTOCOL, ...Array.from({ length: 15 }, (_, i) => `p${i}`)],
        }),
      ],
      [
        'a malformed entry',
        () => ({ headers: { 'sec-websocket-protocol': `${bearerProtocol(token)}, chat.v1, a/b` } }),
      ],
      [
        'an empty entry',
        () => ({ headers: { 'sec-websocket-protocol': `${bearerProtocol(token)},, chat.v1` } }),
      ],
      ['a token with no application subprotocol', () => ({ protocols: [bearerProtocol(token)] })],
    ]
    for (const [label, options] of badInput) {
      it(`answers 400 invalid_request for ${label}`, async () => {
        const refusal = await refused(server.url, options())
        expectRefusal(refusal, 400, 'invalid_request', /^Bearer error="invalid_request"/)
        expect(refusal.body).not.toContain(token)
      })
    }

    it('closes the connection with 1008 when its token expires, 2 s after it opened', async () => {
      const shortLived = await issuer.mint({}, { ttl: 2 })
      const talk = await converse(server.url, { protocols: [bearerProtocol(shortLived), CHAT_PROTOCOL] })
      const opened = Date.now()
      expect(await talk.next()).toMatchObject({ hello: 'web' })
      const { code, reason } = await talk.closed
      expect({ code, reason }).toEqual({ code: 1008, reason: 'token expired' })
      expect(Date.now() - opened).toBeLessThan(3_500)
    })

    it('clears the expiry timers when the clients close first: no timer is left behind', async () => {
      const before = await settledTimeouts()
      const talks = await Promise.all(
        Array.from({ length: 5 }, () =>
          converse(server.url, { protocols: [bearerProtocol(token), CHAT_PROTOCOL] }),
        ),
      )
      await Promise.all(talks.map((talk) => talk.next()))
      // One expiry timer per connection, on the server.
      expect(timeouts()).toBeGreaterThanOrEqual(before + talks.length)
      for (const talk of talks) talk.ws.close(1000, 'bye')
      await Promise.all(talks.map((talk) => talk.closed))
      await vi.waitFor(() => expect(timeouts()).toBe(before), { timeout: 2_000, interval: 20 })
    })
  })
}
