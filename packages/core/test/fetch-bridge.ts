/**
 * A Node→Fetch bridge for tests: serves a Fetch handler over `node:http` on 127.0.0.1 the way a
 * Web-standard runtime front end does. It refuses (400) a request without exactly one well-formed `Host`
 * before the handler runs, hands the handler a `Request` whose repeated header lines are joined with
 * `", "`, and writes the `Response` back as is.
 */

import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'

/** A Fetch handler as `Bun.serve`, `Deno.serve` or a Workers module's `fetch` receive it. */
export type FetchListener = (request: Request) => Response | Promise<Response>

const AUTHORITY = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/

/** The request's one `Host`, or `undefined` when it has none, several, or a malformed one. */
function hostOf(req: IncomingMessage): string | undefined {
  const hosts: string[] = []
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if ((req.rawHeaders[i] as string).toLowerCase() === 'host') hosts.push(req.rawHeaders[i + 1] as string)
  }
  const host = hosts.length === 1 ? (hosts[0] as string) : undefined
  const match = host === undefined ? null : AUTHORITY.exec(host)
  if (match === null || Number(match[1] ?? 0) > 65_535) return undefined
  return host
}

async function write(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status
  response.headers.forEach((value, name) => {
    res.setHeader(name, value)
  })
  res.end(Buffer.from(await response.arrayBuffer()))
}

/**
 * The Node request listener that serves `handler`. A handler that throws gets a bare 500, as a runtime
 * would answer it: the suites using this expect none.
 *
 * @example
 * ```ts
 * const server = await listen(fetchListener(protect(gate, (request, auth) => Response.json(auth.claims))))
 * ```
 */
export function fetchListener(handler: FetchListener): RequestListener {
  return (req, res) => {
    const host = hostOf(req)
    if (host === undefined) {
      res.statusCode = 400
      res.end()
      return
    }
    const headers = new Headers()
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string)
    }
    const request = new Request(`http://${host}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers })
    Promise.resolve()
      .then(() => handler(request))
      .then(
        (response) => write(res, response),
        () => {
          res.statusCode = 500
          res.end()
        },
      )
  }
}
