/**
 * Roles are ordered: each includes the ones before it.
 * viewer (read; anonymous by default) < planner (checks) < editor (new layers, uploads, edits, restore) < admin (tokens, audit).
 * (The contract's roles line says admin for layers; its endpoint table says editor creates them: the table is followed.)
 */
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../errors.js';

export const ROLES = ['viewer', 'planner', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** token name, 'admin (ADMIN_TOKEN)' or 'anonymous' */
  name: string;
  role: Role | null;
  tokenId: string | null;
}

export const ANONYMOUS: Principal = Object.freeze({ name: 'anonymous', role: null, tokenId: null });

export function hasRole(principal: Principal, needed: Role): boolean {
  return principal.role !== null && ROLES.indexOf(principal.role) >= ROLES.indexOf(needed);
}

/** An onRequest hook (before body parsing and validation): 401 without a valid token, 403 when its role is below `needed`. */
export function requireRole(needed: Role) {
  return async (request: FastifyRequest): Promise<void> => {
    const principal = request.principal;
    if (principal.role === null) throw new UnauthorizedError();
    if (!hasRole(principal, needed)) throw new ForbiddenError();
  };
}
