/**
 * What the four example APIs share: their configuration from environment variables, the embedded local
 * issuer used when none is configured, the route table they all serve, and clean shutdown on signals.
 */

import type { AddressInfo } from 'node:net'
import type { GateOptions, IssuerProfile, Policy, VercelClaims, VercelOptions } from '@oidc-gate/core'
import { vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'

/** The routes every example serves, with the policy of each protected one. */
export const routes = {
  /** Public. Answers `{ ok: true }`. */
  health: { method: 'GET', path: '/health' },
  /** Any valid token. Answers the caller's {@link Identity}. */
  whoami: { method: 'GET', path: '/api/whoami' },
  /** Production tokens only. Answers {@link Deployed}. */
  deploy: {
    method: 'POST',
    path: '/api/deploy',
    policy: { environment: 'production' } satisfies Policy<VercelClaims>,
  },
} as const

/** The body of `GET /api/whoami`: who called, from `auth.vercel`. */
export interface Identity {
  readonly owner: string
  readonly project: string
  readonly projectId: string
  readonly environment: string
  /** Development tokens only. */
  readonly userId?: string
}

/** The body of `POST /api/deploy`. */
export interface Deployed {
  readonly deployed: true
  readonly project: string
}

/** The environment variables the examples read. */
export const ENV = {
  team: 'OIDC_GATE_TEAM',
  issuerMode: 'OIDC_GATE_ISSUER_MODE',
  audience: 'OIDC_GATE_AUDIENCE',
  baseUrl: 'OIDC_GATE_BASE_URL',
  port: 'PORT',
  host: 'HOST',
} as const

/** A configuration value that cannot be used; its message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

/** What {@link parseConfig} reads from the environment. */
export interface ParsedConfig {
  readonly host: string
  readonly port: number
  /** `vercel()` options, without `baseUrl` when no issuer is configured. */
  readonly vercel: VercelOptions
}

/**
 * Reads and checks the configuration, without side effects.
 * @throws ConfigError naming the variable.
 */
export function parseConfig(env: NodeJS.ProcessEnv, defaultPort: number): ParsedConfig {
  const get = (name: string) => env[name]?.trim() || undefined

  const team = get(ENV.team) ?? 'acme'
  const issuerMode = get(ENV.issuerMode) ?? 'team'
  if (issuerMode !== 'team' && issuerMode !== 'global')
    throw new ConfigError(`${ENV.issuerMode} must be team or global`)
  const audience = get(ENV.audience)
    ?.split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '')
  if (audience?.length === 0) throw new ConfigError(`${ENV.audience} must list one audience or more`)
  const withAudience = audience === undefined ? {} : { audience }
  const baseUrl = get(ENV.baseUrl)
  const withBaseUrl = baseUrl === undefined ? {} : { baseUrl }
  // vercel() checks the values and names the option: say which variable it came from.
  check(ENV.team, () => vercel({ team }))
  check(ENV.baseUrl, () => vercel({ team: 'acme', ...withBaseUrl }))
  const options: VercelOptions = { team, issuerMode, ...withAudience, ...withBaseUrl }

  const portText = get(ENV.port) ?? String(defaultPort)
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65_535)
    throw new ConfigError(`${ENV.port} must be a port number from 0 to 65535`)

  return { host: get(ENV.host) ?? '127.0.0.1', port, vercel: options }
}

/** The configuration of a running example. */
export interface ExampleConfig extends ParsedConfig {
  /** The gate's options: `{ issuers: [vercel(this.vercel)] }`. */
  readonly gate: GateOptions<IssuerProfile<VercelClaims>>
  /** The embedded local issuer, when `OIDC_GATE_BASE_URL` is not set. */
  readonly issuer: TestIssuer | undefined
  /** Prints `listening on <url>` and, with the embedded issuer, a ready-to-run `curl` command. */
  listening(address: string | AddressInfo | null): Promise<void>
  /** Stops the embedded issuer, if any. */
  close(): Promise<void>
}

/**
 * The configuration of an example API, from `OIDC_GATE_TEAM`, `OIDC_GATE_ISSUER_MODE`, `OIDC_GATE_AUDIENCE`,
 * `OIDC_GATE_BASE_URL`, `PORT` and `HOST`. Without `OIDC_GATE_BASE_URL`, starts a local test issuer on
 * 127.0.0.1 and trusts it. A bad value prints one line and exits with code 2.
 */
export async function exampleConfig(defaultPort: number, env = process.env): Promise<ExampleConfig> {
  let parsed: ParsedConfig
  try {
    parsed = parseConfig(env, defaultPort)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`error: ${error.message}`)
    process.exit(2)
  }

  let issuer: TestIssuer | undefined
  let options = parsed.vercel
  if (options.baseUrl === undefined) {
    const audience = options.audience === undefined ? {} : { audience: [options.audience].flat()[0]! }
    issuer = await createTestIssuer({ team: options.team, mode: options.issuerMode ?? 'team', ...audience })
    options = { ...options, baseUrl: issuer.url }
    console.log(`embedded test issuer ${issuer.issuer} (set ${ENV.baseUrl} to trust another one)`)
  }

  return {
    ...parsed,
    vercel: options,
    gate: { issuers: [vercel(options)] },
    issuer,
    async listening(address) {
      const url = urlOf(address)
      console.log(`listening on ${url}`)
      if (issuer !== undefined) {
        const token = await issuer.mint()
        console.log(`try: curl -H "Authorization: Bearer ${token}" ${url}${routes.whoami.path}`)
      }
    },
    async close() {
      await issuer?.close()
    },
  }
}

/**
 * On the first SIGINT or SIGTERM, runs `stop` (close the server, the gate, the issuer); the process then
 * exits by itself, with code 0. A second signal exits at once with code 1.
 */
export function onShutdown(stop: () => Promise<void> | void): void {
  let stopping = false
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1)
    stopping = true
    Promise.resolve()
      .then(stop)
      .then(
        () => console.log(`${signal}: stopped`),
        (error: unknown) => {
          console.error(error)
          process.exitCode = 1
        },
      )
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
}

function check(name: string, build: () => unknown): void {
  try {
    build()
  } catch (error) {
    throw new ConfigError(`${name}: ${(error as Error).message.replace(/^vercel\(\): /, '')}`)
  }
}

function urlOf(address: string | AddressInfo | null): string {
  if (address === null) throw new Error('the server is not listening')
  if (typeof address === 'string') return address
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}
