/**
 * Claim paths (`environment`, `realm_access.roles`, `[https://example.com/roles]`) and locations inside a
 * policy (`policy.anyOf[1].environment`).
 */

const hasOwn = Object.hasOwn

/**
 * Reads a claim: `undefined` when the path does not lead to an own property of nested objects.
 *
 * @example
 * ```ts
 * const read: ClaimReader = claimReader(['environment'])
 * read({ environment: 'preview' }) // 'preview'
 * ```
 */
export type ClaimReader = (claims: unknown) => unknown

/**
 * Splits a claim path into its segments. Dots separate segments; a segment in square brackets is taken
 * literally, dots and slashes included, for namespaced claims such as `[https://example.com/roles]`.
 * Returns an error message instead when the path is malformed.
 *
 * @example
 * ```ts
 * parseClaimPath('realm_access.roles') // ['realm_access', 'roles']
 * parseClaimPath('[https://example.com/app].tenant') // ['https://example.com/app', 'tenant']
 * parseClaimPath('a..b') // 'empty segment in claim path "a..b"'
 * ```
 */
export function parseClaimPath(path: string): readonly string[] | string {
  const segments: string[] = []
  let i = 0
  while (i <= path.length) {
    let segment: string
    if (path[i] === '[') {
      const close = path.indexOf(']', i + 1)
      if (close === -1) return `unclosed "[" in claim path ${JSON.stringify(path)}`
      segment = path.slice(i + 1, close)
      i = close + 1
      if (i < path.length && path[i] !== '.') {
        return `"]" must end the claim path or be followed by "." in ${JSON.stringify(path)}`
      }
    } else {
      const dot = path.indexOf('.', i)
      const end = dot === -1 ? path.length : dot
      segment = path.slice(i, end)
      if (segment.includes('[') || segment.includes(']')) {
        return `"[" may only open a segment of claim path ${JSON.stringify(path)}`
      }
      i = end
    }
    if (segment === '') return `empty segment in claim path ${JSON.stringify(path)}`
    segments.push(segment)
    i++ // skip the dot (or step past the end)
  }
  return segments
}

/**
 * Compiles a claim reader for parsed segments. Only own properties are read, so `constructor` or
 * `toString` never resolve to something inherited; arrays are not traversed.
 *
 * @example
 * ```ts
 * const read = claimReader(['realm_access', 'roles'])
 * read({ realm_access: { roles: ['admin'] } }) // ['admin']
 * read({}) // undefined
 * ```
 */
export function claimReader(segments: readonly string[]): ClaimReader {
  if (segments.length === 1) {
    const key = segments[0]!
    return (claims) =>
      typeof claims === 'object' && claims !== null && hasOwn(claims, key)
        ? (claims as Record<string, unknown>)[key]
        : undefined
  }
  if (segments.length === 2) {
    const first = segments[0]!
    const second = segments[1]!
    return (claims) => {
      if (typeof claims !== 'object' || claims === null || !hasOwn(claims, first)) return undefined
      const inner = (claims as Record<string, unknown>)[first]
      return typeof inner === 'object' && inner !== null && !Array.isArray(inner) && hasOwn(inner, second)
        ? (inner as Record<string, unknown>)[second]
        : undefined
    }
  }
  return (claims) => {
    let value: unknown = claims
    for (let i = 0; i < segments.length; i++) {
      const key = segments[i]!
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !hasOwn(value, key)) {
        return undefined
      }
      value = (value as Record<string, unknown>)[key]
    }
    return value
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/

/**
 * Appends a key to a location: `.key` for identifier-like keys, `["key"]` otherwise.
 *
 * @example
 * ```ts
 * locationKey('policy', 'environment') // 'policy.environment'
 * locationKey('policy', 'realm_access.roles') // 'policy["realm_access.roles"]'
 * ```
 */
export function locationKey(location: string, key: string): string {
  return IDENTIFIER.test(key) ? `${location}.${key}` : `${location}[${JSON.stringify(key)}]`
}
