/**
 * The verdict of `oidc-gate inspect`, whatever the issuer profile: the token verified by a gate
 * configured as the API would be, the policy applied and explained, and a token that checked out only
 * against a trust anchor read from its own claims called "not pinned".
 */
import { type CompiledPolicy, type Gate, GateError, type Policy, type PolicyDecision } from '@oidc-gate/core'
import { UsageError } from './errors.js'
import type { Refusal, Report } from './inspect-report.js'
import type { DecodedToken } from './token.js'

/** What the gate and the policy said. */
export interface Judgement {
  readonly verified: boolean
  readonly refusal: Refusal | undefined
  readonly decision: PolicyDecision | undefined
  readonly warnings: readonly string[]
}

/** A policy file, read. */
export interface PolicyFile {
  readonly path: string
  readonly source: unknown
}

/**
 * Verifies `token` with `gate`, then applies and explains `policy`. A token that failed verification
 * still gets its policy explained, on its unverified claims. `notPinned` is the refusal of a token that
 * passed only against what its own claims named; it is used when `pinned` is false.
 * @throws UsageError when the policy file is not a valid policy.
 *
 * @example
 * ```ts
 * const { refusal } = await judge(gate, token, decoded, policyFile, pinned, () => notPinned(team), 'inspect')
 * ```
 */
export async function judge<C>(
  gate: Gate<C>,
  token: string,
  decoded: DecodedToken,
  policyFile: PolicyFile | undefined,
  pinned: boolean,
  notPinned: () => Refusal,
  command: string,
): Promise<Judgement> {
  let policy: CompiledPolicy | undefined
  try {
    policy =
      policyFile === undefined ? undefined : gate.compilePolicy(policyFile.source as Policy<C>, 'policy')
  } catch (error) {
    throw new UsageError(`${policyFile?.path}: ${error instanceof Error ? error.message : error}`, command)
  }
  let refusal: Refusal | undefined
  let verified = false
  let decision: PolicyDecision | undefined
  try {
    const auth = await gate.verify(token)
    verified = true
    if (policy !== undefined) {
      decision = gate.explain(auth, policy)
      gate.authorize(auth, policy)
    }
  } catch (error) {
    if (!(error instanceof GateError)) throw error
    const { code, reason, message, status } = error
    refusal = { stage: verified ? 'policy' : 'verification', code, reason, message, status }
  }
  // Checked against what the token itself named: it says nothing about whether to trust it.
  if (!pinned && refusal === undefined) refusal = notPinned()
  if (policy !== undefined && decision === undefined) decision = policy.explain(decoded.claims)
  return { verified, refusal, decision, warnings: policy?.warnings ?? [] }
}

/**
 * The report of a judgement: the decoded token, the verifier, the verdict, the policy's explanation (when
 * a policy file was given) and the hints.
 *
 * @example
 * ```ts
 * return reportOf(decoded, verifier, await judge(...), request.policy, hints(...))
 * ```
 */
export function reportOf(
  decoded: DecodedToken,
  verifier: Report['verifier'],
  judged: Judgement,
  policyFile: PolicyFile | undefined,
  hints: readonly string[],
): Report {
  const { verified, refusal, decision, warnings } = judged
  return {
    header: decoded.header,
    claims: decoded.claims,
    verifier,
    verified,
    refusal,
    policy:
      decision === undefined || policyFile === undefined
        ? undefined
        : { file: policyFile.path, onVerifiedClaims: verified, decision, warnings },
    hints,
  }
}

/**
 * The verifier's time members: the instant of the check, and whether `--now` set it.
 *
 * @example
 * ```ts
 * timeOf(0, true) // { now: '1970-01-01T00:00:00.000Z', nowGiven: true }
 * ```
 */
export function timeOf(
  nowMs: number,
  nowGiven: boolean,
): { readonly now: string; readonly nowGiven: boolean } {
  return { now: new Date(nowMs).toISOString(), nowGiven }
}
