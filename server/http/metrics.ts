/**
 * The process's Prometheus registry (/metrics): request count and latency per route and status,
 * Node's own process metrics; capability modules (tiles) add theirs to the same registry.
 */
import client from 'prom-client';
import type { FastifyInstance } from 'fastify';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

const requestSeconds = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP requests by method, route pattern and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [registry],
});

/** Records every response under its route pattern (never the raw URL: bounded label values). */
export async function requestMetrics(app: FastifyInstance): Promise<void> {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requestSeconds.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['health'] } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
