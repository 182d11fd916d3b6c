/**
 * Resolves `Authorization: Bearer …` to a principal on every request. A presented but unknown
 * or revoked token is a 401 (never silently anonymous); no header means anonymous.
 * The ADMIN_TOKEN from the environment is an admin without a database row.
 */
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { UnauthorizedError } from '../errors.js';
import { ANONYMOUS, type Principal } from './roles.js';
import { findTokenPrincipal, sameSecret } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/** the token of an `Authorization: Bearer <token>` header (any case and spacing, as RFC 6750 allows), else null */
export function bearerToken(header: string): string | null {
  return /^Bearer\s+(\S{1,512})$/i.exec(header)?.[1] ?? null;
}

export const authPlugin = fp(async (app: FastifyInstance, opts: { adminToken: string | null }) => {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    request.principal = ANONYMOUS;
    const header = request.headers.authorization;
    if (header === undefined) return;
    const secret = bearerToken(header);
    if (!secret) throw new UnauthorizedError('Authorization 头格式应为 "Bearer <token>" (malformed Authorization header)');
    if (opts.adminToken && sameSecret(secret, opts.adminToken)) {
      request.principal = { name: 'admin (ADMIN_TOKEN)', role: 'admin', tokenId: null };
      return;
    }
    const principal = await findTokenPrincipal(app.db.kysely, secret);
    if (!principal) throw new UnauthorizedError('令牌无效或已撤销 (invalid or revoked token)');
    request.principal = principal;
  });
});
