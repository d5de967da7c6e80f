/**
 * Declarative policies: plain JSON, validated and compiled once, evaluated on verified claims.
 * See `packages/core/POLICIES.md` for the language.
 */

export { compilePolicy, isCompiledPolicy } from './compile.js'
export type {
  AllOfPolicy,
  AnyOfPolicy,
  ClaimPath,
  CompiledPolicy,
  CompilePolicyOptions,
  NotPolicy,
  Policy,
  PolicyCombinator,
  PolicyCondition,
  PolicyDecision,
  PolicyFailure,
  PolicyOperator,
  PolicyOperatorObject,
  PolicyRule,
} from './types.js'
export { type EnvRecord, vercelSameProjectAndEnvironment } from './vercel.js'
