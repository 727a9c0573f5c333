import type { Context } from 'hono';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { openTelemetry } from '@job-status/hono/opentelemetry';

/**
 * The OpenTelemetry metrics SDK with the Prometheus exporter, as an app that is scraped
 * by Prometheus registers it: `telemetry` goes to `createJobStatus`, and `serve` answers
 * `GET /metrics` in Prometheus' text format (`curl localhost:3000/metrics`). The exporter
 * does not start its own HTTP server: the app's route serves what it collects.
 *
 * The provider is the app's own rather than the global one, so several demo apps in one
 * test process each count their own jobs.
 */
export function prometheusMetrics() {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  const serializer = new PrometheusSerializer();
  return {
    telemetry: openTelemetry({ meterProvider }),
    async serve(c: Context) {
      const { resourceMetrics, errors } = await exporter.collect();
      if (errors.length) console.error(JSON.stringify({ level: 'error', msg: 'metrics: collection errors', errors: errors.map(String) }));
      c.header('Cache-Control', 'no-store');
      return c.text(serializer.serialize(resourceMetrics), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
    },
    shutdown: () => meterProvider.shutdown(),
  };
}
