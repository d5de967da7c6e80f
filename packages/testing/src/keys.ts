/**
 * Signing keys of the test issuer: generation, rotation with overlap, the published JWKS and the
 * export/import of a key file so a restarted issuer keeps its keys.
 */
import {
  base64url,
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose'

/** Signature algorithms the test issuer can sign with. The Vercel profile supports `RS256` only. */
export type TestIssuerAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA'

/** Every {@link TestIssuerAlgorithm}, in a stable order. */
export const TEST_ISSUER_ALGORITHMS: readonly TestIssuerAlgorithm[] = ['RS256', 'PS256', 'ES256', 'EdDSA']

/** How key ids are formed: Vercel-shaped `mrk-<32 hex>` or the RFC 7638 thumbprint. */
export type KidStyle = 'vercel' | 'thumbprint'

/**
 * One key of a {@link TestIssuerKeyFile}.
 *
 * @example
 * ```ts
 * const entry: TestIssuerKeyFileEntry = { kid: 'mrk-…', published: true, jwk: { kty: 'RSA', n: '…', e: 'AQAB', d: '…' } }
 * ```
 */
export interface TestIssuerKeyFileEntry {
  /** The key id, as found in the `kid` header of tokens signed with this key. */
  readonly kid: string
  /** Whether the public half is listed in the JWKS. */
  readonly published: boolean
  /** The private key as a JWK (RFC 7517), including its private members. */
  readonly jwk: JWK
}

/**
 * JSON-serialisable private keys of a test issuer, from {@link TestIssuer.exportKeys}. Pass it back as
 * `createTestIssuer({ keys })` so a restarted issuer signs with, and publishes, the same keys.
 *
 * Contains private keys: keep such files out of version control unless they are throwaway test keys.
 *
 * @example
 * ```ts
 * import { writeFile, readFile } from 'node:fs/promises'
 * await writeFile('keys.json', JSON.stringify(issuer.exportKeys()))
 * const again = await createTestIssuer({ keys: JSON.parse(await readFile('keys.json', 'utf8')) })
 * ```
 */
export interface TestIssuerKeyFile {
  /** Format version, always `1`. */
  readonly version: 1
  /** Algorithm of every key in the file. */
  readonly algorithm: TestIssuerAlgorithm
  /** `kid` of the current signing key. */
  readonly current: string
  /** `kid` of the previous signing key (after a rotation), if any. */
  readonly previous?: string
  /** The keys: the current one and, after a rotation, the previous one. */
  readonly keys: readonly TestIssuerKeyFileEntry[]
}

/** A signing key held by the issuer. */
export interface SigningKey {
  readonly kid: string
  readonly alg: TestIssuerAlgorithm
  readonly privateKey: CryptoKey
  readonly privateJwk: JWK
  /** Public members only, plus `kid`, `alg` and `use: 'sig'`. */
  readonly publicJwk: JWK
}

const KEY_TYPES: Record<TestIssuerAlgorithm, { kty: string; crv?: string }> = {
  RS256: { kty: 'RSA' },
  PS256: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
}

const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['kty', 'n', 'e'],
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
}

const PRIVATE_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['kty', 'n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi'],
  EC: ['kty', 'crv', 'x', 'y', 'd'],
  OKP: ['kty', 'crv', 'x', 'd'],
}

function pick(jwk: JWK, members: readonly string[]): JWK {
  const source = jwk as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const member of members) {
    if (source[member] !== undefined) out[member] = source[member]
  }
  return out as JWK
}

async function makeKid(publicJwk: JWK, style: KidStyle): Promise<string> {
  const thumbprint = await calculateJwkThumbprint(publicJwk, 'sha256')
  if (style === 'thumbprint') return thumbprint
  const hex = Array.from(base64url.decode(thumbprint).subarray(0, 16), (b) => b.toString(16).padStart(2, '0'))
  return `mrk-${hex.join('')}`
}

function toSigningKey(
  alg: TestIssuerAlgorithm,
  kid: string,
  privateKey: CryptoKey,
  privateJwk: JWK,
): SigningKey {
  const kty = privateJwk.kty ?? ''
  const publicJwk = { ...pick(privateJwk, PUBLIC_MEMBERS[kty] ?? []), kid, alg, use: 'sig' } as JWK
  return { kid, alg, privateKey, privateJwk: pick(privateJwk, PRIVATE_MEMBERS[kty] ?? []), publicJwk }
}

/**
 * Generates a new extractable signing key (RSA keys are 2048 bits).
 *
 * @example
 * ```ts
 * const key = await generateSigningKey('RS256', 'vercel') // key.kid === 'mrk-…'
 * ```
 */
export async function generateSigningKey(alg: TestIssuerAlgorithm, style: KidStyle): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const privateJwk = await exportJWK(privateKey)
  const kid = await makeKid(
    pick(await exportJWK(publicKey), PUBLIC_MEMBERS[privateJwk.kty ?? ''] ?? []),
    style,
  )
  return toSigningKey(alg, kid, privateKey, privateJwk)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function keyFileError(detail: string): TypeError {
  return new TypeError(`createTestIssuer: options.keys ${detail}`)
}

async function importEntry(entry: unknown, index: number, alg: TestIssuerAlgorithm): Promise<SigningKey> {
  const where = `keys[${index}]`
  if (!isRecord(entry)) throw keyFileError(`${where} must be an object`)
  const { kid, jwk } = entry
  if (typeof kid !== 'string' || kid === '') throw keyFileError(`${where}.kid must be a non-empty string`)
  if (!isRecord(jwk)) throw keyFileError(`${where}.jwk must be a JWK object`)
  const expected = KEY_TYPES[alg]
  if (jwk.kty !== expected.kty || (expected.crv !== undefined && jwk.crv !== expected.crv)) {
    throw keyFileError(`${where}.jwk is not a ${alg} key`)
  }
  if (typeof jwk.d !== 'string') throw keyFileError(`${where}.jwk is not a private key (no "d")`)
  const privateJwk = pick(jwk as JWK, PRIVATE_MEMBERS[expected.kty] ?? [])
  let privateKey: CryptoKey
  try {
    const imported = await importJWK(privateJwk, alg, { extractable: true })
    if (imported instanceof Uint8Array) throw new Error('symmetric key')
    privateKey = imported
  } catch (cause) {
    throw new TypeError(`createTestIssuer: options.keys ${where}.jwk cannot be imported as a ${alg} key`, {
      cause,
    })
  }
  return toSigningKey(alg, kid, privateKey, privateJwk)
}

/**
 * The issuer's keys: the current signing key, the previous one (after a rotation) and the set of key ids
 * published in the JWKS.
 *
 * @example
 * ```ts
 * const ring = await KeyRing.generate('RS256', 'vercel')
 * await ring.rotate(true) // JWKS now lists the new and the previous key
 * ```
 */
export class KeyRing {
  readonly algorithm: TestIssuerAlgorithm
  readonly #style: KidStyle
  #current: SigningKey
  #previous: SigningKey | undefined
  /** Published kids, current first. */
  #published: string[]

  private constructor(
    algorithm: TestIssuerAlgorithm,
    style: KidStyle,
    current: SigningKey,
    previous: SigningKey | undefined,
    published: string[],
  ) {
    this.algorithm = algorithm
    this.#style = style
    this.#current = current
    this.#previous = previous
    this.#published = published
  }

  /**
   * A ring with one freshly generated, published key.
   *
   * @example
   * ```ts
   * const ring = await KeyRing.generate('ES256', 'thumbprint')
   * ```
   */
  static async generate(algorithm: TestIssuerAlgorithm, style: KidStyle): Promise<KeyRing> {
    const key = await generateSigningKey(algorithm, style)
    return new KeyRing(algorithm, style, key, undefined, [key.kid])
  }

  /**
   * A ring restored from a key file; throws a `TypeError` naming `options.keys` when the file is malformed
   * or its algorithm differs from `algorithm` (when given). Kids are kept as they are in the file.
   *
   * @example
   * ```ts
   * const ring = await KeyRing.fromFile(JSON.parse(text), undefined, 'vercel')
   * ```
   */
  static async fromFile(
    file: unknown,
    algorithm: TestIssuerAlgorithm | undefined,
    style: KidStyle,
  ): Promise<KeyRing> {
    if (!isRecord(file)) throw keyFileError('must be an object from exportKeys()')
    if (file.version !== 1) throw keyFileError('has an unsupported version (expected 1)')
    const alg = file.algorithm
    if (typeof alg !== 'string' || !(TEST_ISSUER_ALGORITHMS as readonly string[]).includes(alg)) {
      throw keyFileError(`.algorithm must be one of ${TEST_ISSUER_ALGORITHMS.join(', ')}`)
    }
    const fileAlg = alg as TestIssuerAlgorithm
    if (algorithm !== undefined && algorithm !== fileAlg) {
      throw keyFileError(`hold ${fileAlg} keys but the issuer signs with ${algorithm}`)
    }
    if (!Array.isArray(file.keys) || file.keys.length === 0)
      throw keyFileError('.keys must be a non-empty array')
    if (file.keys.length > 2) throw keyFileError('.keys must hold at most two keys (current and previous)')
    const entries: unknown[] = file.keys
    const keys = await Promise.all(entries.map((entry, index) => importEntry(entry, index, fileAlg)))
    const byKid = new Map(keys.map((key) => [key.kid, key]))
    if (byKid.size !== keys.length) throw keyFileError('.keys has duplicate kids')
    const current = typeof file.current === 'string' ? byKid.get(file.current) : undefined
    if (current === undefined) throw keyFileError('.current must be the kid of one of the keys')
    let previous: SigningKey | undefined
    if (file.previous !== undefined) {
      previous = typeof file.previous === 'string' ? byKid.get(file.previous) : undefined
      if (previous === undefined || previous === current) {
        throw keyFileError('.previous must be the kid of another of the keys')
      }
    }
    const published = entries.flatMap((entry, index) => {
      const key = keys[index]
      return isRecord(entry) && entry.published === true && key !== undefined ? [key.kid] : []
    })
    published.sort((a, b) => (a === current.kid ? -1 : b === current.kid ? 1 : 0))
    return new KeyRing(fileAlg, style, current, previous, published)
  }

  /** The current signing key. */
  get current(): SigningKey {
    return this.#current
  }

  /** The previous signing key, if the ring was rotated. */
  get previous(): SigningKey | undefined {
    return this.#previous
  }

  /**
   * The key to sign with; throws when `'previous'` is asked for before any rotation.
   *
   * @example
   * ```ts
   * const key = ring.select('previous')
   * ```
   */
  select(which: 'current' | 'previous'): SigningKey {
    if (which === 'current') return this.#current
    if (this.#previous === undefined) {
      throw new Error('oidc-gate testing: there is no previous key; call rotate() first')
    }
    return this.#previous
  }

  /**
   * Generates a new current key. The JWKS then holds the new key and, when `keepPrevious` is true and it
   * was still published, the former current key; any older key leaves the ring. Returns the new kid.
   *
   * @example
   * ```ts
   * const kid = await ring.rotate(false) // old key no longer published
   * ```
   */
  async rotate(keepPrevious: boolean): Promise<string> {
    const next = await generateSigningKey(this.algorithm, this.#style)
    const old = this.#current
    const keepOld = keepPrevious && this.#published.includes(old.kid)
    this.#previous = old
    this.#current = next
    this.#published = keepOld ? [next.kid, old.kid] : [next.kid]
    return next.kid
  }

  /**
   * Removes a key from the JWKS (the key itself stays usable for signing). Unknown kids are ignored.
   *
   * @example
   * ```ts
   * ring.unpublish(ring.previous!.kid)
   * ```
   */
  unpublish(kid: string): void {
    this.#published = this.#published.filter((published) => published !== kid)
  }

  /**
   * The published public keys, current first.
   *
   * @example
   * ```ts
   * const body = JSON.stringify({ keys: ring.publicJwks() })
   * ```
   */
  publicJwks(): JWK[] {
    const keys = [this.#current, this.#previous].filter((key) => key !== undefined)
    return this.#published.flatMap((kid) => {
      const key = keys.find((candidate) => candidate.kid === kid)
      return key === undefined ? [] : [{ ...key.publicJwk }]
    })
  }

  /**
   * The ring as a JSON-serialisable key file.
   *
   * @example
   * ```ts
   * const file = ring.export()
   * ```
   */
  export(): TestIssuerKeyFile {
    const keys = [this.#current, this.#previous].filter((key) => key !== undefined)
    return {
      version: 1,
      algorithm: this.algorithm,
      current: this.#current.kid,
      ...(this.#previous === undefined ? {} : { previous: this.#previous.kid }),
      keys: keys.map((key) => ({
        kid: key.kid,
        published: this.#published.includes(key.kid),
        jwk: { ...key.privateJwk },
      })),
    }
  }
}
