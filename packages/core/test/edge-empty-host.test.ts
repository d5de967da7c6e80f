import { describe, expect, it } from 'vitest'
import { fromFetch, InvalidRequestError } from '../src/index.js'

// Its own file, so that no valid host was checked before in this module instance: the check of a host
// remembers the last valid one, and an empty host must never pass for it.
describe('an empty trusted forwarded host', () => {
  it('is a 400 refusal, also as the first host the process sees', () => {
    for (const forwarded of ['host=""', 'host=', 'proto=https;host=""']) {
      const request = new Request('http://10.0.0.5:3000/a', { headers: { forwarded } })
      const edge = fromFetch(request, { trustProxy: true })
      expect(edge.refusal).toBeInstanceOf(InvalidRequestError)
      expect(edge.refusal?.reason).toBe('malformed-host')
    }
  })
})
