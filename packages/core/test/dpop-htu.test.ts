import { describe, expect, it } from 'vitest'
import { normalizeHtu } from '../src/dpop/htu.js'

describe('htu normalisation (RFC 3986 §6.2.2, §6.2.3)', () => {
  it.each([
    ['https://api.example.com/orders', 'https://api.example.com/orders'],
    ['HTTPS://API.EXAMPLE.COM/orders', 'https://api.example.com/orders'],
    ['https://api.example.com:443/orders', 'https://api.example.com/orders'],
    ['http://api.example.com:80/orders', 'http://api.example.com/orders'],
    ['https://api.example.com:/orders', 'https://api.example.com/orders'],
    ['https://api.example.com:08443/orders', 'https://api.example.com:8443/orders'],
    ['http://api.example.com:443/orders', 'http://api.example.com:443/orders'],
    ['https://api.example.com', 'https://api.example.com/'],
    ['https://api.example.com?x=1', 'https://api.example.com/'],
    ['https://api.example.com/orders?x=1#top', 'https://api.example.com/orders'],
    ['https://api.example.com/a/./b/../c', 'https://api.example.com/a/c'],
    ['https://api.example.com/a/b/..', 'https://api.example.com/a/'],
    ['https://api.example.com/../a', 'https://api.example.com/a'],
    ['https://api.example.com/%7euser/%2fx', 'https://api.example.com/~user/%2Fx'],
    ['https://api.example.com/%41%62c', 'https://api.example.com/Abc'],
    ['https://api.example.com/a/%2E%2E/b', 'https://api.example.com/b'],
    ['http://[::1]:8080/x', 'http://[::1]:8080/x'],
    ['http://127.0.0.1:3000/x', 'http://127.0.0.1:3000/x'],
  ])('normalises %s to %s', (input, expected) => {
    expect(normalizeHtu(input)).toBe(expected)
  })

  it('keeps path case: /Orders is another resource than /orders', () => {
    expect(normalizeHtu('https://api.example.com/Orders')).not.toBe(
      normalizeHtu('https://api.example.com/orders'),
    )
  })

  it.each([
    'https://user@api.example.com/orders',
    'https://user:pass@api.example.com/orders',
    'ftp://api.example.com/orders',
    'api.example.com/orders',
    '/orders',
    'https:///orders',
    'https://api.example.com:99999/orders',
    'https://api.example.com/a b',
    'https://api.example.com/%zz',
    'https://api.example.com/%4',
    'https://api.exämple.com/',
    'https://api.example.com\\@evil.com/',
    'https://api.example.com/\n',
    'https://%61pi.example.com/',
  ])('refuses %j', (input) => {
    expect(normalizeHtu(input)).toBeUndefined()
  })
})
