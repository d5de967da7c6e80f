/** Prints the matrix: scenario × runtime, the failures, then uncached verify ops/s per runtime. */

import type { RunReport } from './harness/input.js'

/** What happened to one target. */
export interface Outcome {
  readonly name: string
  /** The report, when the runtime ran the scenarios. */
  readonly report?: RunReport
  /** Why the runtime could not run them. */
  readonly error?: string
  /** Why the runtime was not run at all (not installed on this platform). */
  readonly skipped?: string
  /** Wall time of the target, build excluded, in seconds. */
  readonly seconds: number
}

/** Whether the target failed: an error, or a scenario that did not pass. */
export function failed(outcome: Outcome): boolean {
  return outcome.error !== undefined || (outcome.report?.results.some((result) => !result.ok) ?? false)
}

function cell(outcome: Outcome, scenario: string): string {
  if (outcome.skipped !== undefined) return 'skip'
  const result = outcome.report?.results.find((candidate) => candidate.name === scenario)
  if (result === undefined) return outcome.report === undefined ? 'FAIL' : '-'
  return result.ok ? (result.cell ?? 'pass') : 'FAIL'
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`
}

/** Display width: code points, so `→` counts as one. */
function width(text: string): number {
  return [...text].length
}

/** The table as Markdown: one row per scenario, one column per runtime. */
export function matrixTable(outcomes: readonly Outcome[]): string {
  const scenarios = [
    ...new Set(outcomes.flatMap((outcome) => outcome.report?.results.map((r) => r.name) ?? [])),
  ]
  const header = ['scenario', ...outcomes.map((outcome) => outcome.name)]
  const body = scenarios.map((scenario) => [scenario, ...outcomes.map((outcome) => cell(outcome, scenario))])
  const widths = header.map((_, index) =>
    Math.max(...[header, ...body].map((cells) => width(cells[index] ?? ''))),
  )
  const pad = (cells: readonly string[]): string[] =>
    cells.map((text, index) => text + ' '.repeat((widths[index] ?? 0) - width(text)))
  return [
    row(pad(header)),
    row(widths.map((w) => '-'.repeat(w))),
    ...body.map((cells) => row(pad(cells))),
  ].join('\n')
}

/** One line per runtime: its version, its time, and its failures or error in detail. */
export function details(outcomes: readonly Outcome[]): string {
  const lines: string[] = []
  for (const outcome of outcomes) {
    const what = outcome.skipped ?? outcome.report?.runtime ?? 'did not run'
    lines.push(`${outcome.name}: ${what} (${outcome.seconds.toFixed(1)} s)`)
    if (outcome.error !== undefined) lines.push(`  error: ${outcome.error}`)
    for (const result of outcome.report?.results ?? []) {
      if (!result.ok) lines.push(`  FAIL ${result.name}: ${result.detail}`)
    }
  }
  return lines.join('\n')
}

/** Uncached verifications per second, one line per runtime that ran the loop. */
export function throughput(outcomes: readonly Outcome[]): string {
  const lines: string[] = []
  const nameWidth = Math.max(...outcomes.map((outcome) => outcome.name.length))
  for (const outcome of outcomes) {
    const bench = outcome.report?.bench
    if (bench === null || bench === undefined || bench.ms <= 0) continue
    const perSecond = Math.round((bench.iterations / bench.ms) * 1000)
    lines.push(
      `${outcome.name.padEnd(nameWidth)} ${String(perSecond).padStart(7)} verify/s  (${bench.iterations} in ${bench.ms.toFixed(0)} ms)`,
    )
  }
  return lines.join('\n')
}
