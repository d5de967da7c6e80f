/** Runs the MCP server on Express: `node --import tsx src/express-server.ts` (or `pnpm start:express`). */

import { onShutdown } from '@oidc-gate/example-support'
import { mcpExpressApp } from './express-app.js'
import { startMcpServer } from './setup.js'

const running = await startMcpServer(mcpExpressApp)
await running.printUsage()
onShutdown(running.close)
