/**
 * `createGate`: options validated once, issuers and key sources built once, a per-request path that only
 * extracts, verifies and authorises (./pipeline.ts).
 */

import type { Auth } from '../auth.js'
import { resolveCacheOptions, TokenCache } from '../cache.js'
import { traced, tracing } from '../diagnostics/trace.js'
import type { GateRequest } from '../edge/request.js'
import { CredentialsMissingError, GateError, InvalidTokenError } from '../errors.js'
import { emitter, listening } from '../events.js'
import { type Credentials, credentialsReader } from '../extract.js'
import type { IssuerProfile } from '../issuers/profile.js'
import { resolveMock } from '../mock/options.js'
import type { PolicyDecision } from '../policy/types.js'
import { registerAuthenticateNow } from './authenticate-now.js'
import { buildIssuerRegistry } from './issuer-registry.js'
import { resolveGateSettings } from './options.js'
import { createPipeline, promised } from './pipeline.js'
import { gatePolicies } from './policies.js'
import type {
  AuthenticateOptions,
  AuthenticateRequestOptions,
  ClaimsOf,
  Gate,
  GateOptions,
  PolicyInput,
} from './types.js'

/**
 * Creates a gate. Every option is validated here: a mistake throws a `TypeError` naming the option.
 *
 * @example
 * ```ts
 * import { createGate, fromNode, vercel } from '@oidc-gate/core'
 *
 * const gate = createGate({
 *   issuers: [vercel({ team: 'acme', teamId: 'team_1234567890abcdefghijklmn' })],
 *   policy: { project_id: 'prj_123', environment: ['production', 'preview'] },
 * })
 * const auth = await gate.authenticate(fromNode(req, gate))
 * auth.vercel.projectId // 'prj_123'
 * ```
 */
export function createGate<P extends IssuerProfile>(options: GateOptions<P>): Gate<ClaimsOf<P>> {
  const settings = resolveGateSettings(options)
  const { clock, challenge, maxTokenLength } = settings
  const emit = emitter(settings.onEvent)
  const listens = listening(settings.onEvent)
  const registry = buildIssuerRegistry(
    options.issuers,
    options.jwks,
    emit,
    clock,
    settings.resource?.resource,
  )
  const policy = options.policy as PolicyInput<unknown>
  const policies = gatePolicies(policy, registry, emit, challenge, settings.scopeHierarchy, listens)
  const cacheOptions = resolveCacheOptions(options.cache)
  // Node loads its fetch implementation on first use (~30 ms); touching one of its classes loads it now,
  // at boot, instead of in the first request's JWKS fetch.
  void globalThis.Response
  const verify = {
    issuers: registry.issuers,
    resolveIssuer: registry.resolveIssuer,
    clockTolerance: settings.clockTolerance,
    maxTokenLength,
  }
  const mock = resolveMock(options.mock, verify, clock(), emit)
  const pipeline = createPipeline({
    verify,
    cache: cacheOptions === undefined || mock !== undefined ? undefined : new TokenCache(cacheOptions),
    policies,
    clock,
    emit,
    listening: listens,
    challenge,
    dpop: settings.dpop,
    mock: mock?.verify,
  })
  type C = ClaimsOf<P>

  const readCredentials = credentialsReader(maxTokenLength, challenge, settings.dpop.schemes)
  // The request path without a promise for a cached token (the adapters' `kit.node()`): the `Auth`, or
  // `undefined` for a request let through by `optional`; otherwise the promise `authenticate` returns.
  const authenticateNow = (
    request: GateRequest,
    opts?: AuthenticateRequestOptions<C>,
  ): Auth<C> | undefined | Promise<Auth<C> | undefined> => {
    let credentials: Credentials
    try {
      if (request.refusal !== undefined) throw request.refusal
      credentials = mock?.credentials ?? readCredentials(request)
    } catch (error) {
      // Optional authentication lets anonymous requests through, unless this request needs a policy.
      if (opts?.optional === true && opts.policy === undefined && error instanceof CredentialsMissingError) {
        return undefined
      }
      return pipeline.rejected(error)
    }
    return pipeline.runNow(credentials, request, opts?.policy, mock?.credentials === undefined) as
      | Auth<C>
      | Promise<Auth<C>>
  }

  const gate: Gate<C> = {
    // The overloads of `Gate.authenticate` narrow the result on `optional`.
    authenticate: traced('request', ((request, opts?: AuthenticateRequestOptions<C>) =>
      promised(authenticateNow(request, opts))) as Gate<C>['authenticate']),
    verify: traced('token', (token: string, opts?: AuthenticateOptions<C>) => {
      return pipeline.run({ scheme: 'Bearer', token }, undefined, opts?.policy) as Promise<Auth<C>>
    }),
    explain(auth, policy?: PolicyInput<C>): PolicyDecision {
      const compiled = policy === undefined ? policies.gate : policies.forRequest(policy)
      if (compiled === undefined) return { allowed: true, failures: [], missingScopes: [] }
      return compiled.explain(auth.claims as unknown as Record<string, unknown>)
    },
    authorize(auth, policy) {
      // A policy that does not compile throws its `TypeError` here: the caller's mistake, not a refusal.
      const compiled = policies.forRequest(policy)
      try {
        if (auth === undefined) throw new CredentialsMissingError('missing', challenge)
        if (!pipeline.produced(auth as Auth)) {
          throw new InvalidTokenError('foreign-auth', 'the request was not authenticated by this gate')
        }
        policies.enforce(auth as Auth, compiled)
      } catch (caught) {
        pipeline.fail(caught)
      }
    },
    compilePolicy(policy, label = 'route policy') {
      return policies.compile(policy, label)
    },
    edge: settings.edge,
    protectedResource: settings.resource,
    clock,
    async warmup(): Promise<void> {
      // A mock mode verifies no signature: nothing to fetch, and an unreachable issuer is no error.
      if (mock !== undefined) return
      try {
        await Promise.all(registry.sources.map((s) => s.warmup()))
      } catch (error) {
        if (error instanceof GateError) error.challenge = challenge
        throw error
      }
    },
    close(): void {
      for (const source of registry.sources) source.close()
    },
  }
  Object.freeze(gate)
  // Traced calls keep their promise, so that a tracer sees every request start and settle.
  registerAuthenticateNow<C>(gate, (request, opts) =>
    tracing() ? gate.authenticate(request, opts ?? {}) : authenticateNow(request, opts),
  )
  return gate
}
