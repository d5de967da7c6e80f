/**
 * The builds each runtime loads, made with esbuild from the built `dist` of `@oidc-gate/core` and
 * `@oidc-gate/hono` (this script builds no package itself):
 * - `native`: the harness alone, the packages left as imports for the runtime's own resolver, so Node, Bun
 *   and Deno pick `#crypto` by their own export conditions (all three set `node`);
 * - `web`, `worker`, `edge`: everything bundled with the conditions of a Web bundler (wrangler's for
 *   workerd, Vercel's for edge-runtime), so `#crypto` is the Web Crypto implementation.
 */

import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build, type Metafile } from 'esbuild'
import type { CryptoPath } from './harness/input.js'

/** Where the builds are written (ignored by git). */
export const OUT_DIR = fileURLToPath(new URL('../.tmp/', import.meta.url))

/** The builds, by name. */
export type BundleName = 'native' | 'web' | 'worker' | 'worker-node' | 'edge'

interface BundleSpec {
  readonly entry: string
  readonly format: 'esm' | 'iife'
  /** `undefined`: leave the packages external. */
  readonly conditions?: readonly string[]
}

const SPECS: Readonly<Record<BundleName, BundleSpec>> = {
  native: { entry: 'process-entry.ts', format: 'esm' },
  web: { entry: 'process-entry.ts', format: 'esm', conditions: ['browser'] },
  worker: { entry: 'worker-entry.ts', format: 'esm', conditions: ['workerd', 'worker', 'browser'] },
  'worker-node': { entry: 'worker-entry.ts', format: 'esm', conditions: ['workerd', 'worker', 'node'] },
  edge: { entry: 'edge-entry.ts', format: 'iife', conditions: ['edge-light', 'worker', 'browser'] },
}

/** A written build. */
export interface Bundle {
  readonly file: string
  /** Which `#crypto` implementation the bundle holds; `undefined` when the packages stay external. */
  readonly crypto: CryptoPath | undefined
}

function bundledCrypto(metafile: Metafile): CryptoPath | undefined {
  const inputs = Object.keys(metafile.inputs)
  const node = inputs.some((path) => path.endsWith('core/dist/crypto/node.js'))
  const web = inputs.some((path) => path.endsWith('core/dist/crypto/web.js'))
  if (node && web) throw new Error('a bundle holds both crypto implementations')
  return node ? 'node' : web ? 'webcrypto' : undefined
}

/** Builds one bundle into {@link OUT_DIR}. */
export async function buildBundle(name: BundleName): Promise<Bundle> {
  const spec = SPECS[name]
  await mkdir(OUT_DIR, { recursive: true })
  const file = `${OUT_DIR}${name}.${spec.format === 'esm' ? 'mjs' : 'js'}`
  // Node built-ins stay imports: runtimes with Node compatibility provide them, the others must not need them.
  const external = spec.conditions === undefined ? ['@oidc-gate/*', 'hono', 'hono/*'] : ['node:*']
  const result = await build({
    entryPoints: [fileURLToPath(new URL(`harness/${spec.entry}`, import.meta.url))],
    outfile: file,
    bundle: true,
    format: spec.format,
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: [...(spec.conditions ?? [])],
    external,
    metafile: true,
    logLevel: 'error',
  })
  return { file, crypto: bundledCrypto(result.metafile) }
}
