/** Absolute links for OGC/TileJSON documents: PUBLIC_URL when set, else from the request. */
import type { FastifyRequest } from 'fastify';

export function baseUrl(request: FastifyRequest, publicUrl: string | null): string {
  if (publicUrl) return publicUrl;
  const host = request.headers['x-forwarded-host'] ?? request.headers.host ?? '127.0.0.1';
  const proto = (request.headers['x-forwarded-proto'] as string | undefined)?.split(',')[0] ?? request.protocol;
  return `${proto}://${host}`;
}
