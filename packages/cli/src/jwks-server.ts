/**
 * A JWKS file served over HTTP on 127.0.0.1, for the duration of one `inspect`. The core only fetches keys
 * from a `jwksUri`; serving the file locally lets the gate verify exactly as it does in an API, with no
 * offline-only code path in the core.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A running local JWKS server. */
export interface JwksServer {
  /** The `jwksUri` to configure, e.g. `http://127.0.0.1:43123/jwks`. */
  readonly url: string
  /** Stops the server and closes its connections. */
  close(): Promise<void>
}

/** Serves `jwks` as JSON at every path of a new server on a free port of 127.0.0.1. */
export async function serveJwks(jwks: unknown): Promise<JwksServer> {
  const body = JSON.stringify(jwks)
  const server = createServer((req, res) => {
    res.writeHead(req.method === 'GET' || req.method === 'HEAD' ? 200 : 405, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
