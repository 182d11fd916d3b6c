/**
 * Liveness (the process answers) and readiness (the database answers, within READY_TIMEOUT_MS:
 * a database that hangs — connections accepted or open but never answered — makes /readyz a
 * prompt 503, not a probe that hangs until the load balancer's own timeout).
 */
import type { FastifyInstance } from 'fastify';
import { UnavailableError } from '../errors.js';

/** bounds the whole probe: waiting for a connection (or PGlite's mutex) and the query */
export const READY_TIMEOUT_MS = 3_000;

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['health'] } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Readiness: the database is reachable', tags: ['health'] } }, async (request) => {
    try {
      await within(READY_TIMEOUT_MS, app.db.ping());
    } catch (err) {
      request.log.warn({ err: (err as Error).message }, 'readiness probe failed');
      throw new UnavailableError('数据库不可达 (database unreachable)');
    }
    return { status: 'ok', database: app.db.kind, mvt: app.db.capabilities.mvt };
  });
}
