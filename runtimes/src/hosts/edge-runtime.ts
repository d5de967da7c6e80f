/**
 * Runs the edge build in Vercel's `edge-runtime` package: the script is evaluated in a VM context that
 * has only the Web APIs of Vercel's Edge Functions, and requests are dispatched to its `fetch` listener.
 */

import { readFile } from 'node:fs/promises'
import { EdgeRuntime } from 'edge-runtime'
import type { RunReport, ScenarioInput } from '../harness/input.js'
import { runOverFetch } from './fetch-handler.js'

/** Evaluates `bundle` in a fresh edge runtime and runs the scenarios there. */
export async function runEdgeRuntime(bundle: string, input: ScenarioInput): Promise<RunReport> {
  const runtime = new EdgeRuntime({ initialCode: await readFile(bundle, 'utf8') })
  return runOverFetch(async (path, body) => {
    const res = await runtime.dispatchFetch(`http://localhost${path}`, { method: 'POST', body })
    await res.waitUntil()
    return res
  }, input)
}
