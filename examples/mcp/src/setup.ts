/**
 * What both entry points share: the configuration from environment variables, the embedded local
 * authorization server used when none is configured, the gate, and a server that listens before the
 * resource is known (with `PORT=0`, the resource URL needs the port).
 */

import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type AccessTokenClaims, createGate, type Gate, oidc } from '@oidc-gate/core'
import { createTestIssuer, type TestClient, type TestIssuer } from '@oidc-gate/testing'
import { SCOPES } from './tools.js'

/** The environment variables the example reads. */
export const ENV = {
  /** The authorization server's issuer identifier; with `OIDC_GATE_JWKS_URI`. Default: an embedded one. */
  issuer: 'OIDC_GATE_ISSUER',
  jwksUri: 'OIDC_GATE_JWKS_URI',
  /** The public URL of the MCP endpoint (behind a proxy). Default `http://<host>:<port>/mcp`. */
  resource: 'MCP_RESOURCE',
  port: 'PORT',
  host: 'HOST',
} as const

/** The clients of the embedded authorization server: one may read, the other also write. */
export const CLIENTS: readonly TestClient[] = [
  { id: 'mcp-reader', secret: 'mcp-reader-secret', scopes: ['files:read'] },
  { id: 'mcp-writer', secret: 'mcp-writer-secret', scopes: ['files:read', 'files:write'] },
]

/** A running MCP server. */
export interface RunningMcpServer {
  /** Where it listens, e.g. `http://127.0.0.1:41234`. */
  readonly origin: string
  /** The MCP endpoint, also the resource identifier and the tokens' audience. */
  readonly resource: string
  readonly gate: Gate<AccessTokenClaims>
  /** The embedded authorization server, when `OIDC_GATE_ISSUER` is not set. */
  readonly issuer: TestIssuer | undefined
  /** Prints where it listens and, with the embedded authorization server, how to get a token. */
  printUsage(): Promise<void>
  /** Stops the server, the gate and the embedded authorization server. */
  close(): Promise<void>
}

/** The application of a framework for a gate, served at the resource's path. */
export type AppFactory = (gate: Gate<AccessTokenClaims>, path: string) => RequestListener

/**
 * Listens on `HOST:PORT` (default 127.0.0.1:3005), then builds the gate for the resource and serves the
 * framework's application. A bad variable throws an `Error` naming it.
 */
export async function startMcpServer(app: AppFactory, env = process.env): Promise<RunningMcpServer> {
  const get = (name: string) => env[name]?.trim() || undefined
  const port = Number(get(ENV.port) ?? 3005)
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`${ENV.port} must be a port number`)
  const server = createServer()
  const origin = await listen(server, port, get(ENV.host) ?? '127.0.0.1')
  try {
    const resource = get(ENV.resource) ?? `${origin}/mcp`
    const configured = get(ENV.issuer)
    if ((configured === undefined) !== (get(ENV.jwksUri) === undefined)) {
      throw new Error(`set both ${ENV.issuer} and ${ENV.jwksUri}, or neither (an embedded issuer)`)
    }
    const issuer =
      configured === undefined ? await createTestIssuer({ profile: 'oidc', clients: CLIENTS }) : undefined
    const issuerUrl = configured ?? (issuer as TestIssuer).issuer
    const gate = createGate({
      issuers: [oidc({ issuer: issuerUrl, jwksUri: get(ENV.jwksUri) ?? (issuer as TestIssuer).jwksUri })],
      protectedResource: {
        resource,
        authorizationServers: [issuerUrl],
        scopesSupported: [...SCOPES],
        resourceName: 'oidc-gate files (MCP example)',
      },
    })
    server.on('request', app(gate, new URL(resource).pathname))
    const close = async () => {
      const closed = new Promise((resolve) => server.close(resolve))
      server.closeAllConnections()
      await closed
      gate.close()
      await issuer?.close()
    }
    const printUsage = () => usage(origin, resource, gate, issuer)
    return { origin, resource, gate, issuer, printUsage, close }
  } catch (error) {
    server.close()
    throw error
  }
}

async function usage(
  origin: string,
  resource: string,
  gate: Gate<AccessTokenClaims>,
  issuer: TestIssuer | undefined,
) {
  console.log(`listening on ${origin}`)
  console.log(`MCP endpoint ${resource}`)
  console.log(`protected-resource metadata ${gate.protectedResource?.metadataUrl}`)
  if (issuer === undefined) return
  const reader = CLIENTS[0] as TestClient
  console.log(
    `embedded authorization server ${issuer.issuer} (set ${ENV.issuer} and ${ENV.jwksUri} to trust another one)`,
  )
  console.log(`clients: ${CLIENTS.map((c) => `${c.id}:${c.secret} (${c.scopes?.join(' ')})`).join(', ')}`)
  console.log(
    `token: curl -s -u ${reader.id}:${reader.secret} -d grant_type=client_credentials -d resource=${resource} ${issuer.tokenEndpoint}`,
  )
  const token = await issuer.mint({
    aud: resource,
    sub: reader.id,
    client_id: reader.id,
    scope: 'files:read',
  })
  const call = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_files","arguments":{}}}'
  console.log(
    `try: curl -s ${resource} -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" -H "Accept: application/json, text/event-stream" -d '${call}'`,
  )
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      const address = server.address() as AddressInfo
      const name = address.family === 'IPv6' ? `[${address.address}]` : address.address
      resolve(`http://${name}:${address.port}`)
    })
  })
}
