import { readFile } from 'node:fs/promises'
import { UsageError } from './errors.js'

/**
 * Reads and parses a JSON file given on the command line (`what` names it in messages).
 * @throws UsageError when the file is missing, unreadable or not JSON.
 */
export async function readJsonFile(command: string, path: string, what: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(
      code === 'ENOENT' ? `${what} not found: ${path}` : `cannot read ${what} ${path} (${code ?? error})`,
      command,
    )
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    throw new UsageError(`${what} ${path} is not JSON (${detail})`, command)
  }
}
