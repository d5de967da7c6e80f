/**
 * The load generator of the HTTP benchmark, a long-lived process (pinned to core 1 by the parent) running
 * autocannon. Reads `RUN <json>` lines on stdin and answers `RESULT <json>`.
 *
 *   node --import tsx bench/http-load.ts --tokens <file with {"repeated": "...", "distinct": [...]}>
 */
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import autocannon from 'autocannon'
import { flag } from './lib/stats.ts'

export interface LoadRequest {
  readonly url: string
  /**
   * `none`: no Authorization; `repeated`: one token in static headers; `distinct`: cycled per request;
   * `dpop`: `Authorization: DPoP <dpop.token>` and a proof of `dpop.proofsFile` (a JSON array) per
   * request, each used once: past the last one, requests reuse it and are refused as replays.
   */
  readonly tokens: 'none' | 'repeated' | 'distinct' | 'dpop'
  readonly duration: number
  readonly connections: number
  readonly dpop?: { readonly token: string; readonly proofsFile: string }
}

export interface LoadResult {
  readonly ok: number
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
  readonly seconds: number
  readonly rps: number
  readonly p50: number
  readonly p99: number
}

const file = JSON.parse(readFileSync(flag(process.argv.slice(2), 'tokens') as string, 'utf8')) as {
  repeated: string
  distinct: string[]
}
const distinctHeaders = file.distinct.map((t) => `Bearer ${t}`)

async function load(request: LoadRequest): Promise<LoadResult> {
  const base = {
    url: request.url,
    connections: request.connections,
    duration: request.duration,
    pipelining: 1,
  }
  let options: Record<string, unknown>
  if (request.tokens === 'distinct') {
    let i = 0
    const n = distinctHeaders.length
    options = {
      ...base,
      requests: [
        {
          method: 'GET',
          setupRequest: (req: { headers?: Record<string, string> }) => {
            req.headers = { authorization: distinctHeaders[i] as string }
            i = i + 1 === n ? 0 : i + 1
            return req
          },
        },
      ],
    }
  } else if (request.tokens === 'dpop' && request.dpop !== undefined) {
    const proofs = JSON.parse(readFileSync(request.dpop.proofsFile, 'utf8')) as string[]
    const authorization = `DPoP ${request.dpop.token}`
    const last = proofs.length - 1
    let i = 0
    options = {
      ...base,
      requests: [
        {
          method: 'GET',
          setupRequest: (req: { headers?: Record<string, string> }) => {
            req.headers = { authorization, dpop: proofs[i] as string }
            if (i < last) i++
            return req
          },
        },
      ],
    }
  } else if (request.tokens === 'repeated') {
    options = { ...base, headers: { authorization: `Bearer ${file.repeated}` } }
  } else {
    options = base
  }
  const result = (await autocannon(options)) as {
    '2xx': number
    non2xx: number
    errors: number
    timeouts: number
    duration: number
    latency: { p50: number; p99: number }
  }
  const ok = result['2xx']
  return {
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
  }
}

const lines = createInterface({ input: process.stdin })
lines.on('line', (line) => {
  if (!line.startsWith('RUN ')) return
  load(JSON.parse(line.slice(4)) as LoadRequest).then(
    (result) => process.stdout.write(`RESULT ${JSON.stringify(result)}\n`),
    (error: unknown) => process.stdout.write(`RESULT ${JSON.stringify({ error: String(error) })}\n`),
  )
})
lines.on('close', () => process.exit(0))
process.stdout.write('READY\n')
