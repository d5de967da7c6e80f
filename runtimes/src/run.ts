/**
 * `pnpm runtimes`: runs the same scenarios against the built `@oidc-gate/core` and `@oidc-gate/hono` in
 * every runtime of the matrix, prints scenario × runtime and uncached verify ops/s, and exits non-zero
 * when a scenario fails anywhere. Build the packages first (`pnpm build`).
 *
 * Options: `--only node22,deno` runs some targets; `--iterations 500` sets the timed loop (0 skips it).
 */

import { parseArgs } from 'node:util'
import { type Bundle, type BundleName, buildBundle } from './bundles.js'
import { type Fixtures, inputFor, startFixtures } from './fixtures.js'
import type { RunReport } from './harness/input.js'
import { runEdgeRuntime } from './hosts/edge-runtime.js'
import { RUN_TIMEOUT, runHarnessProcess } from './hosts/process.js'
import { runWorkerd } from './hosts/workerd.js'
import { details, failed, matrixTable, type Outcome, throughput } from './report.js'
import { RUNTIMES_DIR, type Target, targets } from './targets.js'

/** The platform whose runtime packages the matrix depends on: there a missing one is a failure. */
const MATRIX_PLATFORM = process.platform === 'linux' && process.arch === 'x64'

function runHost(target: Target, bundle: Bundle, fixtures: Fixtures): Promise<RunReport> {
  const input = inputFor(fixtures, target.fetchKeys, target.expectedCrypto)
  const host = target.host
  if (host === undefined) throw new Error('not installed')
  switch (host.kind) {
    case 'process':
      return runHarnessProcess(host.command, [...host.args, bundle.file], input, RUNTIMES_DIR, host.env)
    case 'workerd':
      return runWorkerd({ ...host, bundle: bundle.file }, input)
    case 'edge-runtime':
      return runEdgeRuntime(bundle.file, input)
  }
}

async function runTarget(target: Target, bundle: Bundle, fixtures: Fixtures): Promise<Outcome> {
  const start = performance.now()
  const seconds = (): number => (performance.now() - start) / 1000
  if (target.host === undefined) {
    const why = `not installed (its package is for linux-x64, this is ${process.platform}-${process.arch})`
    return MATRIX_PLATFORM
      ? { name: target.name, error: 'runtime package not installed', seconds: 0 }
      : { name: target.name, skipped: why, seconds: 0 }
  }
  if (bundle.crypto !== undefined && bundle.crypto !== target.expectedCrypto) {
    return {
      name: target.name,
      error: `the ${target.bundle} build holds the ${bundle.crypto} crypto`,
      seconds: 0,
    }
  }
  try {
    const report = await withDeadline(runHost(target, bundle, fixtures), RUN_TIMEOUT + 5000)
    return { name: target.name, report, seconds: seconds() }
  } catch (error) {
    return {
      name: target.name,
      error: error instanceof Error ? error.message : String(error),
      seconds: seconds(),
    }
  }
}

/** `promise`, or a rejection once `ms` have passed: a hung runtime fails its column, not the run. */
async function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no report within ${ms / 1000} s`)), ms)
  })
  try {
    return await Promise.race([promise, hung])
  } finally {
    clearTimeout(timer)
  }
}

function selectTargets(only: string | undefined): Target[] {
  const all = targets()
  if (only === undefined) return all
  const names = new Set(only.split(','))
  const unknown = [...names].filter((name) => !all.some((target) => target.name === name))
  if (unknown.length > 0)
    throw new TypeError(
      `--only: unknown target ${unknown.join(', ')}; known: ${all.map((t) => t.name).join(', ')}`,
    )
  return all.filter((target) => names.has(target.name))
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, iterations: { type: 'string', default: '500' } },
  })
  const iterations = Number(values.iterations)
  if (!Number.isSafeInteger(iterations) || iterations < 0)
    throw new TypeError('--iterations must be a whole number')
  const selected = selectTargets(values.only)
  const names = [...new Set(selected.map((target) => target.bundle))]
  const built = await Promise.all(names.map(async (name) => [name, await buildBundle(name)] as const))
  const bundles = new Map<BundleName, Bundle>(built)
  const fixtures = await startFixtures(iterations)
  const outcomes: Outcome[] = []
  try {
    // One after another: the timed loops must not compete for the two cores.
    for (const target of selected) {
      const outcome = await runTarget(target, bundles.get(target.bundle) as Bundle, fixtures)
      console.log(
        `${failed(outcome) ? 'FAIL' : outcome.skipped ? 'skip' : 'pass'} ${target.name} (${outcome.seconds.toFixed(1)} s)`,
      )
      outcomes.push(outcome)
    }
  } finally {
    await fixtures.close()
  }
  console.log(
    `\n${matrixTable(outcomes)}\n\n${details(outcomes)}\n\nuncached verify, pinned RS256 key, token cache off:\n${throughput(outcomes)}`,
  )
  return outcomes.some(failed) ? 1 : 0
}

process.exitCode = await main()
