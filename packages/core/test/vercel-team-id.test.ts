/**
 * DESIGN §3: a Vercel team bound by its stable ID. A slug can be renamed and then taken by another team;
 * `vercel({ team, teamId })` pins the `owner_id` claim, which never changes hands.
 */

import { createTestIssuer, type TestIssuer, vercelIds } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGate, type GateEvent, vercel } from '../src/index.js'
import { expectInvalidToken } from './helpers.js'

let issuer: TestIssuer
const teamId = vercelIds('acme').ownerId
const gates: { close(): void }[] = []

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
})
afterAll(async () => {
  for (const g of gates) g.close()
  await issuer.close()
})

function gateWith(options: Partial<Parameters<typeof vercel>[0]> = {}) {
  const events: GateEvent[] = []
  const gate = createGate({
    issuers: [vercel({ team: 'acme', baseUrl: issuer.url, ...options })],
    onEvent: (e) => events.push(e),
  })
  gates.push(gate)
  return { gate, events }
}

describe('vercel({ teamId })', () => {
  it('accepts a token whose owner_id is the configured team ID', async () => {
    const { gate } = gateWith({ teamId })
    const auth = await gate.verify(await issuer.mint())
    expect(auth.vercel.ownerId).toBe(teamId)
  })

  it('answers 401 invalid_token owner_id when another team took over the slug (same owner, other owner_id)', async () => {
    const { gate } = gateWith({ teamId })
    const takeover = await issuer.mint({ owner_id: vercelIds('someone-else').ownerId })
    const error = await expectInvalidToken(gate.verify(takeover), 'owner_id', [teamId])
    expect(error.message).toBe('owner_id mismatch')
  })

  it('still checks the slug: the same owner_id under another owner is refused', async () => {
    const { gate } = gateWith({ teamId })
    await expectInvalidToken(gate.verify(await issuer.mint({ owner: 'renamed', owner_id: teamId })), 'owner')
  })

  for (const bad of [
    'acme',
    'team_',
    'team_abc-def',
    'TEAM_abc',
    'prj_abc',
    ' team_abc',
    `team_${'a'.repeat(65)}`,
    42,
    null,
  ]) {
    it(`throws a TypeError naming teamId for ${JSON.stringify(bad)}`, () => {
      expect(() => vercel({ team: 'acme', teamId: bad as never })).toThrow(TypeError)
      expect(() => vercel({ team: 'acme', teamId: bad as never })).toThrow(/vercel\(\): teamId/)
    })
  }

  it('accepts the shape of real team IDs and of the test issuer’s', () => {
    expect(vercel({ team: 'acme', teamId: 'team_nLlpyC6REAqxydlFKbrMDlud' }).profile).toBe('vercel')
    expect(vercel({ team: 'acme', teamId }).profile).toBe('vercel')
  })
})

describe('the boot warning of a team bound by its slug only', () => {
  const warnings = (events: readonly GateEvent[]) =>
    events.flatMap((e) => (e.type === 'policy.warning' ? [e.message] : []))

  it('emits one policy.warning at construction naming teamId when a Vercel issuer has no teamId', async () => {
    const { gate, events } = gateWith()
    expect(warnings(events)).toEqual([expect.stringMatching(/team: 'acme'.*slug.*teamId/s)])
    await gate.verify(await issuer.mint())
    await gate.verify(await issuer.mint())
    expect(warnings(events)).toHaveLength(1)
  })

  it('emits none when teamId pins the team', () => {
    expect(warnings(gateWith({ teamId }).events)).toEqual([])
  })
})
