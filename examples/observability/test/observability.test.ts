/**
 * The recipe of docs/observability.md, end to end: a real local issuer, the example API served over HTTP
 * on 127.0.0.1, OpenTelemetry metrics read back from an in-memory exporter, pino lines from a stream.
 */

import type { AddressInfo } from 'node:net'
import { type ServerType, serve } from '@hono/node-server'
import { createGate, type Gate, type VercelClaims, vercel } from '@oidc-gate/core'
import { createTestIssuer, type TestIssuer } from '@oidc-gate/testing'
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/app.js'
import { logGateEvents } from '../src/logging.js'
import { type GateMetrics, gateMetrics } from '../src/telemetry.js'

let issuer: TestIssuer
let gate: Gate<VercelClaims>
let server: ServerType
let url: string
let metrics: GateMetrics
let meterProvider: MeterProvider
const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
const lines: Record<string, unknown>[] = []
const tokens: string[] = []

beforeAll(async () => {
  issuer = await createTestIssuer({ team: 'acme' })
  meterProvider = new MeterProvider({ readers: [reader] })
  metrics = gateMetrics(meterProvider.getMeter('oidc-gate'))
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  const log = logGateEvents(logger)
  gate = createGate({
    issuers: [vercel({ team: 'acme', baseUrl: issuer.url })],
    onEvent(event) {
      log(event)
      metrics.onEvent(event)
    },
  })
  server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: createApp(gate), port: 0, hostname: '127.0.0.1' }, () => resolve(started))
  })
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const call = async (path: string, method: string, token?: string) => {
    if (token !== undefined) tokens.push(token)
    const headers = token === undefined ? {} : { authorization: `Bearer ${token}` }
    const response = await fetch(url + path, { method, headers })
    return response.status
  }
  // Two successes (one from the cache), an expired token, no token, a policy refusal, a deploy.
  const valid = await issuer.mint()
  expect(await call('/api/whoami', 'GET', valid)).toBe(200)
  expect(await call('/api/whoami', 'GET', valid)).toBe(200)
  expect(await call('/api/whoami', 'GET', await issuer.mint({}, { expired: true }))).toBe(401)
  expect(await call('/api/whoami', 'GET')).toBe(401)
  expect(await call('/api/deploy', 'POST', await issuer.mint({ environment: 'preview' }))).toBe(403)
  expect(await call('/api/deploy', 'POST', valid)).toBe(200)
  await reader.forceFlush()
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  gate.close()
  metrics.close()
  await meterProvider.shutdown()
  await issuer.close()
})

/** The data points of the metric `name` in the last export. */
function points<T>(name: string): DataPoint<T>[] {
  const exported = exporter.getMetrics().at(-1)
  const metric = exported?.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name)
  return (metric?.dataPoints ?? []) as DataPoint<T>[]
}

describe('OpenTelemetry metrics', () => {
  it('records oidc_gate.authentication.authenticate.duration in seconds by result and error.type', () => {
    const durations = points<Histogram>('oidc_gate.authentication.authenticate.duration')
    const count = (attributes: Record<string, string>) =>
      durations.find((p) => JSON.stringify(p.attributes) === JSON.stringify(attributes))?.value.count
    expect(count({ 'oidc_gate.authentication.result': 'success' })).toBe(3)
    expect(count({ 'oidc_gate.authentication.result': 'failure', 'error.type': 'ERR_INVALID_TOKEN' })).toBe(1)
    expect(
      count({ 'oidc_gate.authentication.result': 'failure', 'error.type': 'ERR_CREDENTIALS_MISSING' }),
    ).toBe(1)
    expect(
      count({ 'oidc_gate.authentication.result': 'failure', 'error.type': 'ERR_INSUFFICIENT_SCOPE' }),
    ).toBe(1)
    for (const point of durations) {
      expect(point.value.sum).toBeGreaterThan(0)
      // Seconds: even the first request, which fetched the keys, took far less than one.
      expect(point.value.max).toBeLessThan(1)
    }
  })

  it('counts oidc_gate.authorization.attempts by policy label and result', () => {
    const attempts = points<number>('oidc_gate.authorization.attempts')
    expect(attempts.map((p) => ({ ...p.attributes, value: p.value }))).toEqual([
      { 'oidc_gate.authorization.policy': 'deploy', 'oidc_gate.authorization.result': 'failure', value: 1 },
      { 'oidc_gate.authorization.policy': 'deploy', 'oidc_gate.authorization.result': 'success', value: 1 },
    ])
  })
})

describe('pino log lines', () => {
  it('logs each refusal with its reason, and a policy denial with its policy and failed rules', () => {
    const refused = lines.filter((l) => l.msg === 'request refused')
    expect(refused.map((l) => l.reason)).toEqual(['exp', 'missing', 'policy'])
    expect(refused[0]).toMatchObject({
      level: 30,
      component: 'oidc-gate',
      code: 'ERR_INVALID_TOKEN',
      status: 401,
    })
    const denied = lines.find((l) => l.msg === 'policy denied')
    expect(denied).toMatchObject({ policy: 'deploy', failures: [expect.stringContaining('environment')] })
  })

  it('never writes a token, nor any part of one', () => {
    const written = JSON.stringify(lines)
    expect(tokens.length).toBeGreaterThan(0)
    for (const token of tokens) {
      for (const part of token.split('.')) expect(written).not.toContain(part)
    }
  })
})
