// A Cloudflare Worker's use of the core and the Hono adapter, compiled with `@cloudflare/workers-types`,
// `lib: ["ES2022"]`, `moduleResolution: bundler` and `skipLibCheck: false`.
import { createGate, isGateError, vercel } from '@oidc-gate/core'
import { oidcGate } from '@oidc-gate/hono'
import { Hono } from 'hono'

const gate = createGate({ issuers: [vercel({ team: 'acme' })] })
const app = new Hono()
app.use('/api/*', oidcGate(gate))
app.get('/api/me', (c) => c.json({ project: c.var.auth?.vercel?.projectId ?? null }))

export default {
  async fetch(request: Request): Promise<Response> {
    try {
      const auth = await gate.authenticate(request)
      return Response.json({ environment: auth.vercel?.environment })
    } catch (error) {
      if (isGateError(error)) return new Response(null, { status: error.status, headers: error.headers })
      return app.fetch(request)
    }
  },
} satisfies ExportedHandler
