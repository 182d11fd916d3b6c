/**
 * Security headers and rate limiting, registered before authentication so that every answer —
 * refusals included — carries the headers, and a flood is cut before it costs a token lookup.
 *
 * Headers: helmet, with a CSP that lets the MapLibre viewer run from this origin alone: its
 * worker is a blob: URL (worker-src/child-src blob:), it sets inline styles on map elements,
 * draws images from data:/blob: URLs, and fetches style, TileJSON and tiles from 'self' (and from
 * PUBLIC_URL when links are built on it). No upgrade-insecure-requests (plain-HTTP intranet
 * deployments must keep working); HSTS only when PUBLIC_URL is https. Cross-Origin-Resource-Policy
 * is cross-origin because the API and tiles serve the 一张图 system on other origins (CORS).
 *
 * Rate limit (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW_MS; 0 = off, the default): keyed by the token
 * once it has authenticated (a hash of the Authorization header, never the secret), otherwise by
 * the client address;
 * health and metrics probes are exempt. A 429 is the project's error JSON with Retry-After.
 * The counter is per process: N instances allow N × the limit (see README).
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bearerToken } from '../auth/auth-plugin.js';
import { AppError } from '../errors.js';

const EXEMPT = new Set(['/healthz', '/readyz', '/metrics']);

/** The viewer's Content-Security-Policy directives; `extraOrigin` is PUBLIC_URL's origin, if any. */
export function cspDirectives(extraOrigin: string | null): Record<string, string[]> {
  const self = extraOrigin ? ["'self'", extraOrigin] : ["'self'"];
  return {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'worker-src': ["'self'", 'blob:'],
    'child-src': ["'self'", 'blob:'],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': [...self, 'data:', 'blob:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': self,
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'self'"],
  };
}

/**
 * helmet's headers for these options, computed once. With no nonces they are the same on every
 * response; @fastify/helmet (used before) rebuilt helmet's middleware — re-parsing the CSP — on
 * every request, about 0.08 ms of each (a tenth of an uncached z14 tile, bench/tiles.ts).
 */
export function securityHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let failed: unknown;
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => void (failed = err));
  if (failed) throw failed;
  return headers;
}

/**
 * the credential an Authorization header presents, hashed: the token itself when it is a Bearer
 * header however spelt (the auth hook accepts any case and spacing), so spellings share one budget
 */
const credentialHash = (authorization: string) => {
  const token = bearerToken(authorization);
  return crypto.createHash('sha256').update(token ? `bearer:${token}` : authorization).digest('base64url').slice(0, 22);
};

/**
 * Credentials (hashed) that authenticated lately, most recent last: only these get a budget of
 * their own. Keying every presented Authorization header would give a flood of made-up tokens a
 * fresh budget per request (found by a review).
 */
export class VerifiedCredentials {
  private readonly hashes = new Set<string>();
  constructor(private readonly max = 10_000) {}
  add(authorization: string): void {
    const h = credentialHash(authorization);
    this.hashes.delete(h);
    this.hashes.add(h);
    if (this.hashes.size > this.max) this.hashes.delete(this.hashes.values().next().value!);
  }
  has(hash: string): boolean {
    return this.hashes.has(hash);
  }
  delete(authorization: string): void {
    this.hashes.delete(credentialHash(authorization));
  }
}

/**
 * rate-limit key: a credential that has authenticated (hashed; its budget follows it across
 * addresses), else the client address — so an unknown or made-up token spends its address's budget
 */
export function rateLimitKey(request: FastifyRequest, verified: VerifiedCredentials): string {
  const auth = request.headers.authorization;
  if (auth) {
    const h = credentialHash(auth);
    if (verified.has(h)) return `token:${h}`;
  }
  return `ip:${request.ip}`;
}

export const securityPlugin = fp(
  async (app: FastifyInstance) => {
    const { publicUrl, rateLimit: limit } = app.config;
    const headers = securityHeaders({
      contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(publicUrl ? new URL(publicUrl).origin : null) },
      crossOriginResourcePolicy: { policy: 'cross-origin' },
      crossOriginEmbedderPolicy: false,
      strictTransportSecurity: publicUrl?.startsWith('https://') ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    });
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers);
      done();
    });

    if (limit.max === 0) return;
    const verified = new VerifiedCredentials();
    // after the response: the request's principal was resolved by the auth hook (registered after this plugin)
    app.addHook('onResponse', async (request, reply) => {
      const auth = request.headers.authorization;
      if (!auth) return;
      if (request.principal?.role) verified.add(auth);
      else if (reply.statusCode === 401) verified.delete(auth); // revoked: back to its address's budget
    });
    await app.register(rateLimit, {
      global: false, // applied below as one root onRequest hook, so it runs before authentication
      max: limit.max,
      timeWindow: limit.windowMs,
      keyGenerator: (request) => rateLimitKey(request, verified),
      allowList: (request) => EXEMPT.has(request.url.split('?')[0]),
      onExceeded: (request, key) => request.log.warn({ key: key.slice(0, 12) }, 'rate limit exceeded'),
      errorResponseBuilder: (_request, context) => {
        const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
        return new AppError(
          'too_many_requests',
          `请求过于频繁，请 ${seconds} 秒后重试 (too many requests: ${context.max} per ${limit.windowMs / 1000} s allowed; retry in ${seconds} s)`,
          { limit: 'rateLimit', max: context.max, windowMs: limit.windowMs, retryAfterSeconds: seconds },
        );
      },
    });
    app.addHook('onRequest', app.rateLimit());
  },
  { name: 'security' },
);
