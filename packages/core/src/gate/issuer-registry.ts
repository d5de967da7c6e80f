/**
 * The gate's issuers, built once: one runtime per accepted `iss` (selected by exact match, SECURITY K2)
 * and one key source per JWKS URL, shared by the issuers that name it; an issuer without a JWKS URL gets
 * its keys through discovery. Tenant issuers (`oidcTenants()`) are resolved at request time by an
 * `IssuerDirectory` per profile.
 */

import { DiscoveredKeySource } from '../discovery/discovered-key-source.js'
import type { EventListener } from '../events.js'
import type { IssuerProfile, IssuerTarget } from '../issuers/profile.js'
import {
  type KeySource,
  type KeySourceOptions,
  RemoteKeySource,
  type ResolvedKeySourceOptions,
  resolveKeySourceOptions,
} from '../keys/index.js'
import type { IssuerRuntime, VerifyContext } from '../verify.js'
import { IssuerDirectory } from './issuer-directory.js'

/** The issuers of a gate and the key sources behind them. */
export interface IssuerRegistry {
  /** Accepted issuers by exact `iss`. */
  readonly issuers: ReadonlyMap<string, IssuerRuntime>
  /** Every key source, once, and every tenant directory: what `warmup()` and `close()` reach. */
  readonly sources: readonly { warmup(): Promise<void>; close(): void }[]
  /** Tenant issuers (`oidcTenants()`), asked for an `iss` that is not among `issuers`. */
  readonly resolveIssuer: VerifyContext['resolveIssuer']
  /** Claim names a policy may use, when every profile has a closed set; else `undefined`. */
  readonly claimNames: readonly string[] | undefined
  /** The policy lints every issuer shares (their `policyProfile`), if any. */
  readonly policyProfile: 'vercel' | undefined
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
  const sources = new Map<string, KeySource>()
  const issuers = new Map<string, IssuerRuntime>()
  const directories: IssuerDirectory[] = []
  for (const [index, given] of profiles.entries()) {
    if (given === null || typeof given !== 'object' || !Array.isArray(given.targets)) {
      throw new TypeError(`issuers[${index}] must be built with vercel() or oidc()`)
    }
    const profile = withAudience(given, index, resource)
    for (const message of profile.warnings ?? []) emit({ type: 'policy.warning', message })
    if (profile.tenants !== undefined) {
      const complete = (p: IssuerProfile) => withAudience(p, index, resource)
      directories.push(new IssuerDirectory(profile.tenants, { keyOptions, emit, clock, complete }))
    }
    for (const target of profile.targets) {
      if (issuers.has(target.issuer))
        throw new TypeError(`issuers[${index}]: issuer ${target.issuer} is configured twice`)
      // Targets of one profile share configured keys; a fetched JWKS is shared by URL.
      const sourceKey =
        target.jwksUri === undefined
          ? `discovery ${target.issuer}`
          : target.initialKeys === undefined
            ? target.jwksUri
            : `${index} ${target.jwksUri}`
      let keys = sources.get(sourceKey)
      if (keys === undefined) {
        keys = keySource(target, index, keyOptions, emit, clock)
        sources.set(sourceKey, keys)
      }
      issuers.set(target.issuer, { profile, target, keys })
    }
  }
  const closed = profiles.every((p) => p.claimNames !== undefined)
  return {
    issuers,
    sources: [...sources.values(), ...directories],
    resolveIssuer: directories.length === 0 ? undefined : chain(directories),
    claimNames: closed ? [...new Set(profiles.flatMap((p) => p.claimNames ?? []))] : undefined,
    policyProfile: shared(profiles.map((p) => p.policyProfile)),
  }
}

/** The key source of a target: its JWKS URL, else its metadata (discovery). */
function keySource(
  target: IssuerTarget,
  index: number,
  options: ResolvedKeySourceOptions,
  emit: EventListener,
  clock: () => number,
): KeySource {
  if (target.jwksUri !== undefined) {
    return new RemoteKeySource(target.jwksUri, options, emit, clock, target.initialKeys)
  }
  if (target.initialKeys !== undefined) {
    throw new TypeError(`issuers[${index}]: configured keys need a jwksUri`)
  }
  return new DiscoveredKeySource(target.issuer, options, emit, clock)
}

/** Asks each tenant directory in turn; the first that accepts `iss` answers. */
function chain(directories: readonly IssuerDirectory[]): NonNullable<VerifyContext['resolveIssuer']> {
  const from = (i: number, iss: string): ReturnType<IssuerDirectory['select']> => {
    for (let d = i; d < directories.length; d++) {
      const found = directories[d]?.select(iss)
      if (found instanceof Promise) return found.then((runtime) => runtime ?? from(d + 1, iss))
      if (found !== undefined) return found
    }
    return undefined
  }
  return (iss) => from(0, iss)
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

/** The value every element has, or `undefined` when they differ. */
function shared<T>(values: readonly T[]): T | undefined {
  const [first] = values
  return values.every((v) => v === first) ? first : undefined
}
