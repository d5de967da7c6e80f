/**
 * Comparison of secrets and secret-derived values (`ath`, `cnf.jkt`, nonces) in time independent of where
 * they differ (RFC 7515 §10.9, SECURITY §9).
 */

/**
 * Whether `a` and `b` are equal, reading every character of both. The length is not hidden: every value
 * compared here has a fixed, public length.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return difference === 0
}
