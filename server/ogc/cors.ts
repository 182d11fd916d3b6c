/**
 * CORS for the 国土空间规划"一张图" system and other browser clients: on only when
 * CORS_ORIGINS is set ('*' or a list). Wrapped with fastify-plugin so the hooks apply to every
 * route (/ogc, /tiles, /api), not only to routes registered inside this plugin.
 */
import cors from '@fastify/cors';
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';

export const corsPlugin = fp(async (app: FastifyInstance) => {
  const origins = app.config.corsOrigins;
  if (origins.length === 0) return;
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : [...origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    // If-Match: optimistic locking of PUT/PATCH/DELETE (a preflight without it refuses those edits)
    allowedHeaders: ['Authorization', 'Content-Type', 'Content-Crs', 'If-None-Match', 'If-Match'],
    // Clients read these to place features (Content-Crs), find created items, revalidate tiles and
    // lock edits (ETag), page versions (Link), wait out a rate limit (Retry-After) and see what a
    // generalised tile left out (X-Tile-Generalised, X-Tile-Merged).
    exposedHeaders: ['Content-Crs', 'Location', 'ETag', 'Link', 'Retry-After', 'X-Tile-Engine', 'X-Tile-Cache', 'X-Tile-Generalised', 'X-Tile-Merged'],
    maxAge: 600,
    // a plain OPTIONS (no Origin, no Access-Control-Request-Method) is answered 204, not a bare
    // text/plain 400 "Invalid Preflight Request" (found by an OGC review)
    strictPreflight: false,
  });
}, { name: 'ogc-cors' });
