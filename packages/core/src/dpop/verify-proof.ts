/**
 * DPoP proof verification at a resource server (RFC 9449 §4.3, §7.1, §8, §11.1; SECURITY §7.1): exactly
 * one proof, a strict compact JWS of at most 4 KiB, `typ: dpop+jwt`, an allowed asymmetric `alg`, a public
 * `jwk` that fits it, the signature, and only then the claims: `jti`, `htm`, `htu`, `iat`, `ath`, the
 * token's `cnf.jkt`, the nonce, and last the single use of `jti` in the replay store.
 */

import type { Algorithm } from '../algorithms.js'
import type { JsonValue } from '../claims.js'
import {
  DpopBindingError,
  type DpopReason,
  GateError,
  type GateErrorOptions,
  InvalidDpopProofError,
  InvalidRequestError,
  InvalidTokenError,
  ReplayStoreUnavailableError,
  UseDpopNonceError,
} from '../errors.js'
import { checkHeader, mediaType, type ParsedJws, parseCompactJws } from '../jws.js'
import { verifySignature } from '../signature.js'
import { timingSafeEqual } from './constant-time.js'
import { normalizeHtu } from './htu.js'
import type { DpopNonces } from './nonce.js'
import { type DpopSettings, type DpopVerifierOptions, resolveDpopOptions } from './options.js'
import { importProofKey, type ProofKey, ProofKeyCache, proofKeyProblem } from './proof-key.js'
import { hashText } from './thumbprint.js'

/** What a proof is checked against: the request as the server received it, and its verified token. */
export interface DpopProofRequest {
  /** The `DPoP` header: its value, or every value when the header came several times. */
  readonly proof: string | readonly string[] | undefined
  /** The request method, as sent (`htm` is compared case-sensitively). */
  readonly method: string
  /**
   * The request's absolute URL, `scheme://host[:port]/path?query`, with the origin clients use (from
   * configuration or a trusted proxy, never a spoofable header: SECURITY H10).
   */
  readonly url: string
  /** The access token exactly as sent after `DPoP `: `ath` must be its SHA-256. */
  readonly accessToken: string
  /** The verified token's `cnf.jkt`: the thumbprint the proof key must have. */
  readonly jkt: string
}

/** A verified proof: what `auth.dpop` holds. */
export interface DpopProof {
  /** RFC 7638 thumbprint of the proof key, equal to the token's `cnf.jkt`. */
  readonly jkt: string
  /** The proof's `alg`. */
  readonly alg: Algorithm
  /** The proof's `jti`, now used. */
  readonly jti: string
  /** The proof's `iat`, seconds since the epoch. */
  readonly iat: number
  /** The nonce the proof carried, when nonces are required. */
  readonly nonce: string | undefined
  /**
   * A fresh nonce to send as `DPoP-Nonce` on the response, when the proof's nonce is from an earlier
   * window (RFC 9449 §8.2). `undefined` when the client's nonce is current or nonces are off.
   */
  readonly nextNonce: string | undefined
}

/** Verifies DPoP proofs. Create one per service with {@link createDpopVerifier}. */
export interface DpopVerifier {
  /** The accepted proof algorithms, for `algs="…"` in `DPoP` challenges. */
  readonly algorithms: readonly Algorithm[]
  /**
   * Checks the proof of `request`, then records its `jti`.
   * @throws InvalidRequestError (400, several `DPoP` headers), InvalidDpopProofError (401
   * `invalid_dpop_proof`), DpopBindingError (401 `invalid_token`), UseDpopNonceError (401
   * `use_dpop_nonce`), ReplayStoreUnavailableError (503).
   */
  verify(request: DpopProofRequest, nowMs?: number): Promise<DpopProof>
  /** The nonce to hand out now (`DPoP-Nonce`), or `undefined` when nonces are off. */
  currentNonce(nowMs?: number): Promise<string | undefined>
}

/** Longest accepted proof, in characters (SECURITY H8). */
export const MAX_PROOF_LENGTH = 4096
/** Longest accepted `jti`: enough for any UUID or random identifier (RFC 9449 §11.1). */
export const MAX_JTI_LENGTH = 256
/** Proof headers and access-token hashes kept between requests, each. */
const CACHE_SIZE = 1000

/**
 * Creates a DPoP proof verifier. Options are checked here: a mistake throws a `TypeError` naming it.
 * The gate builds one from its `dpop` option; use this directly to check proofs outside a gate.
 *
 * @example
 * ```ts
 * import { createDpopVerifier } from '@oidc-gate/core'
 *
 * const dpop = createDpopVerifier({ proofMaxAge: 60 })
 * const proof = await dpop.verify({
 *   proof: request.headers.get('dpop') ?? undefined,
 *   method: request.method,
 *   url: 'https://api.example.com/orders',
 *   accessToken: token,
 *   jkt: auth.claims.cnf.jkt,
 * })
 * ```
 */
export function createDpopVerifier(options?: DpopVerifierOptions): DpopVerifier {
  return verifierFor(resolveDpopOptions(options))
}

/** A verifier for already checked settings (the gate resolves them with its own option names). */
export function verifierFor(settings: DpopSettings): DpopVerifier {
  const errorOptions: GateErrorOptions = { dpopAlgorithms: settings.algorithms }
  const context: Context = {
    settings,
    errorOptions,
    keys: new ProofKeyCache(CACHE_SIZE),
    tokenHashes: new Map(),
    fail: (reason, description) => new InvalidDpopProofError(reason, description, errorOptions),
  }
  return Object.freeze({
    algorithms: settings.algorithms,
    verify: (request: DpopProofRequest, nowMs = Date.now()) => verifyProof(request, nowMs, context),
    currentNonce: async (nowMs = Date.now()) => settings.nonces?.current(nowMs),
  })
}

/** What one verifier keeps between requests. */
interface Context {
  readonly settings: DpopSettings
  readonly errorOptions: GateErrorOptions
  /** Checked proof headers and their imported keys. */
  readonly keys: ProofKeyCache
  /** `ath` of recent access tokens: a client presents one token with many proofs. */
  readonly tokenHashes: Map<string, string>
  readonly fail: (reason: DpopReason, description: string) => InvalidDpopProofError
}

// Every step below awaits only what is really a promise: on Node (synchronous hashing, signatures and
// the in-memory store) a proof is verified without a single extra turn of the microtask queue.
async function verifyProof(request: DpopProofRequest, nowMs: number, context: Context): Promise<DpopProof> {
  const { settings, fail } = context
  const value = singleProof(request.proof, context.errorOptions, fail)
  const jws = parseProof(value, settings.algorithms, fail)
  const header = value.slice(0, value.indexOf('.'))
  let key = context.keys.get(header)
  if (key === undefined) {
    key = await importKey(jws, fail)
    context.keys.set(header, key)
  }
  // The signature first: nothing in an unauthenticated proof is looked at further (SECURITY §7.1).
  const signed = checkSignature(key, jws, fail)
  if (signed !== undefined) await signed
  const claims = checkClaims(jws.claims, request, nowMs, settings, fail)
  let tokenHash = context.tokenHashes.get(request.accessToken) ?? hashText(request.accessToken)
  if (typeof tokenHash !== 'string') tokenHash = await tokenHash
  remember(context.tokenHashes, request.accessToken, tokenHash)
  if (!timingSafeEqual(claims.ath, tokenHash)) throw fail('dpop-ath', 'DPoP proof ath mismatch')
  if (!timingSafeEqual(key.jkt, request.jkt)) throw new DpopBindingError(context.errorOptions)
  const nonce = settings.nonces === undefined ? NO_NONCE : await checkNonce(jws.claims.nonce, nowMs, context)
  const claimed = claimJti(key.jkt, claims, context)
  if (claimed !== undefined) await claimed
  return Object.freeze({ jkt: key.jkt, alg: key.alg, jti: claims.jti, iat: claims.iat, ...nonce })
}

const NO_NONCE = Object.freeze({ nonce: undefined, nextNonce: undefined })

function remember(hashes: Map<string, string>, token: string, hash: string): void {
  if (hashes.has(token)) return
  if (hashes.size >= CACHE_SIZE) hashes.delete(hashes.keys().next().value as string)
  hashes.set(token, hash)
}

/** Exactly one `DPoP` header field holding one value (RFC 9449 §4.3 items 1–2, SECURITY H9). */
function singleProof(
  proof: string | readonly string[] | undefined,
  errorOptions: GateErrorOptions,
  fail: (reason: DpopReason, description: string) => InvalidDpopProofError,
): string {
  const list = typeof proof === 'string' || proof === undefined ? undefined : proof
  const value = list === undefined ? (proof as string | undefined) : list[0]
  // Node and Fetch join repeated fields with ", "; a comma is never part of a compact JWS.
  if ((list !== undefined && list.length > 1) || value?.includes(',') === true) {
    throw new InvalidRequestError('multiple-dpop', 'multiple DPoP headers', errorOptions)
  }
  if (value === undefined || value === '') throw fail('dpop-missing', 'DPoP proof missing')
  if (value.length > MAX_PROOF_LENGTH) throw fail('dpop-size', 'DPoP proof too large')
  return value
}

/** The compact JWS and its header rules: `typ: dpop+jwt`, `alg` in the allow-list, no `crit`. */
function parseProof(
  value: string,
  algorithms: readonly Algorithm[],
  fail: (reason: DpopReason, description: string) => InvalidDpopProofError,
): ParsedJws {
  try {
    const jws = parseCompactJws(value)
    checkHeader(jws.header, { algorithms, typ: isDpopTyp })
    return jws
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error
    const reason = error.reason === 'alg' ? 'dpop-alg' : error.reason === 'typ' ? 'dpop-typ' : undefined
    if (reason !== undefined) throw fail(reason, `DPoP proof ${error.reason} not acceptable`)
    const header = ['crit', 'b64', 'cty', 'kid'].includes(error.reason)
    throw fail(header ? 'dpop-header' : 'dpop-malformed', `DPoP proof ${error.message}`)
  }
}

function isDpopTyp(typ: JsonValue | undefined): boolean {
  return typeof typ === 'string' && mediaType(typ) === 'dpop+jwt'
}

/** The `jwk` header, checked and imported (SECURITY §7.1 items 5–7). */
async function importKey(jws: ParsedJws, fail: Context['fail']): Promise<ProofKey> {
  const alg = jws.header.alg as Algorithm
  const problem = proofKeyProblem(jws.header.jwk, alg)
  if (problem !== undefined) throw fail('dpop-jwk', `DPoP proof ${problem}`)
  try {
    return await importProofKey(jws.header.jwk as Readonly<Record<string, JsonValue>>, alg)
  } catch {
    // A point off the curve, an RSA modulus the platform refuses, …
    throw fail('dpop-jwk', 'DPoP proof jwk cannot be imported')
  }
}

/** `undefined` when the signature verified synchronously; a promise where verification is async. */
function checkSignature(key: ProofKey, jws: ParsedJws, fail: Context['fail']): Promise<void> | undefined {
  const invalid = () => fail('dpop-signature', 'DPoP proof signature invalid')
  try {
    const pending = verifySignature(
      { kid: undefined, alg: key.alg, verify: key.verify, fingerprint: key.jkt },
      jws.signingInput,
      jws.signature,
    )
    return pending?.catch(() => {
      throw invalid()
    })
  } catch {
    throw invalid()
  }
}

interface ProofClaims {
  readonly jti: string
  readonly iat: number
  readonly ath: string
}

/** `jti`, `htm`, `htu`, `iat` and the presence of `ath` (RFC 9449 §4.2, §4.3 items 3, 8, 9, 11). */
function checkClaims(
  claims: Readonly<Record<string, JsonValue>>,
  request: DpopProofRequest,
  nowMs: number,
  settings: DpopSettings,
  fail: Context['fail'],
): ProofClaims {
  const { jti, htm, htu, iat, ath } = claims
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw fail('dpop-jti', 'DPoP proof jti missing or invalid')
  }
  if (typeof htm !== 'string' || htm !== request.method) throw fail('dpop-htm', 'DPoP proof htm mismatch')
  const target = normalizeHtu(request.url)
  if (typeof htu !== 'string' || target === undefined || normalizeHtu(htu) !== target) {
    throw fail('dpop-htu', 'DPoP proof htu mismatch')
  }
  const now = nowMs / 1000
  const { proofMaxAge, clockTolerance } = settings
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw fail('dpop-iat', 'DPoP proof iat missing or invalid')
  if (iat > now + clockTolerance) throw fail('dpop-iat', 'DPoP proof iat in the future')
  if (iat < now - proofMaxAge - clockTolerance) throw fail('dpop-iat', 'DPoP proof too old')
  if (typeof ath !== 'string') throw fail('dpop-ath', 'DPoP proof ath missing')
  return { jti, iat, ath }
}

/** The server nonce, when required (RFC 9449 §8, §11.3): missing or stale → `use_dpop_nonce`. */
async function checkNonce(
  nonce: JsonValue | undefined,
  nowMs: number,
  context: Context,
): Promise<Pick<DpopProof, 'nonce' | 'nextNonce'>> {
  const nonces = context.settings.nonces as DpopNonces
  const checked = await nonces.check(nonce, nowMs)
  if (!checked.valid) {
    const description = nonce === undefined ? 'DPoP proof nonce required' : 'DPoP proof nonce stale'
    throw new UseDpopNonceError(await nonces.current(nowMs), description, context.errorOptions)
  }
  return { nonce: nonce as string, nextNonce: checked.refresh }
}

/**
 * Records the proof for single use, last, once every other check passed (SECURITY R6), until the end of
 * the time its `iat` is accepted (R3). `undefined` when the store answered synchronously.
 */
function claimJti(jkt: string, claims: ProofClaims, context: Context): Promise<void> | undefined {
  const { settings } = context
  const expiresAtMs = Math.ceil((claims.iat + settings.proofMaxAge + settings.clockTolerance) * 1000) + 1000
  const storeFailed = (error: unknown): never => {
    settings.onEvent({ type: 'replay.store-error', error: describe(error) })
    if (error instanceof GateError) {
      error.challenge = { ...context.errorOptions, ...error.challenge }
      throw error
    }
    throw new ReplayStoreUnavailableError(1, { ...context.errorOptions, cause: error })
  }
  const recorded = (first: boolean): void => {
    if (first === true) return
    settings.onEvent({ type: 'replay.detected', jkt })
    throw context.fail('dpop-replay', 'DPoP proof replayed')
  }
  try {
    const key = hashText(`${jkt}:${claims.jti}`)
    const first =
      typeof key === 'string'
        ? settings.replayStore.claim(key, expiresAtMs)
        : key.then((k) => settings.replayStore.claim(k, expiresAtMs))
    if (typeof first === 'boolean') {
      recorded(first)
      return undefined
    }
    return Promise.resolve(first).then(recorded, storeFailed)
  } catch (error) {
    if (error instanceof InvalidDpopProofError) throw error
    return storeFailed(error)
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
