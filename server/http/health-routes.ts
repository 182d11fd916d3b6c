/** Liveness (the process answers) and readiness (the database answers). */
import type { FastifyInstance } from 'fastify';
import { UnavailableError } from '../errors.js';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { schema: { summary: 'Liveness', tags: ['health'] } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { summary: 'Readiness: the database is reachable', tags: ['health'] } }, async () => {
    try {
      await app.db.ping();
    } catch {
      throw new UnavailableError('数据库不可达 (database unreachable)');
    }
    return { status: 'ok', database: app.db.kind, mvt: app.db.capabilities.mvt };
  });
}
