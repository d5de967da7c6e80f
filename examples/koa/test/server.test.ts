import { describeExample } from '@oidc-gate/example-support/suite'

// Runs src/server.ts as a real process against a local test issuer: see examples/support/src/suite.ts.
describeExample('koa')
