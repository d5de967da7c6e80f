import { listen } from '../src/koa.js'
import { describeChat } from './suite.js'

// A real koa server and real ws clients on 127.0.0.1: see ./suite.ts.
describeChat('koa', { listen, refusalBody: true })
