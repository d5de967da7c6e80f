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

/** Builds the issuer registry; a bad profile throws a `TypeError` naming `issuers[i]`. */
export function buildIssuerRegistry(
  profiles: readonly IssuerProfile[],
  jwks: KeySourceOptions | undefined,
  emit: EventListener,
  clock: () => number,
): IssuerRegistry {
  const keyOptions = resolveKeySourceOptions(jwks)
  const sources = new Map<string, RemoteKeySource>()
  const issuers = new Map<string, IssuerRuntime>()
  for (const [index, profile] of profiles.entries()) {
    if (profile === null || typeof profile !== 'object' || !Array.isArray(profile.targets)) {
      throw new TypeError(`issuers[${index}] must be built with vercel() or oidc()`)
    }
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
