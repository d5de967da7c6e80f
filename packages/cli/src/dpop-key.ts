/**
 * A DPoP client key file: one private JWK (EC P-256, Ed25519 or RSA), as `oidc-gate proof --generate`
 * writes it. `proof` signs with it; `mint --dpop` binds a token to its public half (`cnf.jkt`).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type DpopKeyPair, dpopThumbprint } from '@oidc-gate/testing'
import { UsageError } from './errors.js'
import { readJsonFile } from './json-file.js'

/** A loaded client key: the key pair, its proof `alg` and its RFC 7638 thumbprint. */
export interface DpopKey {
  readonly pair: DpopKeyPair
  readonly alg: 'ES256' | 'EdDSA' | 'RS256'
  readonly jkt: string
}

type Jwk = Record<string, unknown>

const IMPORT: Record<
  string,
  { alg: DpopKey['alg']; params: EcKeyImportParams | RsaHashedImportParams | Algorithm }
> = {
  'EC P-256': { alg: 'ES256', params: { name: 'ECDSA', namedCurve: 'P-256' } },
  'OKP Ed25519': { alg: 'EdDSA', params: { name: 'Ed25519' } },
  RSA: { alg: 'RS256', params: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } },
}
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e']

/**
 * Reads the private JWK at `path`.
 * @throws UsageError when the file is missing, not JSON, or not a private EC P-256, Ed25519 or RSA key.
 */
export async function readDpopKey(command: string, path: string): Promise<DpopKey> {
  const jwk = (await readJsonFile(command, path, 'DPoP key file')) as Jwk | null
  const type =
    jwk === null || typeof jwk !== 'object'
      ? undefined
      : `${jwk.kty}${jwk.crv === undefined ? '' : ` ${jwk.crv}`}`
  const spec = type === undefined ? undefined : IMPORT[type]
  if (spec === undefined || jwk === null || typeof jwk.d !== 'string') {
    throw new UsageError(`${path} is not a private EC P-256, Ed25519 or RSA JWK`, command)
  }
  const publicJwk: Jwk = {}
  for (const name of PUBLIC_MEMBERS) if (jwk[name] !== undefined) publicJwk[name] = jwk[name]
  try {
    const privateKey = await crypto.subtle.importKey('jwk', jwk as JsonWebKey, spec.params, false, ['sign'])
    const publicKey = await crypto.subtle.importKey('jwk', publicJwk as JsonWebKey, spec.params, true, [
      'verify',
    ])
    const pair = { privateKey, publicKey } as DpopKeyPair
    return { pair, alg: spec.alg, jkt: await dpopThumbprint(pair) }
  } catch {
    throw new UsageError(`${path} holds a key that cannot be imported`, command)
  }
}

/** Generates an ES256 key and writes its private JWK to `path` (mode 0600). Never overwrites a file. */
export async function generateDpopKey(command: string, path: string): Promise<void> {
  const { privateKey } = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const { kty, crv, x, y, d } = await crypto.subtle.exportKey('jwk', privateKey)
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  try {
    await writeFile(path, `${JSON.stringify({ kty, crv, x, y, d }, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(
      code === 'EEXIST' ? `${path} exists already: not overwritten` : `cannot write ${path} (${code})`,
      command,
    )
  }
}
