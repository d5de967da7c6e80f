/**
 * Entry for runtimes started as a process (Node, Bun, Deno): reads the input from the environment,
 * prints the report as one marked line on stdout.
 */

import { INPUT_VARIABLE, REPORT_MARKER, type ScenarioInput } from './input.js'
import { runScenarios } from './scenarios.js'

interface EnvGlobals {
  Deno?: { env: { get(name: string): string | undefined } }
  process?: { env: Record<string, string | undefined> }
}

function readInput(): ScenarioInput {
  const g = globalThis as EnvGlobals
  const raw = g.Deno?.env.get(INPUT_VARIABLE) ?? g.process?.env[INPUT_VARIABLE]
  if (raw === undefined) throw new Error(`${INPUT_VARIABLE} is not set`)
  return JSON.parse(raw) as ScenarioInput
}

const report = await runScenarios(readInput())
console.log(REPORT_MARKER + JSON.stringify(report))
