/**
 * Stateless DPoP nonces (RFC 9449 §8, §9, §11.1). A nonce is the number of a time window and an
 * HMAC-SHA-256 of that number under a secret, base64url-encoded (only NQCHAR, RFC 9449 §8.1). Every
 * instance that holds the secret issues the same nonce in the same window and accepts it without shared
 * state: the current and the previous window are accepted, so a nonce lives between one and two
 * windows; the next window is accepted too while it is within the clock tolerance, for instances whose
 * clocks differ a little. A list of secrets allows rotation: the first signs, all verify.
 */

import { hmacSha256 } from '#crypto'
import { decodeBase64url, encodeBase64url } from '../base64url.js'
import { timingSafeEqual } from './constant-time.js'

/** Options of {@link createDpopNonces}. */
export interface DpopNonceOptions {
  /**
   * The HMAC secrets, the current one first and, during a rotation, the previous one: one or two values
   * of at least 32 bytes each (a string counts its UTF-8 bytes). Every instance of the service needs the
   * same list. Required.
   */
  readonly secrets: readonly (string | Uint8Array)[]
  /** Length of one nonce window, in seconds: a nonce is accepted for one to two windows. Default 60. */
  readonly window?: number
  /**
   * Accept the next window's nonce this many seconds early, for instances with slightly different
   * clocks. In seconds. Default 5 (the gate passes its `clockTolerance`).
   */
  readonly clockTolerance?: number
}

/** The outcome of {@link DpopNonces.check}. */
export type DpopNonceCheck =
  | { readonly valid: false }
  | {
      readonly valid: true
      /**
       * The current window's nonce when the checked one is from an earlier window: send it as
       * `DPoP-Nonce` on the successful response, so the client moves on before its nonce expires.
       */
      readonly refresh: string | undefined
    }

/** Issues and checks stateless DPoP nonces. Create one per service with {@link createDpopNonces}. */
export interface DpopNonces {
  /** The nonce of the current window, for a `DPoP-Nonce` header. `nowMs` defaults to `Date.now()`. */
  current(nowMs?: number): Promise<string>
  /** Whether `nonce` was issued by a holder of the secrets in an acceptable window. Never throws. */
  check(nonce: unknown, nowMs?: number): Promise<DpopNonceCheck>
}

const MIN_SECRET_BYTES = 32
const WINDOW_BYTES = 6
const MAC_BYTES = 32
/** Characters of a nonce: base64url of the window number and the MAC. */
const NONCE_LENGTH = Math.ceil(((WINDOW_BYTES + MAC_BYTES) * 4) / 3)
/** Domain separation: these MACs are never valid for anything else keyed with the same secret. */
const LABEL = 'oidc-gate dpop-nonce v1 '
const INVALID: DpopNonceCheck = Object.freeze({ valid: false })

/**
 * Creates a nonce issuer and checker. Throws a `TypeError` naming the option when `secrets` or `window`
 * is unusable.
 *
 * @example
 * ```ts
 * import { createDpopNonces } from '@oidc-gate/core'
 *
 * const nonces = createDpopNonces({ secrets: [process.env.DPOP_NONCE_SECRET!], window: 60 })
 * const nonce = await nonces.current() // send as DPoP-Nonce
 * const { valid } = await nonces.check(proofClaims.nonce)
 * ```
 */
export function createDpopNonces(options: DpopNonceOptions): DpopNonces {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('dpop.nonce must be an object with secrets')
  }
  for (const name of Object.keys(options)) {
    if (!['secrets', 'window', 'clockTolerance'].includes(name)) {
      throw new TypeError(`dpop.nonce: unknown option "${name}"`)
    }
  }
  const secrets = checkSecrets(options.secrets)
  const window = options.window ?? 60
  if (!Number.isInteger(window) || window < 1 || window > 86_400) {
    throw new TypeError('dpop.nonce.window must be an integer number of seconds between 1 and 86400')
  }
  const tolerance = options.clockTolerance ?? 5
  if (typeof tolerance !== 'number' || !(tolerance >= 0 && tolerance <= 300)) {
    throw new TypeError('dpop.nonce.clockTolerance must be a number of seconds between 0 and 300')
  }
  return new WindowNonces(secrets, window * 1000, tolerance * 1000)
}

function checkSecrets(value: unknown): readonly Uint8Array[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 2) {
    throw new TypeError('dpop.nonce.secrets must be an array of one or two secrets (current, previous)')
  }
  const utf8 = new TextEncoder()
  return value.map((secret: unknown, index) => {
    const bytes =
      typeof secret === 'string'
        ? utf8.encode(secret)
        : secret instanceof Uint8Array
          ? secret.slice()
          : undefined
    if (bytes === undefined || bytes.length < MIN_SECRET_BYTES) {
      throw new TypeError(`dpop.nonce.secrets[${index}] must be a string or bytes of at least 32 bytes`)
    }
    return bytes
  })
}

class WindowNonces implements DpopNonces {
  /** The nonces of a window, one per secret, for the few windows in use. */
  private readonly byWindow = new Map<number, Promise<readonly string[]>>()

  constructor(
    private readonly secrets: readonly Uint8Array[],
    private readonly windowMs: number,
    private readonly toleranceMs: number,
  ) {}

  async current(nowMs = Date.now()): Promise<string> {
    return (await this.nonces(Math.floor(nowMs / this.windowMs)))[0] as string
  }

  async check(nonce: unknown, nowMs = Date.now()): Promise<DpopNonceCheck> {
    if (typeof nonce !== 'string' || nonce.length !== NONCE_LENGTH) return INVALID
    const bytes = decodeBase64url(nonce)
    if (bytes === undefined) return INVALID
    let window = 0
    for (let i = 0; i < WINDOW_BYTES; i++) window = window * 256 + (bytes[i] as number)
    const current = Math.floor(nowMs / this.windowMs)
    const oldest = Math.floor((nowMs - this.toleranceMs) / this.windowMs) - 1
    const newest = Math.floor((nowMs + this.toleranceMs) / this.windowMs)
    if (window < oldest || window > newest) return INVALID
    let matches = false
    // Every secret's value is compared, so the time does not tell which secret matched.
    for (const expected of await this.nonces(window)) matches = timingSafeEqual(expected, nonce) || matches
    if (!matches) return INVALID
    return { valid: true, refresh: window < current ? await this.current(nowMs) : undefined }
  }

  private nonces(window: number): Promise<readonly string[]> {
    let values = this.byWindow.get(window)
    if (values === undefined) {
      values = Promise.all(this.secrets.map((secret) => this.compute(secret, window)))
      this.byWindow.set(window, values)
      // Only the previous, current and next windows are ever asked for again.
      if (this.byWindow.size > 4) this.byWindow.delete(Math.min(...this.byWindow.keys()))
    }
    return values
  }

  private async compute(secret: Uint8Array, window: number): Promise<string> {
    const bytes = new Uint8Array(WINDOW_BYTES + MAC_BYTES)
    let rest = window
    for (let i = WINDOW_BYTES - 1; i >= 0; i--) {
      bytes[i] = rest % 256
      rest = Math.floor(rest / 256)
    }
    bytes.set(await hmacSha256(secret, `${LABEL}${window}`), WINDOW_BYTES)
    return encodeBase64url(bytes)
  }
}
