// A Node project's use of every package, compiled with `lib: ["ES2022"], types: ["node"]`, `module:
// nodenext` and `skipLibCheck: false`: no DOM lib, so a DOM-only name in a declaration fails here.
import { run } from '@oidc-gate/cli'
import { type Auth, createGate, isGateError, oidc, vercel } from '@oidc-gate/core'
import { oidcGate as expressGate } from '@oidc-gate/express'
import { oidcGate as fastifyGate } from '@oidc-gate/fastify'
import { oidcGate as honoGate } from '@oidc-gate/hono'
import { oidcGate as koaGate } from '@oidc-gate/koa'
import { createTestIssuer } from '@oidc-gate/testing'
import * as conformance from '@oidc-gate/testing/conformance'

const issuer = await createTestIssuer({ team: 'acme' })
const gate = createGate({
  issuers: [
    vercel({ team: 'acme', baseUrl: issuer.url }),
    oidc({ issuer: 'https://auth.example.com/', audience: 'api', jwksUri: 'https://auth.example.com/jwks' }),
  ],
})
try {
  const auth: Auth = await gate.verify(await issuer.mint({ environment: 'preview' }))
  if (auth.profile === 'vercel') {
    const environment: 'production' | 'preview' | 'development' | (string & {}) = auth.vercel.environment
    console.log(environment, auth.claims.project_id)
  }
} catch (error) {
  if (isGateError(error)) console.log(error.status, error.code)
}
export const adapters = [expressGate(gate), fastifyGate, honoGate(gate), koaGate(gate)]
export { conformance, run }

await issuer.close()
