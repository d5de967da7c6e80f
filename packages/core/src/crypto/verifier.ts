/** The shape both signature back ends (`node.ts`, `web.ts`) implement. */

/**
 * Verifies `signature` over the ASCII `signingInput` with one key pinned to one algorithm. Never throws:
 * any failure is `false`.
 */
export type SignatureVerifier = (signingInput: string, signature: Uint8Array) => boolean | Promise<boolean>

/**
 * SHA-256 of the UTF-8 bytes of `text` (DPoP `ath`, RFC 7638 thumbprints, replay keys). Synchronous on
 * Node, a promise on Web Crypto.
 */
export type Sha256 = (text: string) => Uint8Array | Promise<Uint8Array>

/**
 * HMAC-SHA-256 of the UTF-8 bytes of `text` under `secret` (stateless DPoP nonces). Synchronous on Node,
 * a promise on Web Crypto.
 */
export type HmacSha256 = (secret: Uint8Array, text: string) => Uint8Array | Promise<Uint8Array>
