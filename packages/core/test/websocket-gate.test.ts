/**
 * `websocketGate()`: upgrade requests authenticated by the gate, with the token in `Authorization` or in
 * an `oidc-gate.bearer.<token>` subprotocol; malformed subprotocol lists answered 400; the subprotocol
 * to echo; option validation at construction.
 */

import type { TestIssuer } from '@oidc-gate/testing'
import { vercelIds } from '@oidc-gate/testing'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  BEARER_PROTOCOL_PREFIX,
  bearerProtocol,
  createGate,
  type Gate,
  type GateEvent,
  type HeaderValue,
  InsufficientScopeError,
  type VercelClaims,
  vercel,
  websocketGate,
} from '../src/index.js'
import {
  expectChallenge,
  expectInvalidRequest,
  expectInvalidToken,
  expectUnavailable,
  rejection,
} from './helpers.js'
import { type AcmeFixture, acmeFixture } from './websocket-helpers.js'

let fixture: AcmeFixture
let issuer: TestIssuer
let gate: Gate<VercelClaims>
let token: string
const events: GateEvent[] = []
const web = vercelIds('acme', 'web')

beforeAll(async () => {
  fixture = await acmeFixture((event) => events.push(event))
  ;({ issuer, gate, token } = fixture)
})

afterEach(() => {
  issuer.setFault(null)
  events.length = 0
})

afterAll(() => fixture.close())

/** A Node upgrade request (`IncomingMessage`-shaped) with `lines` as its field lines. */
function upgradeRequest(lines: readonly string[]): {
  method: string
  url: string
  headers: Record<string, HeaderValue>
  rawHeaders: string[]
} {
  const all = ['Host', 'api.example.test', 'Connection', 'Upgrade', 'Upgrade', 'websocket', ...lines]
  const headers: Record<string, HeaderValue> = {}
  for (let i = 0; i < all.length; i += 2) {
    const name = (all[i] as string).toLowerCase()
    const value = all[i + 1] as string
    const before = headers[name]
    headers[name] = before === undefined ? value : `${before}, ${value}`
  }
  return { method: 'GET', url: '/ws', headers, rawHeaders: all }
}

const protocols = (...names: string[]) => ['Sec-WebSocket-Protocol', names.join(', ')]

describe('websocketGate().authenticate() takes the token from Authorization or the subprotocol', () => {
  const upgrades = () => websocketGate(gate, { protocols: ['chat.v1'] })

  it('admits a token in Authorization, like an HTTP request', async () => {
    const auth = await upgrades().authenticate(upgradeRequest(['Authorization', `Bearer ${token}`]))
    expect(auth.vercel?.projectId).toBe(web.projectId)
  })

  it('admits a token in an oidc-gate.bearer.<token> subprotocol beside the application one', async () => {
    const auth = await upgrades().authenticate(upgradeRequest(protocols(bearerProtocol(token), 'chat.v1')))
    expect(auth.token).toBe(token)
    expect(auth.vercel?.projectId).toBe(web.projectId)
  })

  it('reads the subprotocols of every Sec-WebSocket-Protocol field line, in any order', async () => {
    const request = upgradeRequest([
      'Sec-WebSocket-Protocol',
      'chat.v1',
      'Sec-WebSocket-Protocol',
      bearerProtocol(token),
    ])
    const auth = await upgrades().authenticate(request)
    expect(auth.token).toBe(token)
  })

  it('admits a Fetch Request (Hono on any runtime) with the token in the subprotocol', async () => {
    const request = new Request('https://api.example.test/ws', {
      headers: { upgrade: 'websocket', 'sec-websocket-protocol': `chat.v1, ${bearerProtocol(token)}` },
    })
    const auth = await upgrades().authenticate(request)
    expect(auth.token).toBe(token)
  })

  it('admits a subprotocol token beside a Basic Authorization that a browser adds for a proxy', async () => {
    const basic = ['Authorization', 'Basic dXNlcjpwYXNz', 'Authorization', 'Basic dXNlcjpwYXNz']
    const auth = await upgrades().authenticate(
      upgradeRequest([...basic, ...protocols(bearerProtocol(token), 'chat.v1')]),
    )
    expect(auth.token).toBe(token)
    const request = new Request('https://api.example.test/ws', {
      headers: {
        authorization: 'Basic dXNlcjpwYXNz',
        'sec-websocket-protocol': `${bearerProtocol(token)}, chat.v1`,
      },
    })
    expect((await upgrades().authenticate(request)).token).toBe(token)
  })

  it('counts a bearer token in Authorization, in any case, as a second token beside the subprotocol', async () => {
    for (const scheme of ['bearer', 'BEARER', 'DPoP']) {
      await expectInvalidRequest(
        upgrades().authenticate(
          upgradeRequest([
            'Authorization',
            `${scheme} ${token}`,
            ...protocols(bearerProtocol(token), 'chat.v1'),
          ]),
        ),
        'multiple-methods',
      )
    }
  })

  it('applies a per-route policy: a valid token it refuses is 403 insufficient_scope', async () => {
    const preview = await issuer.mint({ environment: 'preview' })
    const error = await rejection(
      upgrades().authenticate(upgradeRequest(protocols(bearerProtocol(preview), 'chat.v1')), {
        policy: { environment: 'production' },
      }),
    )
    expect(error).toBeInstanceOf(InsufficientScopeError)
    expect(error.status).toBe(403)
  })

  it('answers 401 with a bare challenge when no token is offered, subprotocols or not', async () => {
    await expectChallenge(upgrades().authenticate(upgradeRequest([])), 'missing')
    await expectChallenge(upgrades().authenticate(upgradeRequest(protocols('chat.v1'))), 'missing')
  })

  it('answers 401 invalid_token for an expired token in the subprotocol, echoing none of it', async () => {
    const expired = await issuer.mint({}, { expired: true })
    await expectInvalidToken(
      upgrades().authenticate(upgradeRequest(protocols(bearerProtocol(expired), 'chat.v1'))),
      'exp',
      [expired],
    )
  })

  it('answers 401 invalid_token for a token that is not a JWT or is wrongly signed', async () => {
    await expectInvalidToken(
      upgrades().authenticate(upgradeRequest(protocols(`${BEARER_PROTOCOL_PREFIX}abc`, 'chat.v1'))),
      'malformed',
    )
    const [h, p, s] = token.split('.') as [string, string, string]
    const forged = `${h}.${p}.${s.slice(0, -4)}AAAA`
    await expectInvalidToken(
      upgrades().authenticate(upgradeRequest(protocols(bearerProtocol(forged), 'chat.v1'))),
      'signature',
    )
  })

  it('answers 401 token-size for a subprotocol token over the gate maxTokenLength', async () => {
    const long = `${token}.${'A'.repeat(9000)}`
    const roomy = websocketGate(gate, { protocols: ['chat.v1'], maxProtocolLength: 20_000 })
    await expectInvalidToken(
      roomy.authenticate(upgradeRequest(protocols(`${BEARER_PROTOCOL_PREFIX}${long}`, 'chat.v1'))),
      'token-size',
    )
  })

  it('answers 503 with Retry-After when the keys cannot be fetched', async () => {
    const cold = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })], cache: false })
    try {
      issuer.setFault({ kind: 'status', status: 500 })
      await expectUnavailable(
        websocketGate(cold, { protocols: ['chat.v1'] }).authenticate(
          upgradeRequest(protocols(bearerProtocol(token), 'chat.v1')),
        ),
      )
    } finally {
      cold.close()
    }
  })

  it('keeps the refusals of the request edge: a repeated Host is 400', async () => {
    const request = upgradeRequest(['Host', 'evil.test', ...protocols(bearerProtocol(token), 'chat.v1')])
    await expectInvalidRequest(upgrades().authenticate(request), 'malformed-host')
  })
})

describe('websocketGate().authenticate() answers 400 invalid_request for bad input', () => {
  let upgrades: ReturnType<typeof websocketGate<VercelClaims>>
  beforeAll(() => {
    upgrades = websocketGate(gate, { protocols: ['chat.v1'] })
  })
  const cases: [string, () => string[], string][] = [
    [
      'two token subprotocols',
      () => protocols(bearerProtocol(token), bearerProtocol(token.slice(1)), 'chat.v1'),
      'websocket-protocol',
    ],
    [
      'two token subprotocols on two field lines',
      () => [...protocols(bearerProtocol(token), 'chat.v1'), ...protocols(bearerProtocol(`x${token}`))],
      'websocket-protocol',
    ],
    [
      'a token both in Authorization and in the subprotocol',
      () => ['Authorization', `Bearer ${token}`, ...protocols(bearerProtocol(token), 'chat.v1')],
      'multiple-methods',
    ],
    [
      'two Authorization field lines',
      () => ['Authorization', `Bearer ${token}`, 'Authorization', `Bearer ${token}`],
      'multiple-authorization',
    ],
    [
      'a Sec-WebSocket-Protocol over 10 KiB',
      () => protocols(bearerProtocol(token), 'chat.v1', `x${'y'.repeat(10_240)}`),
      'websocket-protocol',
    ],
    [
      'more than 16 subprotocols',
      () => protocols(bearerProtocol(token), 'chat.v1', ...Array.from({ length: 15 }, (_, i) => `p${i}`)),
      'websocket-protocol',
    ],
    ['an empty list element', () => protocols(bearerProtocol(token), '', 'chat.v1'), 'websocket-protocol'],
    [
      'a trailing comma',
      () => ['Sec-WebSocket-Protocol', `${bearerProtocol(token)}, chat.v1,`],
      'websocket-protocol',
    ],
    [
      'an entry with a character outside the token grammar',
      () => protocols(`${BEARER_PROTOCOL_PREFIX}${token}/x=`, 'chat.v1'),
      'websocket-protocol',
    ],
    [
      'an entry with a space inside',
      () => protocols(`${BEARER_PROTOCOL_PREFIX}a b`, 'chat.v1'),
      'websocket-protocol',
    ],
    ['the prefix without a token', () => protocols(BEARER_PROTOCOL_PREFIX, 'chat.v1'), 'websocket-protocol'],
    ['the bare reserved name', () => protocols('oidc-gate.bearer', 'chat.v1'), 'websocket-protocol'],
    [
      'the prefix in another case',
      () => protocols(`OIDC-Gate.Bearer.${token}`, 'chat.v1'),
      'websocket-protocol',
    ],
    [
      'a subprotocol offered twice',
      () => protocols(bearerProtocol(token), 'chat.v1', 'chat.v1'),
      'websocket-protocol',
    ],
    [
      'a token with no application subprotocol to echo',
      () => protocols(bearerProtocol(token)),
      'websocket-protocol',
    ],
    [
      'a token beside only subprotocols the application does not speak',
      () => protocols(bearerProtocol(token), 'chat.v0'),
      'websocket-protocol',
    ],
  ]

  for (const [name, lines, reason] of cases) {
    it(`answers 400 for ${name}, with the gate's challenge, echoing no token`, async () => {
      const error = await expectInvalidRequest(upgrades.authenticate(upgradeRequest(lines())), reason, [
        token,
      ])
      expect(error.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_request"/)
    })
  }

  it('reports each refusal as a rejected event, like any refusal of the gate', async () => {
    await rejection(upgrades.authenticate(upgradeRequest(protocols(bearerProtocol(token)))))
    expect(events).toContainEqual({
      type: 'rejected',
      code: 'ERR_INVALID_REQUEST',
      status: 400,
      reason: 'websocket-protocol',
    })
  })

  it('refuses with a 4xx, never throws, a request object that is not a request', async () => {
    const broken = { method: 'GET', url: '/ws', headers: null } as never
    const error = await rejection(upgrades.authenticate(broken))
    expect([400, 401]).toContain(error.status)
  })
})

describe('websocketGate().protocol() chooses the subprotocol the 101 echoes', () => {
  it("answers the application's most preferred subprotocol that the client offered", () => {
    const upgrades = websocketGate(gate, { protocols: ['chat.v2', 'chat.v1'] })
    expect(upgrades.protocol(new Set([bearerProtocol(token), 'chat.v1', 'chat.v2']))).toBe('chat.v2')
    expect(upgrades.protocol(['chat.v1', bearerProtocol(token)])).toBe('chat.v1')
    expect(upgrades.protocol(`${bearerProtocol(token)}, chat.v1`)).toBe('chat.v1')
  })

  it('never answers the token entry, nor any reserved name, nor a subprotocol the application lacks', () => {
    const upgrades = websocketGate(gate, { protocols: ['chat.v1'] })
    expect(upgrades.protocol(new Set([bearerProtocol(token)]))).toBe(false)
    expect(upgrades.protocol(['chat.v0'])).toBe(false)
    expect(upgrades.protocol(undefined)).toBe(false)
    expect(upgrades.protocol(null)).toBe(false)
  })

  it("without a protocols option, answers the client's first offer that is not the token", () => {
    const upgrades = websocketGate(gate)
    expect(upgrades.protocol(new Set([bearerProtocol(token), 'graphql-ws', 'chat.v1']))).toBe('graphql-ws')
    expect(upgrades.protocol(new Set(['oidc-gate.bearer', bearerProtocol(token)]))).toBe(false)
  })

  it('works detached from its object, as ws calls handleProtocols', () => {
    const { protocol } = websocketGate(gate, { protocols: ['chat.v1'] })
    expect([bearerProtocol(token), 'chat.v1'].map(() => protocol(new Set(['chat.v1'])))).toEqual([
      'chat.v1',
      'chat.v1',
    ])
  })
})

describe('websocketGate() validates its options at construction', () => {
  const bad: [string, () => unknown, RegExp][] = [
    ['no gate', () => websocketGate(undefined as never), /websocketGate\(gate\): gate must be a gate/],
    [
      'an unknown option',
      () => websocketGate(gate, { protocol: ['x'] } as never),
      /unknown option "protocol"/,
    ],
    [
      'an empty protocols list',
      () => websocketGate(gate, { protocols: [] }),
      /protocols must be a non-empty array/,
    ],
    [
      'a protocol that is not a token',
      () => websocketGate(gate, { protocols: ['chat v1'] }),
      /protocols must be/,
    ],
    [
      'a reserved protocol',
      () => websocketGate(gate, { protocols: ['oidc-gate.bearer'] }),
      /protocols must be/,
    ],
    ['a repeated protocol', () => websocketGate(gate, { protocols: ['a', 'a'] }), /distinct/],
    [
      'a fractional maxProtocolLength',
      () => websocketGate(gate, { maxProtocolLength: 1000.5 }),
      /maxProtocolLength must be an integer between 256 and 1048576/,
    ],
    [
      'a maxProtocols of 1',
      () => websocketGate(gate, { maxProtocols: 1 }),
      /maxProtocols must be an integer between 2 and 256/,
    ],
  ]
  for (const [name, build, message] of bad) {
    it(`throws a TypeError for ${name}`, () => {
      expect(build).toThrow(TypeError)
      expect(build).toThrow(message)
    })
  }

  it('bearerProtocol() refuses a token that cannot be a subprotocol name', () => {
    expect(() => bearerProtocol('a/b=')).toThrow(TypeError)
    expect(bearerProtocol(token)).toBe(`oidc-gate.bearer.${token}`)
  })
})
