/**
 * Lint for Vercel policies: rules on names that change when a team or project is renamed (`owner`,
 * `project`, `sub`) instead of the stable IDs (`owner_id`, `project_id`).
 */

import { forEachRule, type PolicyNode, type RuleNode } from './ast.js'

/** Each renameable claim, and the stable claims any one of which pins the same thing. */
const PINNED_BY: ReadonlyMap<string, readonly string[]> = new Map([
  ['owner', ['owner_id', 'project_id']],
  ['project', ['project_id']],
  ['sub', ['project_id']],
])

function ruleWarnings(rule: RuleNode, negated: boolean, warnings: string[]): void {
  const claims = new Set(rule.leaves.map((leaf) => leaf.segments[0]!))
  for (const [name, stable] of PINNED_BY) {
    if (!claims.has(name)) continue
    if (negated) {
      warnings.push(
        `${rule.at}: excludes by "${name}", which changes when the team or project is renamed; ` +
          `after a rename the exclusion no longer applies. Exclude by ${stable.join(' or ')} instead`,
      )
    } else if (!stable.some((id) => claims.has(id))) {
      warnings.push(
        `${rule.at}: matches "${name}" without ${stable.join(' or ')} in the same rule; "${name}" changes ` +
          'when the team or project is renamed, and another team or project could later take the old ' +
          `name. Add ${stable[0]} (stable)`,
      )
    }
  }
}

/**
 * The rename warnings of a Vercel policy. A rule under `not` that names `owner`, `project` or `sub`
 * is always reported: after a rename it silently stops excluding.
 *
 * @example
 * ```ts
 * // for { project: 'api', environment: 'production' }
 * renameWarnings(node) // ['policy: matches "project" without project_id in the same rule; …']
 * ```
 */
export function renameWarnings(node: PolicyNode): readonly string[] {
  const warnings: string[] = []
  forEachRule(node, (rule, negated) => ruleWarnings(rule, negated, warnings))
  return warnings
}
