/**
 * The MCP server on Hono: `oidcGate(gate)` in front of everything (it also answers the
 * protected-resource metadata, without a token), the scope of each tool checked before the transport,
 * and a stateless Web-standard Streamable HTTP transport per request.
 */

import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import type { AccessTokenClaims, Gate } from '@oidc-gate/core'
import { oidcGate, type Variables } from '@oidc-gate/hono'
import { Hono, type MiddlewareHandler } from 'hono'
import { createMcpServer, type FileStore, toolScopeCheck } from './tools.js'

type Env = { Variables: Variables<AccessTokenClaims> }

/** The Hono application serving the MCP endpoint at `path`. */
export function mcpHonoApp(gate: Gate<AccessTokenClaims>, path = '/mcp'): Hono<Env> {
  const files: FileStore = new Map()
  const auth = oidcGate(gate)
  const checkFor = toolScopeCheck((policy) => auth.requirePolicy(policy))
  // Hono keeps the parsed body, so the handler reads it again for free.
  const toolScopes: MiddlewareHandler<Env> = async (c, next) => {
    const check = checkFor(await c.req.json().catch(() => undefined))
    return check === undefined ? next() : check(c, next)
  }

  const app = new Hono<Env>()
  app.use(auth)
  app.post(path, toolScopes, async (c) => {
    const parsedBody: unknown = await c.req.json().catch(() => undefined)
    const server = createMcpServer(c.var.auth, files)
    // No session id generator: stateless, one server and transport per request.
    const transport = new WebStandardStreamableHTTPServerTransport({ enableJsonResponse: true })
    await server.connect(transport)
    return transport.handleRequest(c.req.raw, { parsedBody })
  })
  // Stateless: no server-initiated stream to open, no session to end.
  app.all(path, (c) => c.json({ error: 'method_not_allowed' }, 405, { allow: 'POST' }))
  return app
}
