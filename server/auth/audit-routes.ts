/** GET /api/audit (admin, filterable, paged). Placeholder slot registered by app.ts (#8). */
import type { FastifyInstance } from 'fastify';

export async function auditRoutes(_app: FastifyInstance): Promise<void> {}
