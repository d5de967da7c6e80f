/** Runs the MCP server on Hono over Node: `node --import tsx src/hono-server.ts` (or `pnpm start:hono`). */

import { getRequestListener } from '@hono/node-server'
import { onShutdown } from '@oidc-gate/example-support'
import { mcpHonoApp } from './hono-app.js'
import { startMcpServer } from './setup.js'

const running = await startMcpServer((gate, path) => getRequestListener(mcpHonoApp(gate, path).fetch))
await running.printUsage()
onShutdown(running.close)
