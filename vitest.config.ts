import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Tests import every workspace package from its TypeScript source (the `@oidc-gate/source` export
// condition), so one run sees one copy of each module and needs no build first.
const conditions = ['@oidc-gate/source', 'import', 'module', 'node', 'default']
// Conditions handed to Node for external dependencies: only ours and `node`, so a `require()` inside a
// dependency (Express 5's router) still gets the CommonJS build.
const serverConditions = ['@oidc-gate/source', 'node']
const resolve = {
  resolve: { conditions },
  ssr: { resolve: { conditions: serverConditions, externalConditions: serverConditions } },
}

export default defineConfig({
  test: {
    // CI asks for a JSON report too, to print the totals as its closing line.
    reporters: process.env.OIDC_GATE_TEST_REPORT
      ? ['default', ['json', { outputFile: process.env.OIDC_GATE_TEST_REPORT }]]
      : ['default'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        ...resolve,
        extends: true,
        test: {
          name: 'node',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
          env: { OIDC_GATE_EXPECTED_CRYPTO: 'node' },
          typecheck: {
            enabled: true,
            include: ['packages/*/test/**/*.test-d.ts'],
            tsconfig: 'tsconfig.json',
          },
        },
      },
      {
        // The core's whole suite again on the portable signature path: the core's `#crypto` import
        // resolves as it does on edge runtimes (no `node` export condition).
        resolve: {
          conditions,
          alias: [
            {
              find: /^#crypto$/,
              replacement: fileURLToPath(new URL('packages/core/src/crypto/web.ts', import.meta.url)),
            },
          ],
        },
        ssr: resolve.ssr,
        extends: true,
        test: {
          name: 'core-webcrypto',
          include: ['packages/core/test/**/*.test.ts'],
          exclude: ['packages/core/test/policy*'],
          env: { OIDC_GATE_EXPECTED_CRYPTO: 'webcrypto' },
        },
      },
    ],
  },
})
