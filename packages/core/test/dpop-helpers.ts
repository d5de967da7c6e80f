/**
 * Shared helpers of the DPoP tests: client key pairs, proofs for a fixed request, and assertions on the
 * HTTP form of DPoP refusals (RFC 9449 §7.1, §9).
 */

import { KeyObject } from 'node:crypto'
import { createDpopProof, type DpopProofOptions, dpopThumbprint } from '@oidc-gate/testing'
import { type GenerateKeyPairResult, generateKeyPair } from 'jose'
import { expect } from 'vitest'
import type { DpopProofRequest, GateError } from '../src/index.js'
import { rejection } from './helpers.js'

/** The clock of every DPoP test, ms since the epoch. */
export const NOW_MS = 1_800_000_000_000
/** {@link NOW_MS} in seconds, for `iat`. */
export const NOW = NOW_MS / 1000
/** The request every proof is made for. */
export const URL = 'https://api.example.com/orders/42'
/** An access token as sent after `DPoP ` (only its SHA-256 matters to the proof). */
export const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl'

/** A DPoP client: its key pair and the thumbprint tokens bound to it carry in `cnf.jkt`. */
export interface DpopClient {
  readonly key: GenerateKeyPairResult
  readonly jkt: string
  /** The private key as a node:crypto `KeyObject`, to sign hand-made proofs. */
  readonly privateKey: KeyObject
}

/** A fresh client key pair (real keys from jose's `generateKeyPair`). */
export async function dpopClient(
  alg: 'ES256' | 'EdDSA' | 'RS256' | 'PS256' | 'ES384' = 'ES256',
): Promise<DpopClient> {
  const key = await generateKeyPair(alg, { extractable: true })
  return { key, jkt: await dpopThumbprint(key), privateKey: KeyObject.from(key.privateKey) }
}

/** A proof for `GET` {@link URL} with {@link TOKEN}, issued at {@link NOW}, with `overrides`. */
export function proof(client: DpopClient, overrides: Partial<DpopProofOptions> = {}): Promise<string> {
  return createDpopProof({
    key: client.key,
    htm: 'GET',
    htu: URL,
    accessToken: TOKEN,
    iat: NOW,
    ...overrides,
  })
}

/** The request a proof is checked against: `GET` {@link URL} with {@link TOKEN} bound to `client`. */
export function proofRequest(
  client: DpopClient,
  value: DpopProofRequest['proof'],
  overrides: Partial<DpopProofRequest> = {},
): DpopProofRequest {
  return { proof: value, method: 'GET', url: URL, accessToken: TOKEN, jkt: client.jkt, ...overrides }
}

/** Quoted RFC 6750 auth-param value. */
const QUOTED = '[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]*'

/**
 * 401 `invalid_dpop_proof` with `reason`, the error in the `DPoP` challenge with `algs`, and nothing of
 * the proof echoed.
 */
export async function expectInvalidProof(
  promise: Promise<unknown>,
  reason: string,
  secrets: readonly string[] = [],
): Promise<GateError> {
  const error = await rejection(promise)
  expect({ status: error.status, code: error.code, reason: error.reason, error: error.error }).toEqual({
    status: 401,
    code: 'ERR_INVALID_DPOP_PROOF',
    reason,
    error: 'invalid_dpop_proof',
  })
  expect(error.headers['www-authenticate']).toMatch(
    new RegExp(`^Bearer, DPoP error="invalid_dpop_proof", error_description="${QUOTED}", algs="${QUOTED}"$`),
  )
  for (const secret of secrets) expect(JSON.stringify([error.message, error.headers])).not.toContain(secret)
  return error
}
