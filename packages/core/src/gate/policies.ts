/**
 * The gate's policies: compiled once with the claim names of its issuers (a typo fails at boot, even
 * inside `not`), remembered by identity for per-request JSON policies, and applied after verification.
 */

import type { Auth } from '../auth.js'
import { type GateErrorOptions, InsufficientScopeError } from '../errors.js'
import type { EventListener } from '../events.js'
import { compilePolicy, isCompiledPolicy } from '../policy/index.js'
import type { CompiledPolicy, Policy } from '../policy/types.js'
import type { IssuerRegistry } from './issuer-registry.js'
import type { PolicyInput } from './types.js'

/** Compiles and applies the policies of one gate. */
export interface GatePolicies {
  /** The gate-wide policy, if any. */
  readonly gate: CompiledPolicy | undefined
  /** Compiles `policy` with the gate's claim names; a compiled policy passes through. */
  compile(policy: PolicyInput<unknown>, label: string): CompiledPolicy
  /** A per-request policy, compiled on first use and remembered by identity. */
  forRequest(policy: PolicyInput<unknown> | undefined): CompiledPolicy | undefined
  /**
   * Applies `policy` (the gate-wide one, or the request's `route` policy).
   * @throws InsufficientScopeError (403) when `policy` refuses the claims of `auth`, naming every scope
   * the gate-wide and `route` policies require.
   */
  enforce(auth: Auth, policy: CompiledPolicy | undefined, route?: CompiledPolicy): void
}

/** Builds the policies of a gate; the gate-wide one is compiled now. */
export function gatePolicies(
  gatePolicy: PolicyInput<unknown> | undefined,
  registry: IssuerRegistry,
  emit: EventListener,
  errorOptions: GateErrorOptions,
  scopeHierarchy?: string,
  listening: () => boolean = () => false,
): GatePolicies {
  const compile = (policy: PolicyInput<unknown>, label: string): CompiledPolicy => {
    if (isCompiledPolicy(policy)) {
      // Compiled elsewhere (without claim names, or by another gate): its claim names are checked here
      // too, at boot, so a misspelt claim never reaches a route through a precompiled policy.
      if (registry.claimNames !== undefined) {
        compilePolicy(policy.source as Policy, { label: policy.label, claimNames: registry.claimNames })
      }
      return policy
    }
    const compiled = compilePolicy(policy as Policy, {
      label,
      ...(registry.claimNames === undefined ? {} : { claimNames: registry.claimNames }),
      ...(registry.policyProfile === undefined ? {} : { profile: registry.policyProfile }),
      ...(scopeHierarchy === undefined ? {} : { scopeHierarchy }),
    })
    for (const message of compiled.warnings) emit({ type: 'policy.warning', message })
    return compiled
  }
  const compiledByObject = new WeakMap<object, CompiledPolicy>()
  const gate = gatePolicy === undefined ? undefined : compile(gatePolicy, 'policy')
  // Every scope the request needs, not only the missing ones: a client that asks for a new token with
  // just those would lose the others (RFC 6750 §3: "the scope necessary to access the resource").
  const neededScopes = (route: CompiledPolicy | undefined): string[] => [
    ...new Set([...(gate?.requiredScopes ?? []), ...(route?.requiredScopes ?? [])]),
  ]
  return {
    gate,
    compile,
    forRequest(policy) {
      if (policy === undefined || isCompiledPolicy(policy)) return policy
      let compiled = compiledByObject.get(policy)
      if (compiled === undefined) {
        compiled = compile(policy, 'route policy')
        compiledByObject.set(policy, compiled)
      }
      return compiled
    },
    enforce(auth, policy, route = policy) {
      const claims = auth.claims as unknown as Record<string, unknown>
      if (policy === undefined) return
      if (policy.test(claims)) {
        if (listening()) {
          emit({ type: 'policy.allowed', policy: policy.label, issuer: auth.issuer, sub: auth.claims.sub })
        }
        return
      }
      const decision = policy.explain(claims)
      emit({
        type: 'policy.denied',
        policy: policy.label,
        issuer: auth.issuer,
        sub: auth.claims.sub,
        failures: decision.failures.map((f) => f.message),
      })
      throw new InsufficientScopeError(neededScopes(route), errorOptions)
    },
  }
}
