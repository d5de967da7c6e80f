/**
 * The `glob` operator: `*` matches any run of characters (none included), `?` exactly one character
 * (UTF-16 code unit). Everything else is literal. Compiled to a matcher that places each `*`-separated
 * segment once, leftmost first, so matching takes at most O(pattern × value) steps, never the
 * exponential backtracking of a regular expression.
 */

/**
 * Why a glob pattern is refused, or `undefined` when it is valid. Refused: the empty pattern, patterns
 * without `*` or `?` (use a plain string for equality), `**`, and the characters `[ ] { } \` that other
 * glob dialects give a meaning this one does not have.
 *
 * @example
 * ```ts
 * globProblem('sandbox-*') // undefined
 * globProblem('sandbox-[0-9]') // '"[" is not supported (only * and ? are wildcards)'
 * ```
 */
export function globProblem(pattern: string): string | undefined {
  if (pattern === '') return 'empty pattern'
  const unsupported = /[[\]{}\\]/.exec(pattern)
  if (unsupported !== null) return `"${unsupported[0]}" is not supported (only * and ? are wildcards)`
  if (pattern.includes('**')) return '"**" is not supported; a single * already matches any run of characters'
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return 'no wildcard; use a plain string for exact equality'
  }
  return undefined
}

/** Whether `segment` (with `?` wildcards) matches `value` at `start`. The caller ensures it fits. */
function matchesAt(value: string, start: number, segment: string): boolean {
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i)
    if (c !== 63 /* ? */ && c !== value.charCodeAt(start + i)) return false
  }
  return true
}

/**
 * Compiles a valid glob pattern (see {@link globProblem}) into a matcher. The matcher allocates nothing.
 *
 * @example
 * ```ts
 * const isSandbox = compileGlob('sandbox-*')
 * isSandbox('sandbox-api') // true
 * isSandbox('api') // false
 * ```
 */
export function compileGlob(pattern: string): (value: string) => boolean {
  const parts = pattern.split('*')
  const head = parts[0]!
  if (parts.length === 1) {
    return (value) => value.length === head.length && matchesAt(value, 0, head)
  }
  const tail = parts[parts.length - 1]!
  const middle = parts.slice(1, -1).filter((part) => part !== '')
  const middleHasQuestion = middle.map((part) => part.includes('?'))
  const minLength = parts.reduce((sum, part) => sum + part.length, 0)
  const headLiteral = !head.includes('?')
  const tailLiteral = !tail.includes('?')
  return (value) => {
    if (value.length < minLength) return false
    if (headLiteral ? !value.startsWith(head) : !matchesAt(value, 0, head)) return false
    const end = value.length - tail.length
    if (tailLiteral ? !value.endsWith(tail) : !matchesAt(value, end, tail)) return false
    let position = head.length
    for (let k = 0; k < middle.length; k++) {
      const part = middle[k]!
      const last = end - part.length // the last start at which `part` still fits before the tail
      let found = -1
      if (middleHasQuestion[k]) {
        for (let start = position; start <= last; start++) {
          if (matchesAt(value, start, part)) {
            found = start
            break
          }
        }
      } else {
        found = value.indexOf(part, position)
        if (found > last) found = -1
      }
      if (found === -1) return false
      position = found + part.length
    }
    return true
  }
}
