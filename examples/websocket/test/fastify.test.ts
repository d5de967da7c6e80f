import { listen } from '../src/fastify.js'
import { describeChat } from './suite.js'

// A real fastify server and real ws clients on 127.0.0.1: see ./suite.ts.
describeChat('fastify', { listen, refusalBody: true })
