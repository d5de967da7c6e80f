import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../src/index.js'

describe('parseConfig', () => {
  it('has defaults for everything', () => {
    expect(parseConfig({}, 3001)).toEqual({
      host: '127.0.0.1',
      port: 3001,
      vercel: { team: 'acme', issuerMode: 'team' },
    })
  })

  it('reads every variable; blank ones are unset', () => {
    const env = {
      OIDC_GATE_TEAM: 'beta',
      OIDC_GATE_ISSUER_MODE: 'global',
      OIDC_GATE_AUDIENCE: ' https://api.example.com , https://vercel.com/beta,',
      OIDC_GATE_BASE_URL: 'http://127.0.0.1:4400',
      PORT: '0',
      HOST: ' ',
    }
    expect(parseConfig(env, 3001)).toEqual({
      host: '127.0.0.1',
      port: 0,
      vercel: {
        team: 'beta',
        issuerMode: 'global',
        audience: ['https://api.example.com', 'https://vercel.com/beta'],
        baseUrl: 'http://127.0.0.1:4400',
      },
    })
  })

  it.each([
    [{ OIDC_GATE_ISSUER_MODE: 'Team' }, 'OIDC_GATE_ISSUER_MODE must be team or global'],
    [{ OIDC_GATE_TEAM: 'Acme/x' }, /^OIDC_GATE_TEAM: team must be a Vercel team slug/],
    [{ OIDC_GATE_BASE_URL: 'http://oidc.example.com' }, /^OIDC_GATE_BASE_URL: /],
    [{ OIDC_GATE_BASE_URL: 'http://127.0.0.1:4400/acme' }, /^OIDC_GATE_BASE_URL: /],
    [{ OIDC_GATE_AUDIENCE: ' , ' }, 'OIDC_GATE_AUDIENCE must list one audience or more'],
    [{ PORT: '80a' }, 'PORT must be a port number from 0 to 65535'],
    [{ PORT: '65536' }, 'PORT must be a port number from 0 to 65535'],
  ])('refuses %o', (env, message) => {
    expect(() => parseConfig(env, 3001)).toThrow(ConfigError)
    expect(() => parseConfig(env, 3001)).toThrow(message)
  })
})
