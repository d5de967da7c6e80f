/**
 * The default, in-process replay store (SECURITY R4, R7). Bounded: when every slot holds a live entry it
 * refuses new claims (503) instead of evicting one, since evicting a live entry would let its proof be
 * replayed. Expired entries are swept as claims arrive; no timer keeps the process alive.
 */

import { ReplayStoreUnavailableError } from '../errors.js'
import type { ReplayStore } from './store.js'

/** Options of {@link memoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /**
   * Most keys held at once. At 60 s per proof, 100000 entries serve about 1600 DPoP requests per second
   * with distinct proofs; about 100 bytes each. Default 100000.
   */
  readonly maxEntries?: number
  /** The clock, ms since the epoch. For tests. Default `Date.now`. */
  readonly clock?: () => number
}

/** Expired entries removed from the oldest end per claim: keeps the map clean at O(1) per request. */
const SWEEP_PER_CLAIM = 4

/**
 * A replay store in this process's memory. Single use holds per instance only: with several instances
 * behind a load balancer, use a shared store (`@oidc-gate/redis`) or server nonces.
 *
 * @example
 * ```ts
 * import { createGate, memoryReplayStore, oidc } from '@oidc-gate/core'
 *
 * const gate = createGate({
 *   issuers: [oidc({ issuer: 'https://auth.example.com', audience: 'https://api.example.com' })],
 *   dpop: { replayStore: memoryReplayStore({ maxEntries: 50_000 }) },
 * })
 * ```
 */
export function memoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('memoryReplayStore() options must be an object')
  }
  const maxEntries = options.maxEntries ?? 100_000
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new TypeError('memoryReplayStore(): maxEntries must be a positive integer')
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') {
    throw new TypeError('memoryReplayStore(): clock must be a function')
  }
  return new MemoryReplayStore(maxEntries, options.clock ?? Date.now)
}

class MemoryReplayStore implements ReplayStore {
  /** Key → expiry (ms), in insertion order, which is close to expiry order. */
  private readonly entries = new Map<string, number>()
  /** No entry expires before this time (ms): a full sweep before then would free nothing. */
  private earliestExpiry = Number.POSITIVE_INFINITY

  constructor(
    private readonly maxEntries: number,
    private readonly clock: () => number,
  ) {}

  claim(key: string, expiresAtMs: number): boolean {
    const now = this.clock()
    this.sweepOldest(now)
    const existing = this.entries.get(key)
    if (existing !== undefined && existing > now) return false
    if (existing === undefined && this.entries.size >= this.maxEntries && !this.sweepAll(now)) {
      // Full of live entries: refuse rather than evict one (an evicted proof could be replayed).
      throw new ReplayStoreUnavailableError(Math.max(1, Math.ceil((this.earliestExpiry - now) / 1000)))
    }
    this.entries.delete(key)
    this.entries.set(key, expiresAtMs)
    if (expiresAtMs < this.earliestExpiry) this.earliestExpiry = expiresAtMs
    return true
  }

  private sweepOldest(now: number): void {
    let swept = 0
    for (const [key, expiresAt] of this.entries) {
      if (expiresAt > now || swept === SWEEP_PER_CLAIM) return
      this.entries.delete(key)
      swept++
    }
  }

  /** Removes every expired entry; `true` when that freed a slot. */
  private sweepAll(now: number): boolean {
    if (now < this.earliestExpiry) return false
    let earliest = Number.POSITIVE_INFINITY
    for (const [key, expiresAt] of this.entries) {
      if (expiresAt <= now) this.entries.delete(key)
      else if (expiresAt < earliest) earliest = expiresAt
    }
    this.earliestExpiry = earliest
    return this.entries.size < this.maxEntries
  }
}
