/**
 * The scenarios of the adapter conformance suite: gate configurations and, for each, the requests every
 * adapter must answer exactly as the core answers them.
 */

import type { TestIssuer } from '../issuer.js'

/** The form of `WWW-Authenticate` a case expects. */
export type Challenge = 'bare' | 'invalid_request' | 'invalid_token' | 'insufficient_scope'
/** What a case expects, besides being the core's own answer. */
export type Expected =
  | { readonly status: 200; readonly auth: 'web' | 'none' }
  /** The protected-resource metadata (RFC 9728): the document, or none for HEAD and OPTIONS. */
  | { readonly status: 200; readonly metadata: 'document' | 'head' | 'preflight' }
  | { readonly status: 400 | 401 | 403; readonly challenge: Challenge }
  | { readonly status: 431 | 503 }

/** One request of the suite. */
export interface Case {
  /** Behaviour, read as `it(<name>)`. */
  readonly name: string
  readonly path?:
    | '/claims'
    | '/policy'
    | '/.well-known/oauth-protected-resource/mcp'
    | '/.well-known/oauth-protected-resource'
  /** Default `GET`. */
  readonly method?: 'GET' | 'HEAD' | 'OPTIONS'
  readonly query?: string
  /** The `Host` field line(s) to send instead of the server's address. */
  readonly host?: string | readonly string[]
  /** An `X-Forwarded-Host` to send (spoofed: the conformance gates trust no proxy). */
  readonly forwardedHost?: string
  /** The `Authorization` field lines to send (several for duplicates). */
  readonly authorization?: (issuer: TestIssuer) => Promise<string | readonly string[]>
  readonly expect: Expected
}

/** A gate configuration and the cases run against it. */
export interface Scenario {
  readonly name: string
  readonly optional?: boolean
  readonly gatePolicy?: { readonly environment: readonly string[] }
  readonly outage?: boolean
  /** The gate is the protected resource {@link CONFORMANCE_RESOURCE} (RFC 9728). */
  readonly protectedResource?: boolean
  /** Scopes the route policy of `/policy` requires besides the project. Default none. */
  readonly routeScopes?: readonly string[]
  readonly cases: readonly Case[]
}

/** The resource of the protected-resource scenario, and its authorization server. */
export const CONFORMANCE_RESOURCE = {
  resource: 'https://mcp.example.test/mcp',
  authorizationServers: ['https://as.example.test'],
  scopesSupported: ['files:read', 'files:write'],
  resourceName: 'conformance',
} as const

/** Where the metadata of {@link CONFORMANCE_RESOURCE} is served: path-inserted (RFC 9728 §3.1) and at the root. */
const METADATA_PATH = '/.well-known/oauth-protected-resource/mcp'
const ROOT_METADATA_PATH = '/.well-known/oauth-protected-resource'

const bearer = (claims?: Record<string, unknown>, options?: Parameters<TestIssuer['mint']>[1]) => {
  return async (issuer: TestIssuer) => `Bearer ${await issuer.mint(claims, options)}`
}
const raw = (value: string | readonly string[]) => async () => value

/** Flips bits in the middle of the signature, keeping the base64url alphabet (`A` is 0, `B` is 1). */
async function forged(issuer: TestIssuer): Promise<string> {
  const token = await issuer.mint()
  const at = token.lastIndexOf('.') + 20
  return `Bearer ${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
}

const unauthorized = { status: 401, challenge: 'bare' } as const
const invalidRequest = { status: 400, challenge: 'invalid_request' } as const
const invalidToken = { status: 401, challenge: 'invalid_token' } as const
const forbidden = { status: 403, challenge: 'insufficient_scope' } as const
const ok = { status: 200, auth: 'web' } as const
const metadata = { status: 200, metadata: 'document' } as const

/** Every scenario of the suite. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'required authentication',
    cases: [
      { name: 'answers 401 with a bare challenge without Authorization', expect: unauthorized },
      {
        name: 'answers 401 with a bare challenge for another scheme (Basic)',
        authorization: raw('Basic dXNlcjpwYXNz'),
        expect: unauthorized,
      },
      {
        name: 'answers 400 invalid_request for "Bearer" without a token',
        authorization: raw('Bearer'),
        expect: invalidRequest,
      },
      {
        name: 'answers 400 invalid_request for a tab between scheme and token',
        authorization: async (issuer) => `Bearer\t${await issuer.mint()}`,
        expect: invalidRequest,
      },
      {
        name: 'answers 400 invalid_request for trailing garbage after the token',
        authorization: async (issuer) => `Bearer ${await issuer.mint()} garbage`,
        expect: invalidRequest,
      },
      {
        name: 'answers 400 invalid_request for two Authorization field lines',
        authorization: async (issuer) => [`Bearer ${await issuer.mint()}`, `Bearer ${await issuer.mint()}`],
        expect: invalidRequest,
      },
      {
        name: 'answers 400 invalid_request for a token in both the header and the query',
        authorization: bearer(),
        query: 'access_token=abc',
        expect: invalidRequest,
      },
      {
        name: 'answers 401 with a bare challenge for a token in the query only',
        query: 'access_token=abc',
        expect: unauthorized,
      },
      {
        name: 'answers 400 invalid_request for a Host with userinfo',
        authorization: bearer(),
        host: 'user@127.0.0.1',
        expect: invalidRequest,
      },
      {
        name: 'answers 400 invalid_request for a Host with a path',
        authorization: bearer(),
        host: '127.0.0.1/admin',
        expect: invalidRequest,
      },
      {
        name: 'answers 400 invalid_request for a Host with a port beyond 65535',
        authorization: bearer(),
        host: '127.0.0.1:70000',
        expect: invalidRequest,
      },
      {
        name: 'answers 400 invalid_request for two Host field lines',
        authorization: bearer(),
        host: ['127.0.0.1', 'example.com'],
        expect: invalidRequest,
      },
      {
        name: 'answers 200 whatever X-Forwarded-Host says when no proxy is trusted',
        authorization: bearer(),
        forwardedHost: 'attacker.example',
        expect: ok,
      },
      {
        name: 'answers 401 invalid_token for a token over the size cap (8 KiB)',
        authorization: raw(`Bearer ${'a'.repeat(9000)}`),
        expect: invalidToken,
      },
      {
        name: "answers 431 (Node's header limit) for a 20 KiB Authorization, never 500",
        authorization: raw(`Bearer ${'a'.repeat(20_000)}`),
        expect: { status: 431 },
      },
      {
        name: 'answers 401 invalid_token for a value that is not a JWT',
        authorization: raw('Bearer a.b.c'),
        expect: invalidToken,
      },
      {
        name: 'answers 401 invalid_token for an expired token',
        authorization: bearer({}, { expired: true }),
        expect: invalidToken,
      },
      {
        name: 'answers 401 invalid_token for another issuer (team prefix)',
        authorization: async (issuer) => `Bearer ${await issuer.mint({ iss: `${issuer.issuer}-evil` })}`,
        expect: invalidToken,
      },
      {
        name: 'answers 401 invalid_token for another audience',
        authorization: bearer({ aud: 'https://vercel.com/other' }),
        expect: invalidToken,
      },
      {
        name: 'answers 401 invalid_token for a bit-flipped signature',
        authorization: forged,
        expect: invalidToken,
      },
      {
        name: 'answers 401 invalid_token for an unknown kid',
        authorization: bearer({}, { header: { kid: `mrk-${'0'.repeat(32)}` } }),
        expect: invalidToken,
      },
      { name: 'answers 200 with the verified claims for a valid token', authorization: bearer(), expect: ok },
      {
        name: 'accepts a lowercase scheme and several spaces',
        authorization: async (issuer) => `bearer   ${await issuer.mint()}`,
        expect: ok,
      },
      {
        name: 'answers 200 on a route whose policy admits the token',
        path: '/policy',
        authorization: bearer(),
        expect: ok,
      },
      {
        name: 'answers 403 insufficient_scope on a route whose policy refuses the token',
        path: '/policy',
        authorization: bearer({ project: 'api' }),
        expect: forbidden,
      },
    ],
  },
  {
    name: 'gate-wide policy',
    gatePolicy: { environment: ['production'] },
    cases: [
      { name: 'answers 200 when the gate policy admits the token', authorization: bearer(), expect: ok },
      {
        name: 'answers 403 insufficient_scope when the gate policy refuses the token',
        authorization: bearer({ environment: 'preview' }),
        expect: forbidden,
      },
      {
        name: 'answers 403 when the gate policy admits and the route policy refuses',
        path: '/policy',
        authorization: bearer({ project: 'api' }),
        expect: forbidden,
      },
    ],
  },
  {
    name: 'optional authentication',
    optional: true,
    cases: [
      {
        name: 'answers 200 without auth when there are no credentials',
        expect: { status: 200, auth: 'none' },
      },
      {
        name: 'answers 200 without auth for another scheme',
        authorization: raw('Basic dXNlcjpwYXNz'),
        expect: { status: 200, auth: 'none' },
      },
      { name: 'answers 200 with the claims for a valid token', authorization: bearer(), expect: ok },
      {
        name: 'answers 401 invalid_token for bad credentials',
        authorization: bearer({}, { expired: true }),
        expect: invalidToken,
      },
      {
        name: 'answers 400 invalid_request for malformed credentials',
        authorization: raw('Bearer'),
        expect: invalidRequest,
      },
      { name: 'answers 401 on a policy route without credentials', path: '/policy', expect: unauthorized },
      {
        name: 'answers 200 on a policy route with an admitted token',
        path: '/policy',
        authorization: bearer(),
        expect: ok,
      },
    ],
  },
  {
    name: 'protected resource (RFC 9728)',
    protectedResource: true,
    routeScopes: ['files:read', 'files:write'],
    cases: [
      {
        name: 'answers GET of the path-inserted metadata URL with the document, without credentials',
        path: METADATA_PATH,
        expect: metadata,
      },
      {
        name: 'answers GET of the root metadata URL with the document',
        path: ROOT_METADATA_PATH,
        query: 'x=1',
        expect: metadata,
      },
      {
        name: 'answers the metadata whatever credentials come with the request',
        path: METADATA_PATH,
        authorization: raw('Bearer a.b.c'),
        expect: metadata,
      },
      {
        name: 'answers HEAD of the metadata without a body',
        path: METADATA_PATH,
        method: 'HEAD',
        expect: { status: 200, metadata: 'head' },
      },
      {
        name: 'answers the CORS preflight of the metadata',
        path: METADATA_PATH,
        method: 'OPTIONS',
        expect: { status: 200, metadata: 'preflight' },
      },
      {
        name: 'answers 401 with resource_metadata in the bare challenge without Authorization',
        expect: unauthorized,
      },
      {
        name: 'answers 401 invalid_token with resource_metadata for an expired token',
        authorization: bearer({}, { expired: true }),
        expect: invalidToken,
      },
      {
        name: 'answers 403 naming every scope of the route, with resource_metadata, for a missing scope',
        path: '/policy',
        authorization: bearer({ scope: 'files:read' }),
        expect: forbidden,
      },
      {
        name: 'answers 200 on the route when the token has every scope',
        path: '/policy',
        authorization: bearer({ scope: 'files:write files:read' }),
        expect: ok,
      },
    ],
  },
  {
    name: 'JWKS outage with no cached key',
    outage: true,
    cases: [
      {
        name: 'answers 503 with Retry-After for a valid token',
        authorization: bearer(),
        expect: { status: 503 },
      },
      { name: 'still answers 401 with a bare challenge without credentials', expect: unauthorized },
    ],
  },
]

/** Number of cases of the suite, per adapter. */
export const CONFORMANCE_CASE_COUNT = SCENARIOS.reduce((n, s) => n + s.cases.length, 0) + 1
