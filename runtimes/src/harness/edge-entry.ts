/** Service-worker style entry for Vercel's edge-runtime, which evaluates a script, not a module. */

import { handle } from './fetch-entry.js'

interface FetchEvent {
  readonly request: Request
  respondWith(response: Promise<Response>): void
}

;(
  globalThis as unknown as { addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void }
).addEventListener('fetch', (event) => event.respondWith(handle(event.request)))
