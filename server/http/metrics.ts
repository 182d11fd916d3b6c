/**
 * The process's Prometheus registry (/metrics): request count and latency per route and status,
 * database connection use (read at scrape time), Node's own process metrics; capability modules
 * (tiles) add theirs to the same registry.
 */
import client from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { Db, PoolStats } from '../db/connect.js';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

const requestSeconds = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP requests by method, route pattern and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [registry],
});

/**
 * The databases of the apps alive in this process (one in production; tests build several):
 * the gauges sum them at scrape time, and an app's database leaves the set when the app closes.
 */
const databases = new Map<Db, number>(); // → how many live apps use it

function poolGauge(name: string, help: string, field: keyof PoolStats): void {
  new client.Gauge({
    name,
    help,
    labelNames: ['database'],
    registers: [registry],
    collect() {
      this.reset();
      for (const db of databases.keys()) this.inc({ database: db.kind }, db.poolStats()[field]);
    },
  });
}
poolGauge('db_pool_connections', 'Database connections open (PGlite: its one in-process connection)', 'total');
poolGauge('db_pool_idle_connections', 'Database connections open and not in use', 'idle');
poolGauge('db_pool_waiting_clients', 'Queries waiting for a connection (PGlite: queued behind its mutex)', 'waiting');

/** Records every response under its route pattern (never the raw URL: bounded label values). */
export async function requestMetrics(app: FastifyInstance): Promise<void> {
  const db = app.db;
  databases.set(db, (databases.get(db) ?? 0) + 1);
  app.addHook('onClose', async () => {
    const users = (databases.get(db) ?? 1) - 1;
    if (users > 0) databases.set(db, users);
    else databases.delete(db);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requestSeconds.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['health'] } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
