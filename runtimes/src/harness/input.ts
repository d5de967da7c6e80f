/**
 * What the Node side hands to every runtime: tokens it minted, where the issuers are, the keys to pin,
 * and what the run must observe. Plain JSON, so it travels through an environment variable or a request
 * body unchanged.
 */

/** A JWK Set as served by the test issuers. */
export interface JwkSet {
  readonly keys: readonly object[]
}

/** Which implementation of the core's `#crypto` verifies signatures. */
export type CryptoPath = 'node' | 'webcrypto'

/** Tokens of one issuer, each made to fail (or pass) one check. */
export interface IssuerFixture {
  /** The JWKS served by the issuer, for gates that pin keys instead of fetching them. */
  readonly jwks: JwkSet
  /** A token every check accepts. */
  readonly valid: string
  /** A token whose `exp` is 1 h in the past. */
  readonly expired: string
  /** A token for another API (`aud`). */
  readonly wrongAudience: string
}

/** Everything a runtime needs to run the scenarios. */
export interface ScenarioInput {
  readonly vercel: IssuerFixture & {
    /** The team slug the gate accepts. */
    readonly team: string
    /** The test issuer's origin (`vercel({ baseUrl })`). */
    readonly baseUrl: string
    /** A token of another team, signed by the same keys. */
    readonly otherTeam: string
  }
  readonly oidc: IssuerFixture & {
    readonly issuer: string
    readonly audience: string
    readonly jwksUri: string
  }
  /** A JWKS URL on 127.0.0.1 where nothing listens. */
  readonly unreachableJwksUri: string
  /** `false` where the runtime may not fetch from 127.0.0.1: gates then pin the issuers' keys. */
  readonly fetchKeys: boolean
  /** The crypto path this build must take. */
  readonly expectedCrypto: CryptoPath
  /** Verifications in the timed loop; 0 skips it. */
  readonly benchIterations: number
}

/** One scenario's outcome. */
export interface ScenarioResult {
  readonly name: string
  readonly ok: boolean
  /** What was observed, for the log of a failure. */
  readonly detail: string
  /** Shown in the table instead of `pass`, when the result is a value (the crypto path taken). */
  readonly cell?: string
}

/** What a runtime sends back. */
export interface RunReport {
  /** The runtime's own name and version, as it reports them. */
  readonly runtime: string
  readonly results: readonly ScenarioResult[]
  /** Uncached verifications timed inside the runtime; `ms` is 0 where the clock stands still (workerd). */
  readonly bench: { readonly iterations: number; readonly ms: number } | null
}

/** The environment variable that carries the input as JSON to a runtime started as a process. */
export const INPUT_VARIABLE = 'OIDC_GATE_RUNTIME_INPUT'

/** Marks the report line on stdout, so other output cannot be mistaken for it. */
export const REPORT_MARKER = 'oidc-gate-runtime-report '
