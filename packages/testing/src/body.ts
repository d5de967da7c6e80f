/**
 * Reading request bodies of the test issuer's POST endpoints, with a size cap.
 */
import type { IncomingMessage } from 'node:http'

/** Largest request body the issuer's POST endpoints read, in bytes (64 KiB). */
export const MAX_BODY_BYTES = 64 * 1024

/**
 * Reads the whole body of `req`; resolves to `undefined` once it exceeds `limit` bytes, and rejects when
 * the request fails or closes first.
 *
 * @example
 * ```ts
 * const raw = await readBody(req, MAX_BODY_BYTES)
 * if (raw === undefined) return tooLarge(res)
 * ```
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const settle = (action: () => void): void => {
      if (!settled) {
        settled = true
        action()
      }
    }
    req.on('data', (chunk: Buffer) => {
      if (settled) return
      size += chunk.length
      if (size > limit) settle(() => resolve(undefined))
      else chunks.push(chunk)
    })
    req.on('end', () => settle(() => resolve(Buffer.concat(chunks))))
    req.on('error', (error) => settle(() => reject(error)))
    req.on('close', () => settle(() => reject(new Error('request closed before its body was read'))))
  })
}
