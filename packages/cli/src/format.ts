/**
 * Text helpers for human output. Token contents are untrusted: everything printed from a token goes
 * through {@link printable} so it cannot move the cursor, recolour the terminal or reorder text.
 */

// C0 and C1 controls, DEL, line/paragraph separators and the bidirectional overrides and isolates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** `text` with control and bidi characters replaced by `\uXXXX` escapes. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** A claim or header value for display: strings as they are (escaped), anything else as JSON. */
export function showValue(value: unknown): string {
  return printable(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)))
}

/** A duration for people: `42s`, `12m`, `3h 5m`, `2d 4h`. */
export function humanDuration(seconds: number): string {
  const s = Math.round(Math.abs(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`
}

/** A NumericDate with its ISO form and its distance from `nowSeconds`: `2025-01-01T12:00:00Z (in 5m)`. */
export function showTime(value: number, nowSeconds: number): string {
  // Dates beyond ±8.64e15 ms have no ISO form (toISOString throws): a hostile exp must not crash us.
  const iso = Math.abs(value) <= 8.64e12 ? new Date(value * 1000).toISOString().replace('.000Z', 'Z') : '?'
  const delta = value - nowSeconds
  const relative =
    delta === 0 ? 'now' : delta > 0 ? `in ${humanDuration(delta)}` : `${humanDuration(delta)} ago`
  return `${value}  ${iso} (${relative})`
}

/** `rows` as aligned `name  value` lines, indented by two spaces. */
export function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...rows.map(([name]) => name.length))
  return rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}\n`).join('')
}

/** The `vercel({...})` options of the core for a dev issuer, as code to paste. */
export function vercelOptionsCode(options: {
  readonly team: string
  readonly teamId?: string | undefined
  readonly issuerMode: 'team' | 'global'
  readonly baseUrl?: string | undefined
}): string {
  const id = options.teamId === undefined ? '' : `, teamId: '${options.teamId}'`
  const base = options.baseUrl === undefined ? '' : `, baseUrl: '${options.baseUrl}'`
  return `vercel({ team: '${options.team}'${id}, issuerMode: '${options.issuerMode}'${base} })`
}
