/**
 * SECURITY P2: strict base64url. Node's decoder is lenient, so the native path re-encodes what it decoded
 * and accepts only the canonical spelling; it must accept and refuse exactly what the portable decoder of
 * runtimes without `Buffer` does, byte for byte.
 */

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeBase64url, decodeBase64urlPortable } from '../src/base64url.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** Characters Node's decoder tolerates in some way: the base64 alphabet, padding, whitespace, others. */
const TOLERATED = '+/= \n\t.%\u00e9\u0100'

const near = fc
  .array(fc.constantFrom(...`${ALPHABET}${ALPHABET}${TOLERATED}`), { maxLength: 40 })
  .map((chars) => chars.join(''))

const same = (s: string): void => {
  const native = decodeBase64url(s)
  const portable = decodeBase64urlPortable(s)
  expect(native === undefined ? undefined : [...native]).toEqual(
    portable === undefined ? undefined : [...portable],
  )
}

describe('strict base64url decoding', () => {
  it('accepts and refuses exactly what the portable decoder does, for strings near the alphabet', () => {
    fc.assert(
      fc.property(near, (s) => same(s)),
      { numRuns: 5000 },
    )
  })

  it('round-trips any bytes through their canonical spelling', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const spelled = Buffer.from(bytes).toString('base64url')
        expect([...(decodeBase64url(spelled) ?? [])]).toEqual([...bytes])
      }),
    )
  })

  const refused: [string, string][] = [
    ['padding', 'QQ=='],
    ['the standard alphabet', 'a+b/'],
    ['a set unused trailing bit', 'QR'],
    ['a length of 4n+1', 'QUJDR'],
    ['whitespace', 'QU JD'],
    ['a line break', 'QUJD\nRA'],
    ['a non-ASCII letter', 'QUJé'],
  ]
  for (const [name, text] of refused) {
    it(`refuses ${name}`, () => {
      expect(decodeBase64url(text)).toBeUndefined()
      expect(decodeBase64urlPortable(text)).toBeUndefined()
    })
  }

  it('decodes a range of a longer string', () => {
    expect(Buffer.from(decodeBase64url('xx.QUJD.yy', 3, 7) ?? []).toString()).toBe('ABC')
  })
})
