/**
 * `pnpm packaging`: packs every publishable package, installs the tarballs into a fresh project with npm,
 * compiles a Node consumer and a Workers consumer with `skipLibCheck: false`, and loads each entry with
 * `import` and `require`, and checks that every package declares `engines.node` `>=20.19`. Exits non-zero
 * on any failure in our packages. Build first (`pnpm build`).
 *
 * `--keep` leaves the temporary project in place and prints its path.
 */

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { compile, profiles } from './compile.js'
import { createConsumer } from './consumer.js'
import { exec } from './exec.js'
import { enginesMismatches, packAll } from './pack.js'

const PACKAGES_DIR = fileURLToPath(new URL('../../packages/', import.meta.url))

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const start = performance.now()
  const value = await run()
  console.log(`${name} (${((performance.now() - start) / 1000).toFixed(1)} s)`)
  return value
}

async function main(): Promise<boolean> {
  const { values } = parseArgs({ options: { keep: { type: 'boolean', default: false } } })
  const work = await mkdtemp(join(tmpdir(), 'oidc-gate-packaging-'))
  const consumer = join(work, 'consumer')
  let ok = true
  try {
    const engines = await enginesMismatches(PACKAGES_DIR)
    for (const line of engines) console.log(`  FAIL ${line}`)
    ok &&= engines.length === 0
    const tarballs = await step('pack', () => packAll(PACKAGES_DIR, work))
    console.log(`  ${tarballs.map((tarball) => tarball.name).join(', ')}`)
    await step('npm install into a fresh project', () => createConsumer(consumer, tarballs))
    // The two compilations run side by side; their reports are printed in order.
    const compiled = await step('tsc, both profiles', () =>
      Promise.all(
        profiles(tarballs.map((tarball) => tarball.name)).map((profile) => compile(consumer, profile)),
      ),
    )
    for (const result of compiled) {
      console.log(`  ${result.ours.length === 0 ? 'ok  ' : 'FAIL'} ${result.profile}`)
      for (const line of result.ours) console.log(`    ${line}`)
      for (const line of result.theirs) console.log(`    (third-party types, not ours) ${line}`)
      ok &&= result.ours.length === 0
    }
    const entries = tarballs.flatMap((tarball) => tarball.entries)
    const loaded = await step('import and require with Node', () =>
      exec(process.execPath, ['load.mjs', ...entries], consumer),
    )
    console.log(loaded.output.trimEnd().replace(/^/gm, '  '))
    ok &&= loaded.code === 0
  } finally {
    if (values.keep) console.log(`kept ${work}`)
    else await rm(work, { recursive: true, force: true })
  }
  console.log(ok ? 'packaging: ok' : 'packaging: FAILED')
  return ok
}

process.exitCode = (await main()) ? 0 : 1
