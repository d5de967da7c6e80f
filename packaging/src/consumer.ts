/**
 * A fresh project outside the workspace, as a new user has: `npm install` of the tarballs with the peers
 * and type packages each kind of project uses. npm's cache makes repeated runs quick.
 */

import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { execOrThrow } from './exec.js'
import type { Tarball } from './pack.js'

/** What a user installs next to our packages: frameworks (peers), their types, TypeScript, Workers' types. */
export const CONSUMER_DEPENDENCIES = [
  'typescript@~5.9.3',
  '@types/node@^20.19.0',
  '@cloudflare/workers-types@^4',
  'hono@^4.6.0',
  'express@^5',
  '@types/express@^5',
  'fastify@^5',
  'koa@^3',
  '@types/koa@^3',
  'vitest@^4',
]

const SOURCES = fileURLToPath(new URL('../consumer/', import.meta.url))

/** Writes the project into `dir` (an ES module package) and installs `tarballs` into it. */
export async function createConsumer(dir: string, tarballs: readonly Tarball[]): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'consumer', private: true, type: 'module' })}\n`,
  )
  for (const file of await readdir(SOURCES)) await copyFile(join(SOURCES, file), join(dir, file))
  await execOrThrow(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      ...tarballs.map((tarball) => tarball.file),
      ...CONSUMER_DEPENDENCIES,
    ],
    dir,
  )
}
