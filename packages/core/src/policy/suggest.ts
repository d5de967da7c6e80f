/**
 * "Did you mean" suggestions for misspelt claim, operator and combinator names.
 */

/**
 * The optimal-string-alignment distance between two strings: the number of single-character insertions,
 * deletions, substitutions and adjacent transpositions that turn `a` into `b`.
 *
 * @example
 * ```ts
 * editDistance('enviroment', 'environment') // 1
 * editDistance('porject', 'project') // 1 (a transposition)
 * ```
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0
  if (a.length === 0) return b.length
  if (b.length === 0) return a.length
  const width = b.length + 1
  // Three rolling rows: two back (for transpositions), previous, current.
  let back2 = new Array<number>(width).fill(0)
  let back1 = Array.from({ length: width }, (_, j) => j)
  let row = new Array<number>(width).fill(0)
  for (let i = 1; i <= a.length; i++) {
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(back1[j]! + 1, row[j - 1]! + 1, back1[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, back2[j - 2]! + 1)
      }
      row[j] = best
    }
    ;[back2, back1, row] = [back1, row, back2]
  }
  return back1[b.length]!
}

/** Folds case, `_` and `-` away, so that `projectId`, `PROJECT_ID` and `project-id` compare equal. */
function fold(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '')
}

/**
 * The candidate closest to `name`, if it is close enough to be a likely typo. Names are compared
 * ignoring case, `_` and `-`; the distance may be at most a third of the name's length (at least 1, at
 * most 3).
 *
 * @example
 * ```ts
 * closestName('enviroment', ['environment', 'project']) // 'environment'
 * closestName('projectId', ['project', 'project_id']) // 'project_id'
 * closestName('colour', ['environment', 'project']) // undefined
 * ```
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const folded = fold(name)
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)))
  let best: string | undefined
  let bestDistance = Number.POSITIVE_INFINITY
  for (const candidate of candidates) {
    if (candidate === name) continue
    const distance = editDistance(folded, fold(candidate))
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return bestDistance <= limit ? best : undefined
}
