/**
 * The adapters only translate (DESIGN §1): each `src/index.ts` stays at 60 code lines or fewer. Counted
 * with the TypeScript parser: a code line holds a token of a statement that runs. Blank lines, comments
 * (TSDoc included), imports, type-only exports, interfaces, type aliases, `declare module` /
 * `declare global` blocks and overload signatures without a body do not count.
 */

import { readFileSync } from 'node:fs'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const LIMIT = 60
const ADAPTERS = ['express', 'fastify', 'hono', 'koa'] as const

function isDeclarationOnly(statement: ts.Statement): boolean {
  return (
    ts.isImportDeclaration(statement) ||
    ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) ||
    ts.isModuleDeclaration(statement) ||
    (ts.isExportDeclaration(statement) && statement.isTypeOnly) ||
    (ts.isFunctionDeclaration(statement) && statement.body === undefined)
  )
}

const isJsDoc = (node: ts.Node) =>
  node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode

/** Adds the lines (0-based) on which the tokens of `node` stand; comments are trivia, not tokens. */
function tokenLines(source: ts.SourceFile, node: ts.Node, lines: Set<number>): void {
  if (isJsDoc(node)) return
  const children = node.getChildren(source)
  if (children.length === 0) {
    // A token; a template or string over several lines counts each of them.
    const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line
    const last = source.getLineAndCharacterOfPosition(node.getEnd()).line
    for (let line = first; line <= last; line++) lines.add(line)
  }
  for (const child of children) tokenLines(source, child, lines)
}

/** Counts the code lines of a TypeScript module. */
export function countCodeLines(text: string): number {
  const source = ts.createSourceFile('index.ts', text, ts.ScriptTarget.Latest, true)
  const lines = new Set<number>()
  for (const statement of source.statements) {
    if (!isDeclarationOnly(statement)) tokenLines(source, statement, lines)
  }
  return lines.size
}

const counts = ADAPTERS.map((name) => {
  const file = new URL(`../../${name}/src/index.ts`, import.meta.url)
  return [name, countCodeLines(readFileSync(file, 'utf8'))] as const
})

describe('adapter size', () => {
  it.each(counts)(`%s: %i code lines ≤ ${LIMIT}`, (_name, count) => {
    expect(count).toBeLessThanOrEqual(LIMIT)
  })

  it('counts only the lines of statements that run', () => {
    const sample = `/**
 * TSDoc.
 */
import {
  a,
  b,
} from 'x'
import type { C } from 'y'
export type { D } from 'z'

// A comment.
export interface E {
  f: string
}
type G =
  | 1
  | 2
declare global {
  interface Window { h: 1 }
}
declare module 'y' {
  interface C { i: 1 }
}
export function j(k: string): string
export function j(k: number): number
export function j(k: unknown): unknown {
  /* inline */ return k // trailing
}
const l = \`one
two\`
`
    expect(countCodeLines(sample)).toBe(5)
  })
})
