import { describe, expect, it } from 'vitest'
import { cryptoBackend } from '#crypto'

describe('signature back end', () => {
  it('is node:crypto under the node export condition and Web Crypto without it', () => {
    expect(cryptoBackend).toBe(process.env.OIDC_GATE_EXPECTED_CRYPTO)
  })
})
