/** `bun src/bun.ts`: Bun's own HTTP server, every request authenticated by protect(). */

import { protect } from '@oidc-gate/core'
import { exampleGate, whoami } from './gate.js'

// Bun's globals, declared here so the example type-checks without bun-types.
declare const Bun: {
  readonly env: Record<string, string | undefined>
  serve(options: { port: number; hostname: string; fetch(request: Request): Promise<Response> }): {
    readonly url: URL
  }
}

const gate = exampleGate(Bun.env)
const server = Bun.serve({
  port: Number(Bun.env.PORT ?? 3007),
  hostname: Bun.env.HOST ?? '127.0.0.1',
  fetch: protect(gate, whoami),
})
console.log(`listening on ${server.url.origin}`)
