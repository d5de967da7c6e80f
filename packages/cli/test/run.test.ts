import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Io, run } from '../src/index.js'
import { claimsOf } from './cli.js'

// `run(argv, io)` in-process: the code of the bin without a process per case. The process-level suites
// (one file per command) cover exit codes, streams and signals of the real program; this one covers the
// tables and the less travelled paths.

function capture(options: { tty?: boolean; env?: Record<string, string>; input?: string } = {}) {
  let stdout = ''
  let stderr = ''
  const input = options.input
  const io: Io = {
    stdout: { write: (s: string) => (stdout += s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    stdin: (async function* () {
      if (input !== undefined) yield input
    })(),
    env: options.env ?? {},
    untilStopped: () => new Promise(() => {}),
  }
  return { io, stdout: () => stdout, stderr: () => stderr }
}

const TOKEN = [{ alg: 'RS256', typ: 'JWT' }, { owner: 'acme' }, 'sig']
  .map((part) => Buffer.from(typeof part === 'string' ? part : JSON.stringify(part)).toString('base64url'))
  .join('.')

let dir: string
let issuer: TestIssuer
let keys: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oidc-gate-cli-test-'))
  issuer = await createTestIssuer()
  keys = join(dir, 'keys.json')
  await writeFile(keys, JSON.stringify(issuer.exportKeys()), { mode: 0o600 })
})

afterAll(async () => {
  await issuer?.close()
  await rm(dir, { recursive: true, force: true })
})

describe('run(): usage, help, colour', () => {
  it.each([
    [['bogus'], 'unknown command "bogus" (see "oidc-gate --help")'],
    [['insp'], 'unknown command "insp"; did you mean "inspect"?'],
    [['--bogus'], 'unknown option --bogus (see "oidc-gate --help")'],
    [['inspect', TOKEN, 'extra'], 'unexpected argument "extra"'],
    [['inspect', TOKEN, '--json=yes'], 'option --json does not take an argument'],
    [['inspect', TOKEN, '--policy'], 'option --policy argument missing'],
    [['inspect', TOKEN, '--now', '-1'], 'option --now argument is ambiguous: write --now=VALUE'],
    [['inspect', '!.b.c'], 'not a JWT: the header part is not base64url'],
    [['inspect', 'e30.bm90IGpzb24.c2ln'], 'not a JWT: the claims part is not UTF-8 JSON'],
    [['inspect', 'W10.e30.c2ln'], 'not a JWT: the header part is not a JSON object'],
    [['inspect', 'a.b.c.d.e'], 'not a JWT: this is an encrypted token (JWE)'],
    [['inspect', 'e30.e30.c2ln'], 'the token has no owner claim to take the team from: pass --team'],
    [['inspect', TOKEN, '--team', 'Acme'], '--team must be a Vercel team slug'],
    [['inspect', TOKEN, '--mode', 'teams'], '--mode must be "team" or "global"'],
    [['inspect', TOKEN, '--now', 'yesterday'], '--now must be seconds since the epoch or an ISO 8601 time'],
    [['inspect', TOKEN, '--issuer-url', 'http://example.com'], '--issuer-url must use https:'],
    [
      ['inspect', TOKEN, '--issuer-url', 'http://127.0.0.1:4400/acme'],
      'without the team path, e.g. http://127.0.0.1:4400',
    ],
    [['inspect', TOKEN, '--jwks', '/nonexistent/jwks.json'], 'JWKS file not found: /nonexistent/jwks.json'],
    [['inspect', TOKEN, '--policy', '/nonexistent/p.json'], 'policy file not found: /nonexistent/p.json'],
    [['mint'], '--keys FILE is required'],
    [['mint', '--keys', '/nonexistent/keys.json'], 'key file not found: /nonexistent/keys.json'],
    [['mint', '--keys', 'k.json', '--ttl', '0'], '--ttl must be a positive duration'],
    [['mint', '--keys', 'k.json', '--ttl', '5w'], '--ttl must be a positive duration'],
    [['dev-issuer', '--port', '99999'], '--port must be a port number from 0 to 65535'],
    [['dev-issuer', 'now'], 'unexpected argument "now"'],
    [['exchange', TOKEN], '--aud AUDIENCE is required'],
    [['exchange', '--aud', 'x'], 'no token: the input is empty'],
  ])('%j is a usage error (exit 2, one line)', async (args, message) => {
    const out = capture()
    expect(await run(args, out.io)).toBe(2)
    expect(out.stdout()).toBe('')
    expect(out.stderr()).toMatch(/^oidc-gate: [^\n]+\n$/)
    expect(out.stderr()).toContain(message)
  })

  it('reports a policy that does not compile as a usage error naming the rule', async () => {
    const policy = join(dir, 'typo-policy.json')
    await writeFile(policy, JSON.stringify({ enviroment: 'production' }))
    const out = capture()
    expect(
      await run(['inspect', await issuer.mint(), '--issuer-url', issuer.url, '--policy', policy], out.io),
    ).toBe(2)
    expect(out.stderr()).toContain('unknown claim "enviroment"; did you mean "environment"?')
  })

  it.each(['dev-issuer', 'mint', 'inspect', 'exchange'])(
    'shows the help of %s with examples',
    async (name) => {
      for (const args of [
        [name, '--help'],
        [name, '-h'],
        ['help', name],
        [name, '--bogus', '--help'],
      ]) {
        const out = capture()
        expect(await run(args, out.io)).toBe(0)
        expect(out.stdout()).toContain(`Usage: oidc-gate ${name}`)
        expect(out.stdout()).toContain('Examples:')
      }
    },
  )

  it('prints the version', async () => {
    const out = capture()
    expect(await run(['--version'], out.io)).toBe(0)
    expect(out.stdout()).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('colours output on a terminal, unless NO_COLOR', async () => {
    const token = await issuer.mint()
    const args = ['inspect', token, '--team', 'acme', '--issuer-url', issuer.url]
    const tty = capture({ tty: true })
    expect(await run(args, tty.io)).toBe(0)
    expect(tty.stdout()).toContain('\u001b[32m✓ valid')
    const noColor = capture({ tty: true, env: { NO_COLOR: '1' } })
    expect(await run(args, noColor.io)).toBe(0)
    expect(noColor.stdout()).not.toContain('\u001b')
  })

  it('escapes control and bidi characters of claims, also in colour', async () => {
    const token = await issuer.mint({ plan: 'pro\u001b[2J\u202e' })
    const out = capture({ env: { FORCE_COLOR: '1' } })
    expect(await run(['inspect', token, '--team', 'acme', '--issuer-url', issuer.url], out.io)).toBe(0)
    expect(out.stdout()).toContain('pro\\u001b[2J\\u202e')
    expect(out.stdout()).toContain('\u001b[32m✓ valid')
    expect(out.stdout()).not.toContain('\u001b[2J')
    expect(out.stdout()).not.toContain('\u202e')
  })

  it('accepts --now as ISO 8601', async () => {
    const token = await issuer.mint({}, { expired: true })
    const exp = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).exp as number
    const now = new Date((exp - 60) * 1000).toISOString()
    const out = capture()
    const args = ['inspect', token, '--team', 'acme', '--issuer-url', issuer.url, '--now', now, '--json']
    expect(await run(args, out.io)).toBe(0)
    expect(JSON.parse(out.stdout()).verifier.now).toBe(now)
  })
})

describe('run(): inspect', () => {
  it('reports a refusal in the JSON document', async () => {
    const out = capture()
    const token = await issuer.mint({}, { expired: true })
    expect(await run(['inspect', token, '--issuer-url', issuer.url, '--json'], out.io)).toBe(1)
    expect(JSON.parse(out.stdout())).toMatchObject({
      verification: {
        valid: false,
        code: 'ERR_INVALID_TOKEN',
        reason: 'exp',
        message: 'token expired',
        status: 401,
      },
      policy: null,
      allowed: false,
      refusal: { stage: 'verification', reason: 'exp' },
      hints: [expect.stringMatching(/^expired 1h 0m ago; --now TIME/)],
    })
  })

  it('explains the policy on the unverified claims of a token that failed verification', async () => {
    const policy = join(dir, 'policy.json')
    await writeFile(policy, JSON.stringify({ anyOf: [{ environment: 'production' }, { project: 'api' }] }))
    const out = capture()
    const token = await issuer.mint({ environment: 'preview' }, { expired: true })
    expect(
      await run(['inspect', token, '--issuer-url', issuer.url, '--policy', policy, '--json'], out.io),
    ).toBe(1)
    const report = JSON.parse(out.stdout())
    expect(report.refusal.reason).toBe('exp')
    expect(report.policy).toMatchObject({ onVerifiedClaims: false, allowed: false })
    expect(report.policy.failures.map((f: { rule: string }) => f.rule)).toEqual([
      'policy.anyOf[0].environment',
      'policy.anyOf[1].project',
    ])
  })

  it('verifies offline with --jwks: a JWKS file or the dev issuer key file, served on 127.0.0.1', async () => {
    const token = await issuer.mint()
    const jwksFile = join(dir, 'jwks.json')
    await writeFile(jwksFile, await (await fetch(issuer.jwksUri)).text())
    for (const file of [jwksFile, keys]) {
      const out = capture()
      expect(
        await run(
          ['inspect', token, '--team', 'acme', '--jwks', file, '--issuer-url', issuer.url, '--json'],
          out.io,
        ),
      ).toBe(0)
      expect(JSON.parse(out.stdout()).verifier.jwksUri).toBe(file)
    }
    const other = await createTestIssuer()
    const otherKeys = join(dir, 'other-keys.json')
    await writeFile(otherKeys, JSON.stringify(other.exportKeys()))
    await other.close()
    const out = capture()
    expect(await run(['inspect', token, '--jwks', otherKeys, '--issuer-url', issuer.url], out.io)).toBe(1)
    expect(out.stdout()).toContain('refused: kid (401 ERR_INVALID_TOKEN: no matching key)')
  })

  it('hints at --issuer-url for a dev issuer token checked against Vercel, and at --audience', async () => {
    const token = await issuer.mint({ aud: 'https://api.example.test' })
    const vercelDefault = capture()
    expect(await run(['inspect', token], vercelDefault.io)).toBe(1)
    expect(vercelDefault.stdout()).toContain('refused: iss')
    expect(vercelDefault.stdout()).toContain(`hint: a dev issuer's token: pass --issuer-url ${issuer.url}`)
    const devIssuer = capture()
    expect(await run(['inspect', token, '--issuer-url', issuer.url], devIssuer.io)).toBe(1)
    expect(devIssuer.stdout()).toContain('refused: aud')
    expect(devIssuer.stdout()).toContain('(pass --audience for exchanged tokens)')
  })

  it('shows a token with out-of-range times without crashing', async () => {
    const token = await issuer.mint({ exp: 1e20 })
    const out = capture()
    expect(await run(['inspect', token, '--issuer-url', issuer.url], out.io)).toBe(1)
    expect(out.stdout()).toMatch(/exp +100000000000000000000 {2}\? \(in /)
    expect(out.stdout()).toContain('refused: lifetime')
  })

  it('names an issuer that cannot be reached (exit 1, jwks-unavailable)', async () => {
    const closed = await createTestIssuer({ keys: issuer.exportKeys() })
    const token = await closed.mint()
    await closed.close()
    const out = capture()
    expect(await run(['inspect', token, '--issuer-url', closed.url], out.io)).toBe(1)
    expect(out.stdout()).toContain('refused: jwks-unavailable')
    expect(out.stdout()).toContain('ECONNREFUSED')
  })
})

describe('run(): mint, exchange, dev-issuer', () => {
  it('mints with the given claims, in global mode, without contacting an issuer', async () => {
    const out = capture()
    const args = ['mint', '--keys', keys, '--team', 'beta', '--mode', 'global', '--project-id', 'prj_fixed']
    args.push(
      '--environment',
      'development',
      '--user',
      'usr_1',
      '--aud',
      'https://api.example.test',
      '--ttl',
      '12h',
    )
    expect(await run(args, out.io)).toBe(0)
    const claims = claimsOf(out.stdout().trim())
    expect(claims).toMatchObject({
      iss: 'http://127.0.0.1:4400',
      owner: 'beta',
      project: 'web',
      project_id: 'prj_fixed',
      environment: 'development',
      user_id: 'usr_1',
      aud: 'https://api.example.test',
    })
    expect((claims.exp as number) - (claims.iat as number)).toBe(43_200)
  })

  it('refuses to mint (exit 1) when the issuer at --issuer-url does not publish the key', async () => {
    const other = await createTestIssuer()
    try {
      const out = capture()
      expect(await run(['mint', '--keys', keys, '--issuer-url', other.url], out.io)).toBe(1)
      expect(out.stdout()).toBe('')
      expect(out.stderr()).toBe(
        `oidc-gate: the issuer at ${other.url} does not publish the key of ${keys} (kid ${issuer.kid}): ` +
          `start it with "oidc-gate dev-issuer --keys ${keys}"\n`,
      )
    } finally {
      await other.close()
    }
  })

  it("reports the issuer's refusal of an exchange in one line (exit 1)", async () => {
    const out = capture({ input: await issuer.mint({}, { expired: true }) })
    expect(
      await run(['exchange', '--aud', 'https://api.example.test', '--issuer-url', issuer.url, '-'], out.io),
    ).toBe(1)
    expect(out.stderr()).toMatch(
      /^oidc-gate: the issuer refused the exchange: HTTP 401 invalid_token: [^\n]+\n$/,
    )
  })

  it('exchanges a token and prints the answer with --json', async () => {
    const out = capture()
    const token = await issuer.mint()
    expect(
      await run(
        [
          'exchange',
          '--aud',
          'https://api.example.test',
          '--jti',
          'j-1',
          `--issuer-url=${issuer.url}`,
          token,
          '--json',
        ],
        out.io,
      ),
    ).toBe(0)
    const answer = JSON.parse(out.stdout())
    expect(answer.expiry).toBe(claimsOf(token).exp)
    expect(claimsOf(answer.token)).toMatchObject({ aud: 'https://api.example.test', jti: 'j-1' })
  })

  it('fails with one line (exit 1) when the port of dev-issuer is taken', async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    try {
      const port = (blocker.address() as { port: number }).port
      const out = capture()
      expect(await run(['dev-issuer', '--port', String(port)], out.io)).toBe(1)
      expect(out.stderr()).toBe(`oidc-gate: port ${port} is already in use: choose another with --port\n`)
    } finally {
      blocker.close()
    }
  })
})
