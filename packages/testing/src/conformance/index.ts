/**
 * The adapter conformance suite: one table of HTTP cases (./scenarios.ts) that every oidc-gate adapter
 * must answer exactly as the core does, run over real HTTP against a real local issuer (./harness.ts).
 * Each adapter's test calls {@link conformance} with a small driver that starts its framework on
 * 127.0.0.1.
 */

export {
  CONFORMANCE_REALM,
  type ConformanceAnswer,
  type ConformanceCore,
  type ConformanceDriver,
  type ConformanceGate,
  type ConformanceRequest,
  type ConformanceServer,
  type ConformanceSetup,
  conformance,
  type EchoBody,
  echo,
  listen,
} from './harness.js'
export { CONFORMANCE_CASE_COUNT, CONFORMANCE_RESOURCE } from './scenarios.js'
