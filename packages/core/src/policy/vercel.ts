/**
 * Vercel presets.
 */

import type { VercelClaims } from '../claims.js'
import type { Policy } from './types.js'

/**
 * Environment variables, as `process.env` holds them.
 *
 * @example
 * ```ts
 * const env: EnvRecord = { VERCEL_PROJECT_ID: 'prj_1', VERCEL_ENV: 'production' }
 * ```
 */
export type EnvRecord = Readonly<Record<string, string | undefined>>

function processEnv(): EnvRecord | undefined {
  return (globalThis as { process?: { env?: EnvRecord } }).process?.env
}

/**
 * A policy that admits only tokens of the running deployment's own project and environment:
 * `project_id` equal to `VERCEL_PROJECT_ID`, and `environment` equal to `VERCEL_TARGET_ENV` (the custom
 * environment's name when there is one), falling back to `VERCEL_ENV`. Reads `globalThis.process.env`
 * unless `env` is given. Fails closed at boot: throws a `TypeError` naming the missing variable.
 *
 * Returns plain policy JSON, so it composes: `{ allOf: [vercelSameProjectAndEnvironment(), { … }] }`.
 *
 * @example
 * ```ts
 * import { createGate, vercel, vercelSameProjectAndEnvironment } from '@oidc-gate/core'
 *
 * const gate = createGate({ issuers: [vercel({ team: 'acme' })], policy: vercelSameProjectAndEnvironment() })
 * vercelSameProjectAndEnvironment({ VERCEL_PROJECT_ID: 'prj_1', VERCEL_ENV: 'preview' })
 * // { project_id: 'prj_1', environment: 'preview' }
 * ```
 */
export function vercelSameProjectAndEnvironment(
  env: EnvRecord | undefined = processEnv(),
): Policy<VercelClaims> {
  const name = 'vercelSameProjectAndEnvironment'
  const projectId = env?.VERCEL_PROJECT_ID
  if (projectId === undefined || projectId === '') {
    throw new TypeError(
      `${name}: VERCEL_PROJECT_ID is not set; this preset only works on a Vercel deployment`,
    )
  }
  const environment = env?.VERCEL_TARGET_ENV || env?.VERCEL_ENV
  if (environment === undefined || environment === '') {
    throw new TypeError(
      `${name}: neither VERCEL_TARGET_ENV nor VERCEL_ENV is set; this preset only works on a Vercel deployment`,
    )
  }
  return { project_id: projectId, environment }
}
