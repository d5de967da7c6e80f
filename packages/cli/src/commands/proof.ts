/**
 * `oidc-gate proof`: prints a DPoP proof (RFC 9449) for one request, signed with a client key file, for
 * curl -H "Authorization: DPoP $TOKEN" -H "DPoP: $(oidc-gate proof …)".
 */
import { resolve } from 'node:path'
import { createDpopProof } from '@oidc-gate/testing'
import { parseCommandArgs } from '../args.js'
import type { Command } from '../command.js'
import { generateDpopKey, readDpopKey } from '../dpop-key.js'
import { UsageError } from '../errors.js'

const NAME = 'proof'

const HELP = `Usage: oidc-gate proof --key FILE --url URL [--method METHOD] [--token TOKEN] [--nonce NONCE]
       oidc-gate proof --key FILE --generate

Prints a DPoP proof JWT (RFC 9449) for one request: typ dpop+jwt, the public key in the jwk header, and
the claims jti (random), htm, htu (the URL without query and fragment), iat (now), ath (the SHA-256 of
the token) and nonce. A proof is accepted once: make a new one for every request.

The key file holds the client's private key as a JWK (EC P-256, Ed25519 or RSA). Bind a token to it with
"oidc-gate mint --dpop FILE" (cnf.jkt is the key's RFC 7638 thumbprint).

Options:
  --key FILE        The client's private JWK. Required.
  --generate        Write a new ES256 key to FILE (mode 0600) and print its thumbprint; FILE must not exist.
  --url URL         The request URL, as the API sees it (behind a proxy: its public URL). Required.
  --method METHOD   The request method, case-sensitive. Default GET.
  --token TOKEN     The access token sent with the proof (sets ath).
  --nonce NONCE     The server's nonce, from a DPoP-Nonce header.
  -h, --help        Show this help.

Examples:
  oidc-gate proof --key .oidc-gate/dpop-key.json --generate
  TOKEN=$(oidc-gate mint --keys .oidc-gate/keys.json --dpop .oidc-gate/dpop-key.json)
  curl -H "Authorization: DPoP $TOKEN" \\
       -H "DPoP: $(oidc-gate proof --key .oidc-gate/dpop-key.json --url http://127.0.0.1:3001/api/whoami --token "$TOKEN")" \\
       http://127.0.0.1:3001/api/whoami
`

/** `oidc-gate proof`. */
export const proof: Command = {
  name: NAME,
  summary: 'print a DPoP proof for one request, signed with a client key file',
  help: HELP,
  async run(args, io) {
    const { values } = parseCommandArgs(NAME, {
      args,
      allowPositionals: false,
      options: {
        key: { type: 'string' },
        generate: { type: 'boolean' },
        url: { type: 'string' },
        method: { type: 'string' },
        token: { type: 'string' },
        nonce: { type: 'string' },
      },
    })
    if (values.key === undefined) throw new UsageError('--key FILE is required', NAME)
    const path = resolve(values.key)
    if (values.generate === true) {
      await generateDpopKey(NAME, path)
      io.stdout.write(`${(await readDpopKey(NAME, path)).jkt}\n`)
      return 0
    }
    if (values.url === undefined) throw new UsageError('--url URL is required', NAME)
    if (!/^https?:\/\/[^\s]+$/i.test(values.url)) throw new UsageError('--url must be an http(s) URL', NAME)
    const method = values.method ?? 'GET'
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method))
      throw new UsageError('--method must be an HTTP method', NAME)
    const key = await readDpopKey(NAME, path)
    const jwt = await createDpopProof({
      key: key.pair,
      alg: key.alg,
      htm: method,
      htu: values.url,
      ...(values.token === undefined ? {} : { accessToken: values.token }),
      ...(values.nonce === undefined ? {} : { nonce: values.nonce }),
    })
    io.stdout.write(`${jwt}\n`)
    return 0
  },
}
