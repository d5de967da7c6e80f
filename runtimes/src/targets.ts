/**
 * The runtime matrix: each target names a runtime binary (from an npm package: no download script runs),
 * the build it loads, the crypto path it must take and whether it may fetch keys from 127.0.0.1.
 */

import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BundleName } from './bundles.js'
import type { CryptoPath } from './harness/input.js'

/** How a target is started. */
export type Host =
  | {
      readonly kind: 'process'
      readonly command: string
      readonly args: readonly string[]
      readonly env?: Readonly<Record<string, string>>
    }
  | {
      readonly kind: 'workerd'
      readonly binary: string
      readonly loopback: boolean
      readonly flags: readonly string[]
    }
  | { readonly kind: 'edge-runtime' }

/** One column of the matrix. */
export interface Target {
  readonly name: string
  readonly bundle: BundleName
  readonly expectedCrypto: CryptoPath
  /** `false`: the runtime may not reach 127.0.0.1, so the gates pin the issuers' keys. */
  readonly fetchKeys: boolean
  /** `undefined` when the runtime's package is not installed (another platform). */
  readonly host: Host | undefined
}

/** The `runtimes/` folder: the working directory of every runtime, so its `node_modules` resolve. */
export const RUNTIMES_DIR = fileURLToPath(new URL('..', import.meta.url))

const require = createRequire(import.meta.url)

/** The file `path` inside the installed package `name`, if that package is installed. */
function packageFile(name: string, path: string): string | undefined {
  try {
    const file = join(dirname(require.resolve(`${name}/package.json`)), path)
    return existsSync(file) ? file : undefined
  } catch {
    return undefined
  }
}

function processHost(
  command: string | undefined,
  args: readonly string[],
  env?: Record<string, string>,
): Host | undefined {
  return command === undefined ? undefined : { kind: 'process', command, args, ...(env ? { env } : {}) }
}

function workerdHost(loopback: boolean, flags: readonly string[]): Host | undefined {
  const binary = packageFile('@cloudflare/workerd-linux-64', 'bin/workerd')
  return binary === undefined ? undefined : { kind: 'workerd', binary, loopback, flags }
}

/** The matrix, in the order of the table's columns. Process hosts get the bundle's path after `args`. */
export function targets(): Target[] {
  const bun = packageFile('@oven/bun-linux-x64', 'bin/bun')
  const deno = packageFile('@deno/linux-x64-glibc', 'deno')
  const bunArgs = ['--no-install']
  const bunEnv = { DO_NOT_TRACK: '1' }
  const denoArgs = [
    'run',
    '--quiet',
    '--no-prompt',
    '--cached-only',
    '--allow-env',
    '--allow-net=127.0.0.1',
    '--allow-read',
  ]
  const denoEnv = { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' }
  const major = process.versions.node.split('.')[0]
  const node = (path: string | undefined): Host | undefined => processHost(path, [])
  return [
    {
      name: `node${major}`,
      bundle: 'native',
      expectedCrypto: 'node',
      fetchKeys: true,
      host: node(process.execPath),
    },
    {
      name: 'node22',
      bundle: 'native',
      expectedCrypto: 'node',
      fetchKeys: true,
      host: node(packageFile('node22', 'bin/node')),
    },
    {
      name: 'node24',
      bundle: 'native',
      expectedCrypto: 'node',
      fetchKeys: true,
      host: node(packageFile('node24', 'bin/node')),
    },
    {
      name: 'bun',
      bundle: 'native',
      expectedCrypto: 'node',
      fetchKeys: true,
      host: processHost(bun, bunArgs, bunEnv),
    },
    {
      name: 'bun/web',
      bundle: 'web',
      expectedCrypto: 'webcrypto',
      fetchKeys: true,
      host: processHost(bun, bunArgs, bunEnv),
    },
    {
      name: 'deno',
      bundle: 'native',
      expectedCrypto: 'node',
      fetchKeys: true,
      host: processHost(deno, denoArgs, denoEnv),
    },
    {
      name: 'deno/web',
      bundle: 'web',
      expectedCrypto: 'webcrypto',
      fetchKeys: true,
      host: processHost(deno, denoArgs, denoEnv),
    },
    {
      name: 'workerd',
      bundle: 'worker',
      expectedCrypto: 'webcrypto',
      fetchKeys: true,
      host: workerdHost(true, []),
    },
    {
      name: 'workerd/pinned',
      bundle: 'worker',
      expectedCrypto: 'webcrypto',
      fetchKeys: false,
      host: workerdHost(false, []),
    },
    {
      name: 'workerd+compat',
      bundle: 'worker',
      expectedCrypto: 'webcrypto',
      fetchKeys: true,
      host: workerdHost(true, ['nodejs_compat']),
    },
    {
      name: 'workerd+compat/node',
      bundle: 'worker-node',
      expectedCrypto: 'node',
      fetchKeys: true,
      host: workerdHost(true, ['nodejs_compat']),
    },
    {
      name: 'edge-runtime',
      bundle: 'edge',
      expectedCrypto: 'webcrypto',
      fetchKeys: true,
      host: { kind: 'edge-runtime' },
    },
  ]
}
