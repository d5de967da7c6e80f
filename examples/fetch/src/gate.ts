/**
 * What the examples share: one gate for the Vercel team named in `OIDC_GATE_TEAM` (default `acme`), and
 * the handler of `GET /api/whoami`. `OIDC_GATE_BASE_URL` points the gate at another issuer than
 * `https://oidc.vercel.com`, such as a local `oidc-gate dev-issuer`.
 */

import { createGate, type Gate, type VercelAuth, type VercelClaims, vercel } from '@oidc-gate/core'

/** The variables the examples read, from wherever the runtime keeps them. */
export interface ExampleEnv {
  readonly OIDC_GATE_TEAM?: string | undefined
  readonly OIDC_GATE_BASE_URL?: string | undefined
}

/** The gate of the examples. Build it once per process (or isolate), not per request. */
export function exampleGate(env: ExampleEnv): Gate<VercelClaims> {
  const team = env.OIDC_GATE_TEAM ?? 'acme'
  const baseUrl = env.OIDC_GATE_BASE_URL
  return createGate({ issuers: [vercel(baseUrl === undefined ? { team } : { team, baseUrl })] })
}

/** `GET /api/whoami`: who called, from the verified token. */
export function whoami(_request: Request, auth: VercelAuth): Response {
  const { owner, project, projectId, environment } = auth.vercel
  return Response.json({ owner, project, projectId, environment })
}
