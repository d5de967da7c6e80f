/** Names the runtime this code runs on, from the globals each one sets. */

interface RuntimeGlobals {
  Bun?: { version: string }
  Deno?: { version: { deno: string } }
  EdgeRuntime?: string
  navigator?: { userAgent?: string }
  process?: { versions?: { node?: string } }
}

/** `bun 1.4.5`, `deno 2.9.6`, `edge-runtime`, `workerd`, `node 22.23.5`. */
export function runtimeName(): string {
  const g = globalThis as RuntimeGlobals
  if (g.Bun !== undefined) return `bun ${g.Bun.version}`
  if (g.Deno !== undefined) return `deno ${g.Deno.version.deno}`
  if (typeof g.EdgeRuntime === 'string') return 'edge-runtime'
  if (g.navigator?.userAgent === 'Cloudflare-Workers') return 'workerd'
  return `node ${g.process?.versions?.node ?? 'unknown'}`
}
