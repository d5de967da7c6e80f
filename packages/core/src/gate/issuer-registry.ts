/**
 * The gate's issuers, built once: one runtime per accepted `iss` (selected by exact match, SECURITY K2)
 * and one key source per JWKS URL, shared by the issuers that name it.
 */

import type { EventListener } from '../events.js'
import type { IssuerProfile } from '../issuers/profile.js'
import { type KeySourceOptions, RemoteKeySource, resolveKeySourceOptions } from '../keys/index.js'
import type { IssuerRuntime } from '../verify.js'

/** The issuers of a gate and the key sources behind them. */
export interface IssuerRegistry {
  /** Accepted issuers by exact `iss`. */
  readonly issuers: ReadonlyMap<string, IssuerRuntime>
  /** Every key source, once. */
  readonly sources: readonly RemoteKeySource[]
  /** Claim names a policy may use, when every profile has a closed set; else `undefined`. */
  readonly claimNames: readonly string[] | undefined
  /** Whether every issuer is a Vercel one (policies then get the Vercel-specific warnings). */
  readonly vercelOnly: boolean
}

/**
 * Builds the issuer registry; a bad profile throws a `TypeError` naming `issuers[i]`. A profile built
 * without an audience (`oidc()` without `audience`) expects `resource`, the gate's protected resource
 * (RFC 8707); without one, it throws naming `audience`.
 */
export function buildIssuerRegistry(
  profiles: readonly IssuerProfile[],
  jwks: KeySourceOptions | undefined,
  emit: EventListener,
  clock: () => number,
  resource?: string,
): IssuerRegistry {
  const keyOptions = resolveKeySourceOptions(jwks)
  const sources = new Map<string, RemoteKeySource>()
  const issuers = new Map<string, IssuerRuntime>()
  for (const [index, given] of profiles.entries()) {
    if (given === null || typeof given !== 'object' || !Array.isArray(given.targets)) {
      throw new TypeError(`issuers[${index}] must be built with vercel() or oidc()`)
    }
    const profile = withAudience(given, index, resource)
    for (const message of profile.warnings ?? []) emit({ type: 'policy.warning', message })
    for (const target of profile.targets) {
      if (issuers.has(target.issuer))
        throw new TypeError(`issuers[${index}]: issuer ${target.issuer} is configured twice`)
      // Targets of one profile share configured keys; a fetched JWKS is shared by URL.
      const sourceKey = target.initialKeys === undefined ? target.jwksUri : `${index} ${target.jwksUri}`
      let keys = sources.get(sourceKey)
      if (keys === undefined) {
        keys = new RemoteKeySource(target.jwksUri, keyOptions, emit, clock, target.initialKeys)
        sources.set(sourceKey, keys)
      }
      issuers.set(target.issuer, { profile, target, keys })
    }
  }
  const closed = profiles.every((p) => p.claimNames !== undefined)
  return {
    issuers,
    sources: [...sources.values()],
    claimNames: closed ? [...new Set(profiles.flatMap((p) => p.claimNames ?? []))] : undefined,
    vercelOnly: profiles.every((p) => p.profile === 'vercel'),
  }
}

/** The profile with its audiences: its own, else the protected resource's identifier. */
function withAudience(profile: IssuerProfile, index: number, resource: string | undefined): IssuerProfile {
  if (Array.isArray(profile.audiences) && profile.audiences.length > 0) return profile
  if (resource === undefined) {
    throw new TypeError(
      `issuers[${index}]: ${profile.profile}(): audience is required unless the gate has protectedResource (its resource is then the audience)`,
    )
  }
  return Object.freeze({ ...profile, audiences: Object.freeze([resource]) })
}
