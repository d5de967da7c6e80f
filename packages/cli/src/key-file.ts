/**
 * The dev issuer's key file: the JSON of `TestIssuer.exportKeys()`, private keys included, so that
 * `dev-issuer` keeps its keys across restarts and `mint` signs with the same keys.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { TestIssuerKeyFile } from '@oidc-gate/testing'
import { UsageError } from './errors.js'
import type { Io } from './io.js'

/**
 * Reads a key file. Returns `undefined` when `optional` and the file does not exist.
 * @throws UsageError when the file is missing (unless `optional`), unreadable or not a key file.
 */
export async function readKeyFile(command: string, path: string): Promise<TestIssuerKeyFile>
export async function readKeyFile(
  command: string,
  path: string,
  optional: true,
): Promise<TestIssuerKeyFile | undefined>
export async function readKeyFile(
  command: string,
  path: string,
  optional = false,
): Promise<TestIssuerKeyFile | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && optional) return undefined
    throw new UsageError(
      code === 'ENOENT' ? `key file not found: ${path}` : `cannot read key file ${path} (${code ?? error})`,
      command,
    )
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new UsageError(`${path} is not a key file: it is not JSON`, command)
  }
  const file = value as Partial<TestIssuerKeyFile> | null
  if (file === null || typeof file !== 'object' || file.version !== 1 || !Array.isArray(file.keys)) {
    throw new UsageError(`${path} is not a key file (written by "oidc-gate dev-issuer --keys")`, command)
  }
  return file as TestIssuerKeyFile
}

/** Whether a key file can be read by other users (POSIX permission bits). */
export async function isShared(path: string): Promise<boolean> {
  if (process.platform === 'win32') return false
  return ((await stat(path)).mode & 0o077) !== 0
}

/**
 * Warns on stderr when the key file can be read by other users: it holds private signing keys, and
 * whoever reads it can mint tokens the dev issuer vouches for.
 *
 * @example
 * ```ts
 * await warnIfShared('.oidc-gate/keys.json', io) // "oidc-gate: warning: … chmod 600 it" if mode 0644
 * ```
 */
export async function warnIfShared(path: string, io: Io): Promise<void> {
  if (await isShared(path)) {
    io.stderr.write(`oidc-gate: warning: ${path} is readable by other users; chmod 600 it\n`)
  }
}

/** Writes a new key file with mode 0600 (its directory is created, 0700). Never overwrites a file. */
export async function writeKeyFile(path: string, keys: TestIssuerKeyFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  await writeFile(path, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
}

const PUBLIC_MEMBERS = ['kty', 'crv', 'n', 'e', 'x', 'y'] as const

/** The JWKS a dev issuer with these keys publishes: public members of the published keys only. */
export function publicJwks(keys: TestIssuerKeyFile): { keys: Record<string, unknown>[] } {
  return {
    keys: keys.keys
      .filter((entry) => entry.published)
      .map((entry) => {
        const jwk: Record<string, unknown> = {}
        const source = entry.jwk as Record<string, unknown>
        for (const member of PUBLIC_MEMBERS) if (source[member] !== undefined) jwk[member] = source[member]
        return { ...jwk, kid: entry.kid, alg: keys.algorithm, use: 'sig' }
      }),
  }
}
