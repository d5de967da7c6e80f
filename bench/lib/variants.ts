/** The framework with one middleware that only passes the request on: what any middleware costs. */
export const PASS_THROUGH = 'pass-through middleware'
/**
 * The framework with one middleware that sets `Cache-Control: no-store` the cheapest way the framework
 * allows, then passes the request on: what any middleware that answers an authenticated request as it
 * must (RFC 6750 §5.3) costs before verifying anything.
 */
export const NO_STORE = 'no-store middleware'

/**
 * The server of bench/route-server.ts: `/bare`, `/pass-through`, `/no-store` and `/gate` in one process, so
 * that the loads the repeated-token target compares differ by their route only, not by their process.
 */
export const ROUTES_VARIANT = 'routes'
