/**
 * Compiles the consumer with `skipLibCheck: false` under two settings: a Node project without the DOM lib,
 * and a Cloudflare Workers project (core + Hono). Every declaration file of the packages concerned is a
 * root file, so a leak anywhere in `dist` fails, reachable from the entry or not.
 */

import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { exec } from './exec.js'

/** One compiler setting and what it covers. */
export interface CompileProfile {
  readonly name: string
  readonly compilerOptions: Record<string, unknown>
  /** The consumer source file. */
  readonly file: string
  /** Packages whose `dist/**\/*.d.ts` are compiled too. */
  readonly packages: readonly string[]
}

const STRICT = { strict: true, noEmit: true, skipLibCheck: false, target: 'ES2022' }

/** Node settings for every package; Workers settings for the packages that run there. */
export function profiles(allPackages: readonly string[]): CompileProfile[] {
  return [
    {
      name: 'node (lib ES2022, types node, nodenext)',
      compilerOptions: {
        ...STRICT,
        lib: ['ES2022'],
        types: ['node'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
      },
      file: 'node.ts',
      packages: allPackages,
    },
    {
      name: 'workers (lib ES2022, @cloudflare/workers-types, bundler)',
      compilerOptions: {
        ...STRICT,
        lib: ['ES2022'],
        types: ['@cloudflare/workers-types'],
        module: 'esnext',
        moduleResolution: 'bundler',
      },
      file: 'worker.ts',
      packages: ['@oidc-gate/core', '@oidc-gate/hono'],
    },
  ]
}

/** The result of one compilation: errors in our files fail it, errors in third-party types are reported. */
export interface CompileResult {
  readonly profile: string
  readonly ours: readonly string[]
  readonly theirs: readonly string[]
}

/** Compiles `profile` in the consumer `dir`. */
export async function compile(dir: string, profile: CompileProfile): Promise<CompileResult> {
  const tsconfig = `tsconfig.${profile.file.replace(/\.ts$/, '')}.json`
  const include = [profile.file, ...profile.packages.map((name) => `node_modules/${name}/dist/**/*.d.ts`)]
  await writeFile(
    join(dir, tsconfig),
    JSON.stringify({ compilerOptions: profile.compilerOptions, include }, null, 2),
  )
  const { output } = await exec(process.execPath, ['node_modules/typescript/bin/tsc', '-p', tsconfig], dir)
  const errors = output.split('\n').filter((line) => /: error TS\d+:/.test(line))
  const isOurs = (line: string): boolean =>
    line.startsWith(profile.file) || line.includes('node_modules/@oidc-gate/')
  // A compiler failure without located errors (bad config) counts as ours.
  const unlocated = errors.length === 0 && /error TS\d+/.test(output) ? [output.trim()] : []
  return {
    profile: profile.name,
    ours: [...errors.filter(isOurs), ...unlocated],
    theirs: errors.filter((line) => !isOurs(line)),
  }
}
