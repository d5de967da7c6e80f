/**
 * The example API with its telemetry: pino log lines on stdout for every gate event, and the OpenTelemetry
 * metrics of ./telemetry.ts printed every 10 s by the SDK's console exporter (use an OTLP or Prometheus
 * exporter in production).
 */

import { serve } from '@hono/node-server'
import { createGate } from '@oidc-gate/core'
import { exampleConfig, onShutdown } from '@oidc-gate/example-support'
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { pino } from 'pino'
import { createApp } from './app.js'
import { logGateEvents } from './logging.js'
import { gateMetrics } from './telemetry.js'

const config = await exampleConfig(3006)
const logger = pino()
const meterProvider = new MeterProvider({
  readers: [
    new PeriodicExportingMetricReader({
      exporter: new ConsoleMetricExporter(),
      exportIntervalMillis: 10_000,
    }),
  ],
})
const metrics = gateMetrics(meterProvider.getMeter('oidc-gate'))
const log = logGateEvents(logger)
const gate = createGate({
  ...config.gate,
  onEvent(event) {
    log(event)
    metrics.onEvent(event)
  },
})

const server = serve({ fetch: createApp(gate), port: config.port, hostname: config.host }, (info) =>
  config.listening(info),
)

onShutdown(async () => {
  await new Promise((resolve) => server.close(resolve))
  gate.close()
  metrics.close()
  await meterProvider.shutdown()
  await config.close()
})
