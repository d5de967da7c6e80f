/** Small statistics and formatting helpers. */
import { readFileSync, realpathSync } from 'node:fs'
import { cpus, release, totalmem, type } from 'node:os'
import { pathToFileURL } from 'node:url'

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Spread of the rounds around the median, as ±% (half the min–max range relative to the median). */
export function spread(values: readonly number[]): number {
  if (values.length < 2) return 0
  const m = median(values)
  return ((Math.max(...values) - Math.min(...values)) / 2 / m) * 100
}

export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a'
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a'
}

export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`
}

/** A Markdown table; cells already formatted. The first `left` columns are left-aligned, the rest right. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], left = 1): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i < left ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |`
  const rule = `| ${widths.map((w, i) => (i < left ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`
  return [line(headers), rule, ...rows.map(line)].join('\n')
}

export interface Machine {
  cpu: string
  cores: number
  node: string
  os: string
  memory: string
}

export function machine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown'
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8')
    const model = /^model name\s*:\s*(.+)$/m.exec(info)
    if (model?.[1]) cpu = model[1].trim()
  } catch {}
  let os = `${type()} ${release()}`
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))
    if (pretty?.[1]) os = `${pretty[1]} (${type()} ${release()})`
  } catch {}
  return { cpu, cores: cpus().length, node: process.version, os, memory: mib(totalmem()) }
}

/** `--name value` or `--name=value` from argv. */
export function flag(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === `--${name}`) return argv[i + 1]
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3)
  }
  return undefined
}

export function hasFlag(argv: readonly string[], name: string): boolean {
  return argv.includes(`--${name}`)
}

/** Whether this module is the entry point of the process. */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1]
  if (entry === undefined) return false
  try {
    return metaUrl === pathToFileURL(realpathSync(entry)).href
  } catch {
    return false
  }
}
