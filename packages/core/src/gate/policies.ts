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
  /** @throws InsufficientScopeError (403) when `policy` refuses the claims of `auth`. */
  enforce(auth: Auth, policy: CompiledPolicy | undefined): void
}

/** Builds the policies of a gate; the gate-wide one is compiled now. */
export function gatePolicies(
  gatePolicy: PolicyInput<unknown> | undefined,
  registry: IssuerRegistry,
  emit: EventListener,
  errorOptions: GateErrorOptions,
): GatePolicies {
  const compile = (policy: PolicyInput<unknown>, label: string): CompiledPolicy => {
    if (isCompiledPolicy(policy)) return policy
    const compiled = compilePolicy(policy as Policy, {
      label,
      ...(registry.claimNames === undefined ? {} : { claimNames: registry.claimNames }),
      ...(registry.vercelOnly ? { profile: 'vercel' as const } : {}),
    })
    for (const message of compiled.warnings) emit({ type: 'policy.warning', message })
    return compiled
  }
  const compiledByObject = new WeakMap<object, CompiledPolicy>()
  return {
    gate: gatePolicy === undefined ? undefined : compile(gatePolicy, 'policy'),
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
    enforce(auth, policy) {
      const claims = auth.claims as unknown as Record<string, unknown>
      if (policy === undefined || policy.test(claims)) return
      const decision = policy.explain(claims)
      emit({
        type: 'policy.denied',
        issuer: auth.issuer,
        sub: auth.claims.sub,
        failures: decision.failures.map((f) => f.message),
      })
      throw new InsufficientScopeError(decision.missingScopes, errorOptions)
    },
  }
}
