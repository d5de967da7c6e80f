/**
 * Reading the citations of docs/security.md and docs/design.md out of the repository's files, and the
 * anchors and links of those documents, for docs-references.test.ts. The citation forms are those of
 * docs/README.md: "SECURITY K7", "SECURITY C1–C9, C11–C12", "SECURITY §4 (A1–A8)", "SECURITY §6.2",
 * "SECURITY §7.1 items 3, 12a", "DESIGN §2.1, §5", possibly wrapped across comment lines.
 */

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** The cited document. */
export type CitedDocument = 'security' | 'design'

/** One citation found in a file. */
export interface Citation {
  readonly document: CitedDocument
  /** The citation as written (on one line, comment markers removed). */
  readonly text: string
  /** 1-based line of the citation's keyword. */
  readonly line: number
  /** What it cites, in order: sections, rows, DPoP proof checks, or ranges of them. */
  readonly atoms: readonly Atom[]
}

/** One cited section, row or DPoP proof check, or a range of them (`to` set). */
export interface Atom {
  readonly kind: 'section' | 'row' | 'check'
  readonly from: string
  readonly to?: string
}

/** Directories never read: dependencies, build output, tool caches. */
const SKIPPED = new Set(['node_modules', 'dist', '.git', '.turbo', '.tmp', 'coverage'])
const SCANNED = /\.(?:[cm]?[jt]sx?|md)$/

/** Every `.ts`/`.js`/`.md` file below `root` (relative paths), dependencies and build output excluded. */
export function repositoryFiles(root: string, dir = ''): string[] {
  const found: string[] = []
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = dir === '' ? entry.name : `${dir}/${entry.name}`
    if (entry.isDirectory() && !SKIPPED.has(entry.name)) found.push(...repositoryFiles(root, path))
    else if (entry.isFile() && SCANNED.test(entry.name)) found.push(path)
  }
  return found
}

/**
 * The text with each line's leading comment or quote marker (`*`, `//`, `#`, `>`) removed and the lines
 * joined by spaces, so a citation wrapped across comment lines reads as one; with the offset each line
 * starts at.
 */
function flatten(text: string): { flat: string; starts: number[] } {
  const starts: number[] = []
  let flat = ''
  for (const line of text.split('\n')) {
    starts.push(flat.length)
    flat += `${line.replace(/^\s*(?:\*(?!\/)|\/\/|#+|>)?/, '')} `
  }
  return { flat, starts }
}

function lineAt(starts: readonly number[], offset: number): number {
  let line = 0
  while (line + 1 < starts.length && (starts[line + 1] as number) <= offset) line++
  return line + 1
}

const KEYWORD = /\b(SECURITY|DESIGN)(?:\.md)?:?\s+/g
const SECTION = /§\s?(\d+(?:\.\d+)*)/y
const SECTION_END = /\s*[–—-]\s*§?\s?(\d+(?:\.\d+)*)/y
const ROW = /([A-Z]\d{1,3}[a-z]?)\b/y
const ROW_END = /\s*[–—-]\s*([A-Z]\d{1,3}[a-z]?)\b/y
const CHECK = /(?:items?|checks?|#)\s*(\d{1,2}[a-z]?)\b/y
const BARE_CHECK = /(\d{1,2}[a-z]?)\b/y
const CHECK_END = /\s*[–—-]\s*(?:items?\s*|checks?\s*|#)?(\d{1,2}[a-z]?)\b/y
const SEPARATOR = /\s*(?:[,;/&(]|and\b)\s*|\s+(?=(?:items?|checks?|#)\s*\d)/y
const CLOSE = /\s*\)/y

function matchAt(pattern: RegExp, text: string, at: number): RegExpExecArray | null {
  pattern.lastIndex = at
  return pattern.exec(text)
}

/** Parses one atom (with an optional range end) at `at`; `afterCheck` allows a bare check number. */
function atomAt(text: string, at: number, afterCheck: boolean): { atom: Atom; end: number } | undefined {
  const forms: [Atom['kind'], RegExp, RegExp][] = [
    ['section', SECTION, SECTION_END],
    ['check', CHECK, CHECK_END],
    ['row', ROW, ROW_END],
  ]
  if (afterCheck) forms.push(['check', BARE_CHECK, CHECK_END])
  for (const [kind, start, rangeEnd] of forms) {
    const first = matchAt(start, text, at)
    if (first === null) continue
    const end = at + first[0].length
    const range = matchAt(rangeEnd, text, end)
    const from = first[1] as string
    if (range === null) return { atom: { kind, from }, end }
    return { atom: { kind, from, to: range[1] as string }, end: end + range[0].length }
  }
  return undefined
}

/** The citations of docs/security.md and docs/design.md in `text`. */
export function findCitations(text: string): Citation[] {
  const { flat, starts } = flatten(text)
  const citations: Citation[] = []
  for (const keyword of flat.matchAll(KEYWORD)) {
    const atoms: Atom[] = []
    let at = (keyword.index as number) + keyword[0].length
    let end = at
    for (;;) {
      const parsed = atomAt(flat, at, atoms.at(-1)?.kind === 'check')
      if (parsed === undefined) break
      atoms.push(parsed.atom)
      end = parsed.end
      const close = matchAt(CLOSE, flat, end)
      if (close !== null && flat.lastIndexOf('(', end) > (keyword.index as number)) end += close[0].length
      const separator = matchAt(SEPARATOR, flat, end)
      if (separator === null) break
      at = end + separator[0].length
    }
    if (atoms.length === 0) continue
    citations.push({
      document: keyword[1] === 'SECURITY' ? 'security' : 'design',
      text: flat.slice(keyword.index, end).trim(),
      line: lineAt(starts, keyword.index as number),
      atoms,
    })
  }
  return citations
}

/** The anchors of a document, in order: every `<a id="…"></a>`. */
export function anchorsOf(markdown: string): string[] {
  return [...markdown.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1] as string)
}

/**
 * The anchors an atom needs in a document whose anchors are `anchors` (in document order), or a reason
 * why the atom cannot name any.
 */
export function anchorsFor(atom: Atom, anchors: readonly string[]): string[] | string {
  if (atom.kind === 'section') {
    if (atom.to === undefined) return [`section-${atom.from.replaceAll('.', '-')}`]
    const [from, to] = [Number(atom.from), Number(atom.to)]
    if (!Number.isInteger(from) || !Number.isInteger(to) || to < from)
      return 'a section range of whole sections'
    return Array.from({ length: to - from + 1 }, (_, i) => `section-${from + i}`)
  }
  if (atom.kind === 'row') {
    if (atom.to === undefined) return [atom.from.toLowerCase()]
    const from = /^([A-Z])(\d+)$/.exec(atom.from)
    const to = /^([A-Z])(\d+)$/.exec(atom.to)
    if (from === null || to === null || from[1] !== to[1] || Number(to[2]) < Number(from[2])) {
      return 'a row range within one letter, from low to high'
    }
    const letter = (from[1] as string).toLowerCase()
    const first = Number(from[2])
    return Array.from({ length: Number(to[2]) - first + 1 }, (_, i) => `${letter}${first + i}`)
  }
  const first = `dpop-${atom.from}`
  if (atom.to === undefined) return [first]
  // Proof checks run 1 … 11, 12a, 12b: a range follows the document's order.
  const checks = anchors.filter((a) => /^dpop-\d+[a-z]?$/.test(a))
  const [start, stop] = [checks.indexOf(first), checks.indexOf(`dpop-${atom.to}`)]
  if (start === -1 || stop < start)
    return `a range of proof checks that exist, from ${atom.from} to ${atom.to}`
  return checks.slice(start, stop + 1)
}

/** The local links of a markdown document: `[text](target)` that is not a URL. */
export function localLinks(markdown: string): { target: string; line: number }[] {
  const links: { target: string; line: number }[] = []
  for (const [index, line] of markdown.split('\n').entries()) {
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push({ target, line: index + 1 })
    }
  }
  return links
}

/** Reads a file as UTF-8 text. */
export function read(root: string, path: string): string {
  return readFileSync(join(root, path), 'utf8')
}
