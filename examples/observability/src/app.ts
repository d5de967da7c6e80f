/**
 * The example API as one Fetch handler, every route protected with `protect()`: `/health` is public,
 * `/api/whoami` needs any valid token, `/api/deploy` a production one (the routes of the other examples).
 */

import { type Gate, protect, type VercelClaims } from '@oidc-gate/core'
import { routes } from '@oidc-gate/example-support'

/** Builds the API's Fetch handler over `gate`. */
export function createApp(gate: Gate<VercelClaims>): (request: Request) => Promise<Response> {
  const whoami = protect(gate, (_request, auth) => {
    const { owner, project, projectId, environment, userId } = auth.vercel
    return Response.json({ owner, project, projectId, environment, userId })
  })
  // A labelled policy: the label names it in policy events, logs and the authorization metric.
  const production = gate.compilePolicy(routes.deploy.policy, 'deploy')
  const deploy = protect(
    gate,
    (_request, auth) => Response.json({ deployed: true, project: auth.vercel.project }),
    {
      policy: production,
    },
  )
  return async (request) => {
    const { pathname } = new URL(request.url)
    if (request.method === routes.health.method && pathname === routes.health.path) {
      return Response.json({ ok: true })
    }
    if (request.method === routes.whoami.method && pathname === routes.whoami.path) return whoami(request)
    if (request.method === routes.deploy.method && pathname === routes.deploy.path) return deploy(request)
    return Response.json({ error: 'not_found' }, { status: 404 })
  }
}
