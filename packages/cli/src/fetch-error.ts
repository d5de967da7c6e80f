/** A short reason for a failed `fetch`: the socket error code (`ECONNREFUSED`), `timeout`, or the message. */
export function fetchFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause
  if (typeof cause?.code === 'string') return cause.code
  if (error instanceof Error && error.name === 'TimeoutError') return 'timeout'
  return error instanceof Error ? error.message : String(error)
}
