import { defineConfig } from 'vitest/config'

// Tests import every workspace package from its TypeScript source (the `@oidc-gate/source` export
// condition), so one run sees one copy of each module and needs no build first.
const conditions = ['@oidc-gate/source', 'import', 'module', 'node', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    typecheck: { enabled: true, include: ['packages/*/test/**/*.test-d.ts'] },
    pool: 'forks',
  },
})
