import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src')

/** Every module reachable from `entry`, following `#crypto` as a runtime without the `node` condition does. */
function moduleGraph(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>()
  const external = new Set<string>()
  const visit = (file: string): void => {
    if (files.has(file)) return
    files.add(file)
    // TSDoc examples import from '@oidc-gate/core': only code counts.
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '')
    for (const match of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
      const specifier = match[1] as string
      if (/^(?:import|export)\s+type\s/.test(match[0].trim())) continue
      if (specifier === '#crypto') visit(resolve(src, 'crypto/web.ts'))
      else if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')))
      else external.add(specifier)
    }
  }
  visit(entry)
  return { files, external }
}

describe('the main entry on edge runtimes', () => {
  it('imports no Node built-in and no package but jose when #crypto resolves without the node condition', () => {
    const { files, external } = moduleGraph(resolve(src, 'index.ts'))
    expect(files.size).toBeGreaterThan(10)
    expect([...external]).toEqual(['jose'])
    expect([...files].some((f) => f.endsWith('crypto/node.ts'))).toBe(false)
  })
})
