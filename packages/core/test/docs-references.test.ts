/**
 * The documents the code cites are in the repository and every citation lands somewhere
 * (docs/README.md): "SECURITY K7" on row K7 of docs/security.md, "DESIGN §6" on section 6 of
 * docs/design.md. Fails with the file and line of each citation that has no anchor.
 */

import { existsSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  anchorsFor,
  anchorsOf,
  type CitedDocument,
  findCitations,
  localLinks,
  read,
  repositoryFiles,
} from './doc-citations.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const DOCUMENTS: Readonly<Record<CitedDocument, string>> = {
  security: 'docs/security.md',
  design: 'docs/design.md',
}
const anchors = {
  security: anchorsOf(read(root, DOCUMENTS.security)),
  design: anchorsOf(read(root, DOCUMENTS.design)),
}

const range = (prefix: string, last: number): string[] =>
  Array.from({ length: last }, (_, i) => `${prefix}${i + 1}`)

describe('the citation forms of docs/README.md', () => {
  const cases: [string, string[]][] = [
    ['(SECURITY K2).', ['k2']],
    ['SECURITY C1–C9, C11–C12) shared', [...range('c', 9), 'c11', 'c12']],
    ['SECURITY P6–P11, A1–A3): alg', ['p6', 'p7', 'p8', 'p9', 'p10', 'p11', 'a1', 'a2', 'a3']],
    ['SECURITY §4 (A1–A8): algorithm', ['section-4', ...range('a', 8)]],
    ['SECURITY §6.2).', ['section-6-2']],
    ['SECURITY §7.1 items 3, 12a and the rest', ['section-7-1', 'dpop-3', 'dpop-12a']],
    ['SECURITY §7 check 11–12b:', ['section-7', 'dpop-11', 'dpop-12', 'dpop-12a', 'dpop-12b']],
    ['/**\n * Refusals (DESIGN §2.1,\n * §5): status', ['section-2-1', 'section-5']],
    ['the SECURITY\n * K5, K9 rules', ['k5', 'k9']],
  ]
  for (const [text, expected] of cases) {
    it(`reads ${JSON.stringify(text)} as ${expected.join(' ')}`, () => {
      const [citation, ...more] = findCitations(text)
      expect(more).toEqual([])
      const document = citation?.document ?? 'security'
      expect(citation?.atoms.flatMap((atom) => anchorsFor(atom, anchors[document]))).toEqual(expected)
    })
  }

  it('ignores the word SECURITY where no section or row follows', () => {
    expect(findCitations('OIDC_SECURITY_LEVEL, SECURITY notes, the SECURITY|DESIGN keywords')).toEqual([])
  })
})

describe('citations in the repository', () => {
  const files = repositoryFiles(root)
  const citations = files.flatMap((file) => findCitations(read(root, file)).map((c) => ({ ...c, file })))

  it('finds the citations of the core sources, so this check cannot pass by reading nothing', () => {
    const cited = new Set(citations.map((c) => c.file))
    expect(cited).toContain('packages/core/src/verify.ts')
    expect(citations.length).toBeGreaterThan(20)
  })

  it('lands every "SECURITY …" and "DESIGN …" citation on an anchor of docs/', () => {
    const problems: string[] = []
    for (const { file, line, text, document, atoms } of citations) {
      for (const atom of atoms) {
        const needed = anchorsFor(atom, anchors[document])
        const missing =
          typeof needed === 'string'
            ? [`expected ${needed}`]
            : needed.filter((a) => !anchors[document].includes(a)).map((a) => `no #${a}`)
        for (const reason of missing)
          problems.push(`${file}:${line} "${text}": ${reason} in ${DOCUMENTS[document]}`)
      }
    }
    expect(problems).toEqual([])
  })

  it('names the documents by their place in docs/, not as top-level files the repository lacks', () => {
    const problems: string[] = []
    for (const name of ['SECURITY', 'DESIGN']) {
      if (existsSync(join(root, `${name}.md`))) continue
      const bare = new RegExp(`(?<![\\w/.-])${name}\\.md\\b`)
      problems.push(...files.filter((file) => bare.test(read(root, file))).map((file) => `${file}: ${name}`))
    }
    expect(problems).toEqual([])
  })
})

describe('the documents', () => {
  it('give every row and section of the checklist an anchor', () => {
    const expected = [
      ...range('section-', 14),
      'section-6-1',
      'section-6-2',
      'section-7-1',
      'section-7-2',
      'section-7-3',
      ...range('h', 10),
      ...range('p', 11),
      ...range('a', 8),
      ...range('k', 10),
      ...range('c', 13),
      ...range('r', 8),
      ...range('dpop-', 11),
      'dpop-12',
      'dpop-12a',
      'dpop-12b',
    ]
    expect(expected.filter((a) => !anchors.security.includes(a))).toEqual([])
  })

  it('give every section of the design an anchor', () => {
    const expected = [...range('section-', 9), 'section-2-1', 'section-6-1']
    expect(expected.filter((a) => !anchors.design.includes(a))).toEqual([])
  })

  it('use each anchor once per document', () => {
    for (const list of Object.values(anchors)) {
      expect(list.filter((a, i) => list.indexOf(a) !== i)).toEqual([])
    }
  })

  it('link only to files and anchors that exist', () => {
    const problems: string[] = []
    for (const doc of repositoryFiles(root, 'docs').filter((f) => f.endsWith('.md'))) {
      for (const { target, line } of localLinks(read(root, doc))) {
        const [path = '', fragment] = target.split('#')
        const file = path === '' ? doc : join(dirname(doc), path)
        if (!resolves(file)) problems.push(`${doc}:${line}: ${target}: no such file`)
        else if (
          fragment !== undefined &&
          file.endsWith('.md') &&
          !anchorsOf(read(root, file)).includes(fragment)
        ) {
          problems.push(`${doc}:${line}: ${target}: no such anchor`)
        }
      }
    }
    expect(problems).toEqual([])
  })
})

/** Whether a repository path exists; a module since split into a folder of the same name still counts. */
function resolves(path: string): boolean {
  const full = join(root, path)
  if (existsSync(full)) return true
  const folder = full.replace(/\.[cm]?[jt]s$/, '')
  return folder !== full && existsSync(folder) && statSync(folder).isDirectory()
}
