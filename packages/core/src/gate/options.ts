/**
 * The gate's options, checked once at construction: a mistake throws a `TypeError` naming the option,
 * so misconfiguration fails at boot, never on the first request (DESIGN §2).
 */

import { type GateDpop, resolveGateDpop } from '../dpop/sender-constraint.js'
import { type EdgeSettings, resolveEdgeOptions } from '../edge/origin.js'
import type { GateErrorOptions } from '../errors.js'
import type { EventListener } from '../events.js'
import { checkScopeHierarchy } from '../policy/scopes.js'
import type { ResourceDpop } from '../resource/metadata.js'
import { resolveProtectedResourceOptions } from '../resource/options.js'
import { createProtectedResource, type ProtectedResource } from '../resource/serve.js'
import type { GateOptions } from './types.js'

const OPTIONS = [
  'issuers',
  'policy',
  'realm',
  'clockTolerance',
  'maxTokenLength',
  'jwks',
  'cache',
  'onEvent',
  'clock',
  'publicOrigin',
  'trustProxy',
  'mock',
  'dpop',
  'protectedResource',
  'scopeHierarchy',
]

/** The scalar options of a gate, validated, with their defaults. */
export interface GateSettings {
  readonly clockTolerance: number
  readonly maxTokenLength: number
  readonly clock: () => number
  readonly onEvent: EventListener | undefined
  readonly edge: EdgeSettings
  /** How this gate's challenges are written. */
  readonly challenge: GateErrorOptions
  /** The accepted schemes and the sender-constraint step. */
  readonly dpop: GateDpop
  /** The protected resource (RFC 9728), when configured. */
  readonly resource: ProtectedResource | undefined
  /** The separator of scope hierarchies in policies, when configured. */
  readonly scopeHierarchy: string | undefined
}

/** Validates the options that are not issuers, policies, keys or the cache (each checks its own). */
export function resolveGateSettings(options: GateOptions): GateSettings {
  if (options === null || typeof options !== 'object')
    throw new TypeError('createGate() needs an options object')
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) throw new TypeError(`createGate(): unknown option "${key}"`)
  }
  if (!Array.isArray(options.issuers) || options.issuers.length === 0) {
    throw new TypeError('issuers must be a non-empty array of vercel() or oidc() profiles')
  }
  const clockTolerance = options.clockTolerance ?? 5
  if (typeof clockTolerance !== 'number' || !(clockTolerance >= 0 && clockTolerance <= 300)) {
    throw new TypeError('clockTolerance must be a number of seconds between 0 and 300')
  }
  const maxTokenLength = options.maxTokenLength ?? 8192
  if (!Number.isInteger(maxTokenLength) || maxTokenLength < 256 || maxTokenLength > 1_048_576) {
    throw new TypeError('maxTokenLength must be an integer between 256 and 1048576')
  }
  const { realm } = options
  if (realm !== undefined && (typeof realm !== 'string' || !/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(realm))) {
    throw new TypeError('realm must be a string of printable ASCII without quotes or backslashes')
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw new TypeError('onEvent must be a function')
  }
  if (options.clock !== undefined && typeof options.clock !== 'function')
    throw new TypeError('clock must be a function')
  const dpop = resolveGateDpop(options.dpop, clockTolerance, options.onEvent)
  const resource = protectedResource(options, dpop.challenge)
  return {
    clockTolerance,
    maxTokenLength,
    clock: options.clock ?? Date.now,
    onEvent: options.onEvent,
    edge: resolveEdgeOptions(options),
    challenge: Object.freeze({ realm, ...dpop.challenge, resourceMetadata: resource?.metadataUrl }),
    dpop,
    resource,
    scopeHierarchy: checkScopeHierarchy('scopeHierarchy', options.scopeHierarchy),
  }
}

/** The gate's protected resource; its metadata lists the same DPoP algorithms as its challenges. */
function protectedResource(options: GateOptions, dpop?: ResourceDpop): ProtectedResource | undefined {
  if (options.protectedResource === undefined) return undefined
  return createProtectedResource(resolveProtectedResourceOptions(options.protectedResource), dpop)
}
