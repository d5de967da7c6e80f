/**
 * The MCP server on Express: `oidcGate(gate)` in front of everything (it also answers the
 * protected-resource metadata, without a token), the scope of each tool checked before the transport,
 * and a stateless Streamable HTTP transport per request.
 */

import type { IncomingMessage } from 'node:http'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { AccessTokenClaims, Gate } from '@oidc-gate/core'
import { oidcGate } from '@oidc-gate/express'
import express, { type Express, type RequestHandler } from 'express'
import { createMcpServer, type FileStore, toolScopeCheck } from './tools.js'

/** The Express application serving the MCP endpoint at `path`. */
export function mcpExpressApp(gate: Gate<AccessTokenClaims>, path = '/mcp'): Express {
  const files: FileStore = new Map()
  const auth = oidcGate(gate)
  const checkFor = toolScopeCheck((policy) => auth.requirePolicy(policy))
  const toolScopes: RequestHandler = (req, res, next) => {
    const check = checkFor(req.body)
    return check === undefined ? next() : check(req, res, next)
  }

  const app = express()
  app.use(auth)
  app.post(path, express.json({ limit: '100kb' }), toolScopes, async (req, res) => {
    const server = createMcpServer(req.auth, files)
    // No session id generator: stateless, one server and transport per request.
    const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true })
    res.on('close', () => {
      void transport.close()
      void server.close()
    })
    await server.connect(transport)
    // The tools read the gate's `Auth` (above); the SDK's own `extra.authInfo` is left unused.
    await transport.handleRequest(req as IncomingMessage, res, req.body)
  })
  // Stateless: no server-initiated stream to open, no session to end.
  app.all(path, (_req, res) => {
    res.set('allow', 'POST').status(405).json({ error: 'method_not_allowed' })
  })
  return app
}
