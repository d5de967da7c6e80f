/**
 * What every adapter refuses when the app is built, before any request: bad gate options, bad adapter
 * options, malformed route policies and misspelt claim names (even inside `not`, where they would let
 * every token through). Run by each adapter's test with its two factories; the compiler's side of the
 * same mistakes is in each `types.test-d.ts`.
 */

import { createGate, vercel } from '@oidc-gate/core'
import { describe, expect, it } from 'vitest'

/** Any function: the factories are called here with deliberately wrong arguments. */
type Factory = (...args: never[]) => unknown
type Loose = (...args: unknown[]) => unknown

/** An adapter's factories. */
export interface BootAdapter {
  readonly name: string
  readonly oidcGate: Factory
  readonly requirePolicy: Factory
  /** Whether `oidcGate()` returns a middleware with `.gate` and `.requirePolicy()` (not Fastify's plugin). */
  readonly bound: boolean
}

// Building a gate fetches nothing; a port on 127.0.0.1 keeps it that way if that ever changes.
const options = () => ({ issuers: [vercel({ team: 'acme', baseUrl: 'http://127.0.0.1:9' })] })

/**
 * Registers the boot checks for one adapter.
 *
 * @example
 * ```ts
 * bootChecks({ name: 'express', oidcGate, requirePolicy, bound: true })
 * ```
 */
export function bootChecks(adapter: BootAdapter): void {
  const oidcGate = adapter.oidcGate as Loose
  const requirePolicy = adapter.requirePolicy as Loose
  const gate = createGate(options())

  describe(`${adapter.name} at boot`, () => {
    it('throws a TypeError for bad gate options', () => {
      expect(() => oidcGate({ issuers: [] })).toThrow(TypeError)
      expect(() => oidcGate({ ...options(), clockTolerance: -1 })).toThrow(/clockTolerance/)
    })

    it('throws a TypeError naming an unknown or bad adapter option', () => {
      expect(() => oidcGate(gate, { optinal: true })).toThrow(/unknown option "optinal"/)
      expect(() => oidcGate(gate, { errors: 'next' })).toThrow(/errors must be "respond" or "framework"/)
      expect(() => oidcGate(gate, { optional: 'yes' })).toThrow(/optional must be a boolean/)
    })

    it('throws a TypeError for a malformed route policy', () => {
      expect(() => requirePolicy(gate, { environment: [] })).toThrow(TypeError)
    })

    it('throws a TypeError naming a misspelt claim in a route policy, even inside not', () => {
      const typo = { not: { enviroment: 'preview' } }
      expect(() => requirePolicy(gate, typo)).toThrow(TypeError)
      expect(() => requirePolicy(gate, typo)).toThrow(/"enviroment"; did you mean "environment"/)
    })

    if (adapter.bound)
      it('does the same through oidcGate().requirePolicy()', () => {
        const bound = oidcGate(gate) as { gate: unknown; requirePolicy: Loose }
        expect(bound.gate).toBe(gate)
        expect(() => bound.requirePolicy({ not: { enviroment: 'preview' } })).toThrow(/"enviroment"/)
        expect(() => requirePolicy(bound, { not: { enviroment: 'preview' } })).toThrow(/"enviroment"/)
      })

    it('accepts a policy the gate compiled', () => {
      expect(() => requirePolicy(gate, gate.compilePolicy({ environment: 'production' }))).not.toThrow()
    })

    it('throws a TypeError when the first argument of requirePolicy() is not a gate', () => {
      expect(() => requirePolicy({ environment: 'production' })).toThrow(/first argument must be the gate/)
      expect(() => requirePolicy(undefined, { environment: 'production' })).toThrow(TypeError)
    })
  })
}
