/**
 * The MCP server both entry points serve: a small file store with one scope per tool, and the per-tool
 * scope check that runs before the MCP transport, so a missing scope is an HTTP 403 naming it (the MCP
 * client then knows which scope to ask for) rather than a JSON-RPC error.
 */

import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { Auth, Policy } from '@oidc-gate/core'
import * as z from 'zod'

/** The scopes of the tools, as published in the protected-resource metadata. */
export const SCOPES = ['files:read', 'files:write'] as const

/** Which scopes each tool needs, besides a valid token. Tools not listed need a valid token only. */
export const TOOL_SCOPES: Readonly<Record<string, readonly string[]>> = {
  list_files: ['files:read'],
  read_file: ['files:read'],
  write_file: ['files:write'],
}

/** The files of one running server, shared by every request. */
export type FileStore = Map<string, string>

/**
 * A new MCP server for one request (the transport is stateless), whose tools see the caller's verified
 * token and the shared file store.
 */
export function createMcpServer(auth: Auth | undefined, files: FileStore): McpServer {
  const server = new McpServer({ name: 'oidc-gate-files', version: '1.0.0' })
  const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] })
  server.registerTool('whoami', { description: 'The client calling, from its verified token' }, () =>
    text(JSON.stringify({ client_id: auth?.claims.client_id, scope: auth?.claims.scope })),
  )
  server.registerTool('list_files', { description: 'Names of the stored files' }, () =>
    text(JSON.stringify([...files.keys()])),
  )
  server.registerTool(
    'read_file',
    { description: 'The content of a file', inputSchema: { name: z.string() } },
    ({ name }) => {
      const content = files.get(name)
      return content === undefined ? { ...text(`no file ${name}`), isError: true } : text(content)
    },
  )
  server.registerTool(
    'write_file',
    {
      description: 'Stores a file',
      inputSchema: { name: z.string().max(200), content: z.string().max(10_000) },
    },
    ({ name, content }) => {
      files.set(name, content)
      return text(`stored ${name}`)
    },
  )
  return server
}

/** The scopes a JSON-RPC message (or batch) needs: those of every tool it calls, deduplicated. */
export function scopesFor(message: unknown): readonly string[] {
  const scopes = new Set<string>()
  for (const item of Array.isArray(message) ? message : [message]) {
    const call = item as { method?: unknown; params?: { name?: unknown } } | null
    if (call?.method !== 'tools/call' || typeof call.params?.name !== 'string') continue
    for (const scope of TOOL_SCOPES[call.params.name] ?? []) scopes.add(scope)
  }
  return [...scopes].sort()
}

/**
 * The per-tool scope check of a framework: the middleware its `requirePolicy({ scopes })` builds for the
 * scopes a message needs, compiled once per set of scopes; `undefined` when the message calls no tool
 * that needs one.
 */
export function toolScopeCheck<M>(requirePolicy: (policy: Policy) => M): (message: unknown) => M | undefined {
  const compiled = new Map<string, M>()
  return (message) => {
    const scopes = scopesFor(message)
    if (scopes.length === 0) return undefined
    const key = scopes.join(' ')
    let check = compiled.get(key)
    if (check === undefined) {
      check = requirePolicy({ scopes })
      compiled.set(key, check)
    }
    return check
  }
}
