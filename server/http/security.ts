/**
 * Security headers (CSP that lets MapLibre's blob workers run) and per-token/IP rate limiting.
 * Placeholder slot registered by app.ts; filled in by the trust work (#8).
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

export const securityPlugin = fp(async (_app: FastifyInstance) => {});
