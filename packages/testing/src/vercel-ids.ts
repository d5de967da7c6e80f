/**
 * Stable, predictable Vercel-shaped identifiers derived from team and project names, so tests can write
 * policies on `owner_id` / `project_id` without hard-coding random values.
 */
import { createHash } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

function stableId(prefix: string, length: number, seed: string): string {
  const digest = createHash('sha256').update(seed).digest()
  let id = prefix
  for (let i = 0; i < length; i++) id += ALPHABET[(digest[i] ?? 0) % ALPHABET.length]
  return id
}

/** The identifiers {@link vercelIds} derives. */
export interface VercelIds {
  /** `team_` followed by 24 alphanumeric characters; depends on the team slug only. */
  readonly ownerId: string
  /** `prj_` followed by 28 alphanumeric characters; depends on the team slug and the project name. */
  readonly projectId: string
  /** `usr_` followed by 24 alphanumeric characters; depends on the team slug only. */
  readonly userId: string
}

/**
 * The `owner_id`, `project_id` and development `user_id` that the test issuer puts in tokens for a team
 * and project. Same inputs, same IDs, in every process.
 *
 * @param team - Team slug (the `owner` claim).
 * @param project - Project name (the `project` claim). Default `'web'`.
 *
 * @example
 * ```ts
 * const { ownerId, projectId } = vercelIds('acme', 'web')
 * const gate = createGate({ issuers: [vercel({ team: 'acme', baseUrl: issuer.url })], policy: { project_id: projectId } })
 * ```
 */
export function vercelIds(team: string, project = 'web'): VercelIds {
  return {
    ownerId: stableId('team_', 24, `team:${team}`),
    projectId: stableId('prj_', 28, `project:${team}/${project}`),
    userId: stableId('usr_', 24, `user:${team}`),
  }
}
