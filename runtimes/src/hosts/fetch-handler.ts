/** Drives the harness's Fetch handler (`harness/fetch-entry.ts`) from the Node side. */

import type { RunReport, ScenarioInput } from '../harness/input.js'

/** Sends a request to the handler and returns the answer. */
export type Dispatch = (path: '/run' | '/bench', body: string) => Promise<Response>

/** Warm-up verifications the timed difference starts after (gate creation and key import included). */
const BASELINE = 20

/** Calls the handler's timed loop (one round of `iterations`); the best of 3 calls, in ms. */
async function timed(dispatch: Dispatch, input: ScenarioInput, iterations: number): Promise<number> {
  const body = JSON.stringify({ ...input, benchIterations: iterations })
  let best = Number.POSITIVE_INFINITY
  for (let call = 0; call < 3; call++) {
    const start = performance.now()
    const res = await dispatch('/bench', body)
    await res.arrayBuffer()
    if (!res.ok) throw new Error(`/bench answered ${res.status}`)
    best = Math.min(best, performance.now() - start)
  }
  return best
}

/**
 * Runs the scenarios, then times `benchIterations` verifications from outside: the difference between a
 * call of `BASELINE + n` verifications and one of `BASELINE`, so request overhead and warm-up cancel out.
 */
export async function runOverFetch(dispatch: Dispatch, input: ScenarioInput): Promise<RunReport> {
  const res = await dispatch('/run', JSON.stringify(input))
  if (!res.ok) throw new Error(`/run answered ${res.status}: ${await res.text()}`)
  const report = (await res.json()) as RunReport
  if (input.benchIterations === 0) return report
  const base = await timed(dispatch, input, BASELINE)
  const full = await timed(dispatch, input, BASELINE + input.benchIterations)
  return { ...report, bench: { iterations: input.benchIterations, ms: Math.max(full - base, 0) } }
}
