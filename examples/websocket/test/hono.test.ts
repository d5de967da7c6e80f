import { listen } from '../src/hono.js'
import { describeChat } from './suite.js'

// A real hono server and real ws clients on 127.0.0.1: see ./suite.ts.
describeChat('hono', { listen, refusalBody: false })
