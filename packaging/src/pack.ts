/** Packs every publishable workspace package (`packages/*` without `private`) with `pnpm pack`. */

import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { execOrThrow } from './exec.js'

/** A packed package. */
export interface Tarball {
  readonly name: string
  readonly file: string
  /** Its export subpaths as import specifiers, e.g. `@oidc-gate/testing/conformance`. */
  readonly entries: readonly string[]
}

interface Manifest {
  readonly name: string
  readonly private?: boolean
  readonly exports?: Record<string, unknown>
  readonly engines?: { readonly node?: string }
}

/**
 * The Node range every package declares: `require()` of an ES module works without a flag from 20.19, and
 * the READMEs promise it.
 */
export const NODE_ENGINES = '>=20.19'

/** Packages whose `engines.node` is not {@link NODE_ENGINES}, as messages. */
export async function enginesMismatches(packagesDir: string): Promise<string[]> {
  const packages = await publishable(packagesDir)
  return packages
    .filter(({ manifest }) => manifest.engines?.node !== NODE_ENGINES)
    .map(
      ({ manifest }) =>
        `${manifest.name}: engines.node is ${JSON.stringify(manifest.engines?.node)}, not "${NODE_ENGINES}"`,
    )
}

/** The publishable packages under `packagesDir`. */
async function publishable(packagesDir: string): Promise<{ dir: string; manifest: Manifest }[]> {
  const found: { dir: string; manifest: Manifest }[] = []
  for (const entry of await readdir(packagesDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue
    const dir = join(packagesDir, entry.name)
    const manifest = JSON.parse(
      await readFile(join(dir, 'package.json'), 'utf8').catch(() => '{}'),
    ) as Manifest
    if (manifest.name !== undefined && manifest.private !== true) found.push({ dir, manifest })
  }
  return found
}

/** Packs them into `destination`; `pnpm pack` turns `workspace:` ranges into versions as publishing does. */
export async function packAll(packagesDir: string, destination: string): Promise<Tarball[]> {
  const packages = await publishable(packagesDir)
  return Promise.all(
    packages.map(async ({ dir, manifest }) => {
      const output = await execOrThrow('pnpm', ['pack', '--json', '--pack-destination', destination], dir)
      const { filename } = JSON.parse(output.slice(output.indexOf('{'))) as { filename: string }
      const subpaths = Object.keys(manifest.exports ?? { '.': null }).filter(
        (path) => !path.endsWith('.json'),
      )
      const entries = subpaths.map((path) =>
        path === '.' ? manifest.name : `${manifest.name}${path.slice(1)}`,
      )
      return { name: manifest.name, file: filename, entries }
    }),
  )
}
