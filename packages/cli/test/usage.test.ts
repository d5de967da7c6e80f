import { describe, expect, it } from 'vitest'
import { cli, isOneLine } from './cli.js'

// The bin as a process: exit codes and stderr of the real program. The whole table of usage errors runs
// in-process in run.test.ts.
const TOKEN = [{ alg: 'RS256', typ: 'JWT' }, { owner: 'acme' }, 'sig']
  .map((part) => Buffer.from(typeof part === 'string' ? part : JSON.stringify(part)).toString('base64url'))
  .join('.')

describe.concurrent('oidc-gate usage errors and help (process)', { timeout: 20_000 }, () => {
  it.each([
    ['an unknown command', ['bogus'], 'unknown command "bogus" (see "oidc-gate --help")'],
    [
      'an unknown option',
      ['inspect', TOKEN, '--bogus'],
      'unknown option --bogus (see "oidc-gate inspect --help")',
    ],
    ['a bad token', ['inspect', 'not-a-token'], 'not a JWT: expected 3 parts separated by ".", found 1'],
    ['a missing file', ['inspect', TOKEN, '--policy', '/nonexistent/policy.json'], 'policy file not found'],
  ])('exits 2 with one line on stderr and no stack trace for %s', async (_, args, message) => {
    const result = await cli(args)
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(isOneLine(result.stderr)).toBe(true)
    expect(result.stderr).toContain(message)
  })

  it('prints the help with exit 0 for --help, and on stderr with exit 2 without a command', async () => {
    const [help, none] = await Promise.all([cli(['--help']), cli([])])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: oidc-gate <command> [options]')
    expect(none.code).toBe(2)
    expect(none.stdout).toBe('')
    expect(none.stderr).toBe(help.stdout)
  })

  it('keeps its exit code and prints no stack trace when the reader of stdout went away', async () => {
    const result = await cli(['--help'], { closeStdout: true })
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
  })
})
