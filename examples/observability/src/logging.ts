/**
 * The gate's events as pino log lines. Events carry the failed check (`reason`), the issuer and the
 * subject, never the token: these lines are safe to ship to a log store.
 */

import type { GateEvent } from '@oidc-gate/core'
import type { Logger } from 'pino'

/**
 * A listener for `createGate({ onEvent })` that logs each event at a level fit for it: refusals and
 * policy denials at `info` (a client's mistake, not the server's), key trouble and mock modes at `warn`,
 * successes at `debug`.
 *
 * @example
 * ```ts
 * const gate = createGate({ issuers, onEvent: logGateEvents(pino()) })
 * ```
 */
export function logGateEvents(logger: Logger): (event: GateEvent) => void {
  const log = logger.child({ component: 'oidc-gate' })
  return (event) => {
    switch (event.type) {
      case 'rejected':
        log.info({ code: event.code, status: event.status, reason: event.reason }, 'request refused')
        return
      case 'policy.denied':
        log.info(
          { policy: event.policy, issuer: event.issuer, sub: event.sub, failures: event.failures },
          'policy denied',
        )
        return
      case 'jwks.fetch':
        if (event.ok)
          log.debug({ jwksUri: event.jwksUri, trigger: event.trigger, keys: event.keys }, 'keys fetched')
        else
          log.warn({ jwksUri: event.jwksUri, trigger: event.trigger, error: event.error }, 'key fetch failed')
        return
      case 'jwks.stale-served':
      case 'jwks.key-ignored':
      case 'replay.store-error':
      case 'policy.warning':
      case 'mock.enabled': {
        const { type, ...fields } = event
        log.warn(fields, type)
        return
      }
      default: {
        const { type, ...fields } = event
        log.debug(fields, type)
      }
    }
  }
}
