/**
 * A Cloudflare Workers module (`wrangler deploy src/worker.ts`): `fetch(request, env, ctx)` behind
 * protect(). The gate is built on the first request, from the Worker's `env`, and reused by every later
 * request of the isolate, so its keys and verified tokens stay cached. Runs without `nodejs_compat`.
 */

import { type FetchHandler, protect, type VercelClaims } from '@oidc-gate/core'
import { type ExampleEnv, exampleGate, whoami } from './gate.js'

/** The part of `ExecutionContext` the example uses. */
interface Context {
  waitUntil(promise: Promise<unknown>): void
}

let handler: FetchHandler<Request, [ExampleEnv, Context], VercelClaims> | undefined

export default {
  fetch(request: Request, env: ExampleEnv, ctx: Context): Promise<Response> {
    handler ??= protect(exampleGate(env), (req, auth, _env: ExampleEnv, _ctx: Context) => whoami(req, auth))
    return handler(request, env, ctx)
  },
}
