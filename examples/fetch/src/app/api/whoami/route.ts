/**
 * A Next.js App Router route handler (`app/api/whoami/route.ts`), on Vercel's Node.js or Edge runtime:
 * `GET` is the protected handler itself. Next.js passes `(request, { params })`; protect() hands the
 * handler the verified `auth` between the two.
 */

import { protect } from '@oidc-gate/core'
import { exampleGate } from '../../../gate.js'

const gate = exampleGate(process.env)

export const GET = protect(
  gate,
  async (_request: Request, auth, { params }: { params: Promise<Record<string, string>> }) => {
    const { projectId, environment } = auth.vercel
    return Response.json({ projectId, environment, params: await params })
  },
  // Only this project's production and preview deployments may call.
  { policy: { project: 'web', environment: ['production', 'preview'] } },
)
