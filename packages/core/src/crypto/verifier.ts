/** The shape both signature back ends (`node.ts`, `web.ts`) implement. */

/**
 * Verifies `signature` over the ASCII `signingInput` with one key pinned to one algorithm. Never throws:
 * any failure is `false`.
 */
export type SignatureVerifier = (signingInput: string, signature: Uint8Array) => boolean | Promise<boolean>
