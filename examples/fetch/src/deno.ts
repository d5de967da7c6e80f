/**
 * `deno run --allow-env --allow-net src/deno.ts`: Deno's own HTTP server, every request authenticated by
 * protect().
 */

import { protect } from '@oidc-gate/core'
import { exampleGate, whoami } from './gate.js'

// Deno's globals, declared here so the example type-checks without Deno's types.
declare const Deno: {
  readonly env: { toObject(): Record<string, string> }
  serve(
    options: { port: number; hostname: string; onListen(address: { hostname: string; port: number }): void },
    handler: (request: Request) => Promise<Response>,
  ): unknown
}

const env = Deno.env.toObject()
Deno.serve(
  {
    port: Number(env.PORT ?? 3008),
    hostname: env.HOST ?? '127.0.0.1',
    onListen: ({ hostname, port }) => console.log(`listening on http://${hostname}:${port}`),
  },
  protect(exampleGate(env), whoami),
)
