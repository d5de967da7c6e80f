import { listen } from '../src/express.js'
import { describeChat } from './suite.js'

// A real express server and real ws clients on 127.0.0.1: see ./suite.ts.
describeChat('express', { listen, refusalBody: true })
