/**
 * Types of the policy language: what a policy looks like as JSON, and what compiling one produces.
 * The language reference is `packages/core/POLICIES.md`.
 */

/**
 * The operator names of the policy language, usable as the keys of an operator object.
 *
 * @example
 * ```ts
 * const op: PolicyOperator = 'glob'
 * ```
 */
export type PolicyOperator = 'equals' | 'glob' | 'includes' | 'exists'

/**
 * The combinator names of the policy language, usable as the single key of a combinator object.
 *
 * @example
 * ```ts
 * const combinator: PolicyCombinator = 'anyOf'
 * ```
 */
export type PolicyCombinator = 'anyOf' | 'allOf' | 'not'

interface OperatorValues {
  /** Strict equality with a JSON scalar (`===`). */
  readonly equals: string | number | boolean
  /** A string claim matching a glob where `*` matches any run of characters and `?` one character. */
  readonly glob: string
  /** Every listed token is in the claim: a space-delimited string (scope tokens) or an array. */
  readonly includes: string | readonly string[]
  /** `true`: the claim is present and not `null`; `false`: it is absent or `null`. */
  readonly exists: boolean
}

type OneOperator<K extends PolicyOperator> = { readonly [P in K]: OperatorValues[P] } & {
  readonly [P in Exclude<PolicyOperator, K>]?: never
}

/**
 * An operator object: exactly one of `equals`, `glob`, `includes`, `exists`.
 *
 * @example
 * ```ts
 * const op: PolicyOperatorObject = { glob: 'api-*' }
 * ```
 */
export type PolicyOperatorObject = { [K in PolicyOperator]: OneOperator<K> }[PolicyOperator]

/**
 * What a claim must satisfy: a string (exact, case-sensitive equality), a non-empty array of strings
 * (equal to one of them), or an operator object.
 *
 * @example
 * ```ts
 * const a: PolicyCondition = 'production'
 * const b: PolicyCondition = ['production', 'preview']
 * const c: PolicyCondition = { includes: 'todos:read' }
 * ```
 */
export type PolicyCondition = string | readonly string[] | PolicyOperatorObject

type PrevDepth = [never, 0, 1, 2]

type NestedClaimPaths<K extends string, V, D extends number> = V extends readonly unknown[]
  ? never
  : V extends object
    ? string extends keyof V
      ? `${K}.${string}`
      : `${K}.${ClaimPath<V, PrevDepth[D]>}`
    : never

/**
 * The claim paths a rule object may name for claims of type `C`: its top-level keys and the dotted
 * paths into object-valued claims (`act.sub`). Claim types with an index signature (generic access
 * tokens, `Record<string, unknown>`) allow any string.
 *
 * @example
 * ```ts
 * import type { VercelClaims } from '@oidc-gate/core'
 * const path: ClaimPath<VercelClaims> = 'project_id'
 * ```
 */
export type ClaimPath<C, D extends number = 3> = [D] extends [never]
  ? never
  : string extends keyof C
    ? string
    : { [K in keyof C & string]-?: K | NestedClaimPaths<K, NonNullable<C[K]>, D> }[keyof C & string]

/**
 * A rule object: the AND of its entries, each a claim path mapped to a {@link PolicyCondition}. With a
 * closed claim type (e.g. `VercelClaims`) only its claim names are accepted. The key `scopes` lists
 * scope tokens that must all be granted (`{ scopes: ['files:read'] }`); a claim named `scopes` is
 * written `[scopes]`.
 *
 * @example
 * ```ts
 * import type { VercelClaims } from '@oidc-gate/core'
 * const rule: PolicyRule<VercelClaims> = { project_id: 'prj_123', environment: 'production' }
 * ```
 */
export type PolicyRule<C = Record<string, unknown>> =
  string extends ClaimPath<C>
    ? { readonly [path: string]: PolicyCondition }
    : { readonly [P in ClaimPath<C>]?: PolicyCondition } & {
        /** Scope tokens the `scope` claim must all contain: `{ scope: { includes: [...] } }`. */
        readonly scopes?: string | readonly string[]
        readonly anyOf?: never
        readonly allOf?: never
        readonly not?: never
      }

/**
 * Matches when at least one of the policies matches.
 *
 * @example
 * ```ts
 * const p: AnyOfPolicy = { anyOf: [{ environment: 'production' }, { environment: 'preview' }] }
 * ```
 */
export interface AnyOfPolicy<C = Record<string, unknown>> {
  readonly anyOf: readonly Policy<C>[]
  readonly allOf?: never
  readonly not?: never
}

/**
 * Matches when every one of the policies matches.
 *
 * @example
 * ```ts
 * const p: AllOfPolicy = { allOf: [{ environment: 'preview' }, { not: { project: { glob: 'sandbox-*' } } }] }
 * ```
 */
export interface AllOfPolicy<C = Record<string, unknown>> {
  readonly allOf: readonly Policy<C>[]
  readonly anyOf?: never
  readonly not?: never
}

/**
 * Matches when the policy does not match (including when the claims it names are missing).
 *
 * @example
 * ```ts
 * const p: NotPolicy = { not: { project: { glob: 'sandbox-*' } } }
 * ```
 */
export interface NotPolicy<C = Record<string, unknown>> {
  readonly not: Policy<C>
  readonly anyOf?: never
  readonly allOf?: never
}

/**
 * A declarative access policy, plain JSON: a rule object, or an object with exactly one combinator
 * (`anyOf`, `allOf`, `not`). `Policy<VercelClaims>` accepts only Vercel claim names as rule keys; the
 * default `Policy` accepts any claim path, dotted paths included.
 *
 * @example
 * ```ts
 * import type { Policy, VercelClaims } from '@oidc-gate/core'
 * const policy: Policy<VercelClaims> = {
 *   anyOf: [
 *     { owner_id: 'team_1', project_id: ['prj_a', 'prj_b'], environment: 'production' },
 *     { environment: 'development', user_id: 'usr_9' },
 *   ],
 * }
 * const generic: Policy = { 'realm_access.roles': { includes: 'admin' } }
 * ```
 */
export type Policy<C = Record<string, unknown>> =
  | PolicyRule<C>
  | AnyOfPolicy<C>
  | AllOfPolicy<C>
  | NotPolicy<C>

/**
 * Options of `compilePolicy`.
 *
 * @example
 * ```ts
 * const options: CompilePolicyOptions = { profile: 'vercel', label: 'options.policy' }
 * ```
 */
export interface CompilePolicyOptions {
  /**
   * The closed set of top-level claim names the policy may use. A rule on any other name throws, with
   * the closest known name suggested. Omit to accept any claim name (generic OIDC).
   */
  readonly claimNames?: readonly string[]
  /** How the policy is named in error messages, warnings and explanations. Default `policy`. */
  readonly label?: string
  /**
   * `vercel`: validate claim names against the Vercel claims (unless `claimNames` is given) and warn
   * about rules that pin renameable names (`owner`, `project`, `sub`) instead of the stable IDs.
   */
  readonly profile?: 'vercel'
  /**
   * The separator of hierarchical scopes, one character such as `':'`: a granted scope then satisfies
   * every scope below it (`files` satisfies `files:read` and `files:read:own`). Applies to `scopes` and
   * to `includes` on `scope` / `scp`. Default: none, scope tokens compare exactly (RFC 6749 §3.3).
   */
  readonly scopeHierarchy?: string
}

/**
 * Why one rule of a policy refused the claims. For logs and the CLI only: it may quote claim values,
 * so it never goes into an HTTP response.
 *
 * @example
 * ```ts
 * const failure: PolicyFailure = {
 *   rule: 'policy.anyOf[0].environment',
 *   claim: 'environment',
 *   operator: 'equals',
 *   expected: 'one of ["production"]',
 *   actual: '"preview"',
 *   message: 'policy.anyOf[0].environment: expected one of ["production"], got "preview"',
 * }
 * ```
 */
export interface PolicyFailure {
  /** Where the failed rule is in the policy, e.g. `policy.anyOf[1].environment`. */
  readonly rule: string
  /** The claim path the rule tests; absent for a failed `not`. */
  readonly claim?: string
  /** The operator that failed; plain strings and arrays count as `equals`. */
  readonly operator: PolicyOperator | 'not'
  /** What the rule expected, described. */
  readonly expected: string
  /** What the claim held, described (quoted, escaped to printable ASCII, truncated). */
  readonly actual: string
  /** For `includes`: the tokens the claim lacked. */
  readonly missing?: readonly string[]
  /** One line for logs: `<rule>: expected <expected>, got <actual>`. */
  readonly message: string
}

/**
 * The outcome of `CompiledPolicy.explain`.
 *
 * @example
 * ```ts
 * const decision: PolicyDecision = { allowed: true, matched: 'policy.anyOf[0]', failures: [], missingScopes: [] }
 * ```
 */
export interface PolicyDecision {
  /** Same answer as {@link CompiledPolicy.test}. */
  readonly allowed: boolean
  /** When allowed: the most specific rule that admitted the claims (an `anyOf` branch, or the label). */
  readonly matched?: string
  /** When denied: every rule that failed on the way to the denial. Empty when allowed. */
  readonly failures: readonly PolicyFailure[]
  /**
   * When denied: the scope tokens that failed `includes` rules on `scope` or `scp` lacked, for the
   * `scope` attribute of a 403 `insufficient_scope` challenge (RFC 6750 §3). Empty when allowed.
   */
  readonly missingScopes: readonly string[]
}

/**
 * A policy compiled into closures, ready for the request path.
 *
 * @example
 * ```ts
 * import { compilePolicy } from '@oidc-gate/core'
 * const policy = compilePolicy({ scope: { includes: 'todos:read' } })
 * policy.test({ scope: 'todos:read todos:write' }) // true
 * policy.requiredScopes // ['todos:read']
 * ```
 */
export interface CompiledPolicy {
  /** A deep-frozen copy of the JSON the policy was compiled from. */
  readonly source: unknown
  /** The label used in messages (`policy` by default). */
  readonly label: string
  /** The hot path: whether verified claims satisfy the policy. No allocation, no walking of the JSON. */
  readonly test: (claims: Readonly<Record<string, unknown>>) => boolean
  /** The slow path, for denials: the decision with the failed rules and the missing scopes. */
  readonly explain: (claims: Readonly<Record<string, unknown>>) => PolicyDecision
  /**
   * The scope tokens named by `scopes` and by `includes` rules on `scope` or `scp` outside any `not`, in
   * policy order: what a 403 `insufficient_scope` lists in `scope="…"`.
   */
  readonly requiredScopes: readonly string[]
  /** Lint findings for the boot log (with `profile: 'vercel'`: rules on renameable names). */
  readonly warnings: readonly string[]
}
