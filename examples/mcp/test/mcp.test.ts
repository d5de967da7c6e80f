import type { RequestListener } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { TestClient, TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mcpExpressApp } from '../src/express-app.js'
import { mcpHonoApp } from '../src/hono-app.js'
import { type AppFactory, CLIENTS, type RunningMcpServer, startMcpServer } from '../src/setup.js'

const [READER, WRITER] = CLIENTS as [TestClient, TestClient]

const FRAMEWORKS: [string, AppFactory][] = [
  ['express', mcpExpressApp as AppFactory],
  ['hono', (gate, path): RequestListener => getRequestListener(mcpHonoApp(gate, path).fetch)],
]

/** One HTTP exchange the SDK client made, as seen by its `fetch`. */
interface Seen {
  readonly method: string
  readonly url: string
  readonly status: number
  readonly challenge: string | null
}

describe.each(FRAMEWORKS)('the MCP server on %s, driven by the MCP SDK client', (_name, app) => {
  let running: RunningMcpServer
  let issuer: TestIssuer
  beforeAll(async () => {
    running = await startMcpServer(app, { PORT: '0' })
    issuer = running.issuer as TestIssuer
  })
  afterAll(() => running.close())

  /** An SDK client with client credentials, and the exchanges its `fetch` made (observed, not altered). */
  async function connect(client: TestClient): Promise<{ mcp: Client; seen: Seen[] }> {
    const seen: Seen[] = []
    const observed = async (input: string | URL, init?: RequestInit): Promise<Response> => {
      const response = await fetch(input, init)
      const challenge = response.headers.get('www-authenticate')
      seen.push({ method: init?.method ?? 'GET', url: String(input), status: response.status, challenge })
      return response
    }
    const authProvider = new ClientCredentialsProvider({
      clientId: client.id,
      clientSecret: client.secret,
      scope: client.scopes?.join(' ') ?? '',
      expectedIssuer: issuer.issuer,
    })
    const transport = new StreamableHTTPClientTransport(new URL(running.resource), {
      authProvider,
      fetch: observed,
    })
    const mcp = new Client({ name: 'oidc-gate-test', version: '1.0.0' })
    await mcp.connect(transport)
    return { mcp, seen }
  }

  it('follows 401 → resource metadata → authorization server → client credentials, then calls a tool', async () => {
    issuer.resetCounters()
    const { mcp, seen } = await connect(READER)
    try {
      const metadataUrl = running.gate.protectedResource?.metadataUrl as string
      expect(seen[0]).toMatchObject({ method: 'POST', url: running.resource, status: 401 })
      expect(seen[0]?.challenge).toContain(`resource_metadata="${metadataUrl}"`)
      expect(seen).toContainEqual(expect.objectContaining({ url: metadataUrl, status: 200 }))
      expect(seen).toContainEqual(
        expect.objectContaining({ url: `${issuer.url}/.well-known/oauth-authorization-server`, status: 200 }),
      )
      expect(seen).toContainEqual(
        expect.objectContaining({ method: 'POST', url: issuer.tokenEndpoint, status: 200 }),
      )
      expect(issuer.requests.token).toBe(1)

      const { tools } = await mcp.listTools()
      expect(tools.map((tool) => tool.name).sort()).toEqual([
        'list_files',
        'read_file',
        'whoami',
        'write_file',
      ])
      const whoami = await mcp.callTool({ name: 'whoami', arguments: {} })
      expect(whoami.content).toEqual([
        { type: 'text', text: JSON.stringify({ client_id: READER.id, scope: 'files:read' }) },
      ])
      const listed = await mcp.callTool({ name: 'list_files', arguments: {} })
      expect(listed.isError).toBeFalsy()
      expect(issuer.requests.token).toBe(1)
    } finally {
      await mcp.close()
    }
  })

  it('answers 403 naming files:write when a reader calls write_file; the client cannot get that scope', async () => {
    const { mcp, seen } = await connect(READER)
    try {
      const call = mcp.callTool({ name: 'write_file', arguments: { name: 'notes.txt', content: 'hello' } })
      await expect(call).rejects.toThrow(/403/)
      const refused = seen.filter((exchange) => exchange.status === 403)
      expect(refused.length).toBeGreaterThan(0)
      for (const { challenge } of refused) {
        expect(challenge).toMatch(
          /^Bearer error="insufficient_scope", error_description="[^"]*", scope="files:write"/,
        )
        expect(challenge).toContain(`resource_metadata="${running.gate.protectedResource?.metadataUrl}"`)
      }
      // The reader still reads.
      expect((await mcp.callTool({ name: 'list_files', arguments: {} })).isError).toBeFalsy()
    } finally {
      await mcp.close()
    }
  })

  it('lets a writer write, and a reader read it back', async () => {
    const writer = await connect(WRITER)
    const reader = await connect(READER)
    try {
      const written = await writer.mcp.callTool({
        name: 'write_file',
        arguments: { name: 'a.txt', content: 'A' },
      })
      expect(written.isError).toBeFalsy()
      const read = await reader.mcp.callTool({ name: 'read_file', arguments: { name: 'a.txt' } })
      expect(read.content).toEqual([{ type: 'text', text: 'A' }])
    } finally {
      await writer.mcp.close()
      await reader.mcp.close()
    }
  })

  it('refuses a token for another resource with 401 invalid_token, and serves the metadata to anyone', async () => {
    const token = await issuer.mint({
      aud: 'https://other.example/mcp',
      client_id: READER.id,
      scope: 'files:read',
    })
    const refused = await fetch(running.resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
    const metadata = await fetch(running.gate.protectedResource?.metadataUrl as string)
    expect(await metadata.json()).toMatchObject({
      resource: running.resource,
      authorization_servers: [issuer.issuer],
      scopes_supported: ['files:read', 'files:write'],
      bearer_methods_supported: ['header'],
    })
  })
})
