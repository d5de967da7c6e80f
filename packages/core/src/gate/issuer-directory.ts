/**
 * The tenant issuers of one `oidcTenants()` profile, resolved at request time from a token's exact
 * `iss` (DESIGN §3, SECURITY K1, K2): a bounded LRU of live issuers with their key sources, one
 * resolution at a time per `iss`, and a refusal without any network request for an `iss` the allow-list
 * or the resolver does not accept.
 */

import { DiscoveredKeySource } from '../discovery/discovered-key-source.js'
import { KeysUnavailableError } from '../errors.js'
import type { EventListener } from '../events.js'
import type { IssuerProfile } from '../issuers/profile.js'
import type { TenantResolver } from '../issuers/tenants.js'
import { type KeySource, RemoteKeySource, type ResolvedKeySourceOptions } from '../keys/index.js'
import type { IssuerRuntime } from '../verify.js'

/** The longest `iss` quoted in a `tenant.resolve-failed` event. */
const QUOTED_ISS = 200

interface Live {
  readonly runtime: IssuerRuntime
  /** ms epoch after which the resolver is asked again. */
  readonly until: number
}

/** What a directory needs from its gate. */
export interface DirectoryContext {
  readonly keyOptions: ResolvedKeySourceOptions
  readonly emit: EventListener
  readonly clock: () => number
  /** The profile with its audiences (the protected resource's, when it names none); throws otherwise. */
  readonly complete: (profile: IssuerProfile) => IssuerProfile
}

/**
 * The live issuers of one tenant resolver.
 *
 * @example
 * ```ts
 * const directory = new IssuerDirectory(profile.tenants, { keyOptions, emit, clock, complete })
 * const runtime = directory.select(iss) // a runtime, a promise of one, or undefined (refused)
 * ```
 */
export class IssuerDirectory {
  // A Map iterates in insertion order: re-inserting on use makes the first key the least recently used.
  private readonly live = new Map<string, Live>()
  private readonly pending = new Map<string, Promise<IssuerRuntime | undefined>>()
  private closed = false

  constructor(
    private readonly tenants: TenantResolver,
    private readonly ctx: DirectoryContext,
  ) {}

  /**
   * The runtime of issuer `iss`: at once when it is live, else the resolver's answer (a promise when
   * the resolver is async); `undefined` when `iss` is not accepted.
   * @throws KeysUnavailableError (503) when the resolver fails or answers something unusable.
   */
  select(iss: string): IssuerRuntime | Promise<IssuerRuntime | undefined> | undefined {
    const now = this.ctx.clock()
    const found = this.live.get(iss)
    if (found !== undefined && now < found.until) {
      this.live.delete(iss)
      this.live.set(iss, found)
      return found.runtime
    }
    const running = this.pending.get(iss)
    if (running !== undefined) return running
    let answer: IssuerProfile | undefined | Promise<IssuerProfile | undefined>
    try {
      answer = this.tenants.resolve(iss)
    } catch (error) {
      throw this.failed(iss, error)
    }
    if (!(answer instanceof Promise)) return this.admit(iss, answer, now)
    const promise = answer.then(
      (profile) => this.admit(iss, profile, this.ctx.clock()),
      (error: unknown) => {
        throw this.failed(iss, error)
      },
    )
    const settled = promise.finally(() => this.pending.delete(iss))
    // Concurrent tokens of one new tenant share one resolution; the entry lives while it runs.
    this.pending.set(iss, settled)
    return settled
  }

  /** Fetches the metadata and keys of the allow-listed issuers (at most `maxIssuers`). */
  async warmup(): Promise<void> {
    await Promise.all(
      this.tenants.known.map(async (iss) => {
        const runtime = await this.select(iss)
        await runtime?.keys.warmup()
      }),
    )
  }

  /** Closes every live key source; nothing is resolved afterwards. */
  close(): void {
    this.closed = true
    for (const { runtime } of this.live.values()) runtime.keys.close()
    this.live.clear()
  }

  /** Takes the resolver's answer into the live set (or drops a tenant it no longer accepts). */
  private admit(iss: string, answer: IssuerProfile | undefined, now: number): IssuerRuntime | undefined {
    const previous = this.live.get(iss)
    this.live.delete(iss)
    if (answer === undefined || this.closed) {
      previous?.runtime.keys.close()
      return undefined
    }
    let profile: IssuerProfile
    try {
      profile = this.ctx.complete(answer)
      if (profile.targets.length !== 1 || profile.targets[0]?.issuer !== iss) {
        throw new TypeError('the resolved profile is not one issuer named by the token')
      }
    } catch (error) {
      previous?.runtime.keys.close()
      throw this.failed(iss, error)
    }
    const target = profile.targets[0] as IssuerProfile['targets'][number]
    const same = previous !== undefined && previous.runtime.target.jwksUri === target.jwksUri
    if (previous !== undefined && !same) previous.runtime.keys.close()
    const keys = same ? previous.runtime.keys : this.keySource(iss, target.jwksUri)
    const runtime: IssuerRuntime = { profile, target, keys }
    this.live.set(iss, { runtime, until: now + this.tenants.maxAge })
    this.evictBeyondBound()
    return runtime
  }

  private keySource(iss: string, jwksUri: string | undefined): KeySource {
    const { keyOptions, emit, clock } = this.ctx
    return jwksUri === undefined
      ? new DiscoveredKeySource(iss, keyOptions, emit, clock)
      : new RemoteKeySource(jwksUri, keyOptions, emit, clock)
  }

  private evictBeyondBound(): void {
    while (this.live.size > this.tenants.maxIssuers) {
      const oldest = this.live.entries().next()
      if (oldest.done === true) return
      const [iss, { runtime }] = oldest.value
      this.live.delete(iss)
      runtime.keys.close()
      this.ctx.emit({ type: 'tenant.evicted', issuer: iss })
    }
  }

  private failed(iss: string, error: unknown): KeysUnavailableError {
    const message = error instanceof Error ? error.message : String(error)
    this.ctx.emit({ type: 'tenant.resolve-failed', issuer: iss.slice(0, QUOTED_ISS), error: message })
    const retryAfter = Math.max(1, Math.ceil(this.ctx.keyOptions.cooldownDuration / 1000))
    return new KeysUnavailableError(retryAfter, { cause: error })
  }
}
