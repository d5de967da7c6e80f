/**
 * The Fetch handler for runtimes driven over HTTP (workerd, edge-runtime): `POST /run` with the input as
 * the body answers the report; `POST /bench` runs only the timed loop, so the caller can time it from
 * outside where the runtime's clock stands still during execution (workerd).
 */

import type { ScenarioInput } from './input.js'
import { runBench, runScenarios } from './scenarios.js'

/** Answers one request from the Node side. */
export async function handle(request: Request): Promise<Response> {
  const { pathname } = new URL(request.url)
  if (request.method !== 'POST') return new Response(null, { status: 405 })
  const input = (await request.json()) as ScenarioInput
  if (pathname === '/run') return Response.json(await runScenarios({ ...input, benchIterations: 0 }))
  if (pathname === '/bench') return Response.json(await runBench(input, 1))
  return new Response(null, { status: 404 })
}
