/** Layer history (issue 5): POST /api/layers, diff, restore. Filled in by the uploads work. */
import type { FastifyInstance } from 'fastify';

export async function historyRoutes(_app: FastifyInstance): Promise<void> {}
