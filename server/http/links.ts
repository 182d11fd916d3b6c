/**
 * Absolute links for OGC/TileJSON documents: PUBLIC_URL when set, else from the request — its Host,
 * and X-Forwarded-Host/-Proto only when TRUST_PROXY says the proxy in front sets them (Fastify's
 * request.host/protocol). Taking X-Forwarded-* from any client let it point every link and a
 * Part 4 Location at another host (found by a review).
 */
import type { FastifyRequest } from 'fastify';

export function baseUrl(request: FastifyRequest, publicUrl: string | null): string {
  if (publicUrl) return publicUrl;
  return `${request.protocol}://${request.host || '127.0.0.1'}`;
}
