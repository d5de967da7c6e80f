/** The framework with one middleware that only passes the request on: what any middleware costs. */
export const PASS_THROUGH = 'pass-through middleware'
