/** Layer uploads (issue 5): POST /api/layers/{id}/uploads. Filled in by the uploads work. */
import type { FastifyInstance } from 'fastify';

export async function uploadRoutes(_app: FastifyInstance): Promise<void> {}
