import { createTestIssuer, type TestIssuer, type TestIssuerOptions } from '@oidc-gate/testing'
import { CommandError, UsageError } from './errors.js'

/**
 * Starts a test issuer for `command`. Listening errors become a {@link CommandError}; the `TypeError` of
 * a bad key file becomes a {@link UsageError} naming `keysPath` (every other option is validated before).
 */
export async function startIssuer(
  command: string,
  options: TestIssuerOptions,
  keysPath: string | undefined,
): Promise<TestIssuer> {
  try {
    return await createTestIssuer(options)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const port = options.port ?? 0
    if (code === 'EADDRINUSE') {
      throw new CommandError(`port ${port} is already in use: choose another with --port`)
    }
    if (code === 'EACCES')
      throw new CommandError(`not allowed to listen on port ${port}: choose another with --port`)
    if (error instanceof TypeError && keysPath !== undefined) {
      throw new UsageError(
        `${keysPath}: ${error.message.replace(/^createTestIssuer: options\.keys ?/, '')}`,
        command,
      )
    }
    throw error
  }
}
