// Loads every package as a Node user would: `import()` and, since Node 20.19, `require()` of the ES
// modules. Prints one line per package and exits non-zero if one fails.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const entries = process.argv.slice(2)
let failures = 0
for (const entry of entries) {
  try {
    const imported = Object.keys(await import(entry)).length
    const required = Object.keys(require(entry)).length
    if (imported === 0 || imported !== required)
      throw new Error(`${imported} exports imported, ${required} required`)
    console.log(`ok   ${entry}: ${imported} exports through import and require`)
  } catch (error) {
    failures++
    console.log(`FAIL ${entry}: ${error instanceof Error ? error.message : String(error)}`)
  }
}
process.exitCode = failures === 0 ? 0 : 1
