/** /api/tokens (admin): mint (secret shown once), list (no secrets), revoke. */
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../errors.js';
import { recordCommittedAudit } from './audit.js';
import { ROLES, requireRole, type Role } from './roles.js';
import { mintToken } from './tokens.js';

export async function tokenRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app;
  // onRequest: authorisation before body validation, so a non-admin learns nothing about the schema.
  const admin = { onRequest: requireRole('admin') };

  app.post<{ Body: { name: string; role: Role } }>(
    '/api/tokens',
    {
      ...admin,
      schema: {
        summary: 'Mint a token (admin); the secret is in this response only',
        tags: ['auth'],
        body: {
          type: 'object',
          required: ['name', 'role'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, role: { type: 'string', enum: [...ROLES] } },
        },
      },
    },
    async (request, reply) => {
      const { name, role } = request.body;
      const { id, secret } = await mintToken(db.kysely, name, role, request.principal.name);
      await recordCommittedAudit(db.kysely, request, { action: 'token.create', target: `token:${id}`, result: 'ok', details: { name, role } });
      reply.status(201);
      return { id, name, role, token: secret };
    },
  );

  // Who the presented token is: the viewer shows or hides its controls by this. It asked each gated
  // route with an invalid request instead, and every such probe wrote a refused write to the audit
  // trail (found by a walkthrough). An unknown or revoked token is a 401 here, as on every route.
  app.get('/api/me', { schema: { summary: 'The caller: token name and role (anonymous: role null)', tags: ['auth'] } }, async (request) => {
    const { name, role } = request.principal;
    return { name, role, roles: role === null ? [] : ROLES.slice(0, ROLES.indexOf(role) + 1) };
  });

  app.get('/api/tokens', { ...admin, schema: { summary: 'List tokens (no secrets)', tags: ['auth'] } }, async () => {
    const rows = await db.kysely
      .selectFrom('tokens')
      .select(['id', 'name', 'role', 'created_at', 'created_by', 'revoked_at', 'last_used_at'])
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: String(r.id),
      name: r.name,
      role: r.role,
      createdAt: new Date(r.created_at).toISOString(),
      createdBy: r.created_by,
      revokedAt: r.revoked_at && new Date(r.revoked_at).toISOString(),
      lastUsedAt: r.last_used_at && new Date(r.last_used_at).toISOString(),
    }));
  });

  app.delete<{ Params: { id: string } }>(
    '/api/tokens/:id',
    { ...admin, schema: { summary: 'Revoke a token', tags: ['auth'], params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]{1,18}$' } } } } },
    async (request, reply) => {
      const res = await db.kysely
        .updateTable('tokens')
        .set({ revoked_at: new Date() })
        .where('id', '=', request.params.id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (!res.numUpdatedRows) throw new NotFoundError(`令牌不存在或已撤销 (no active token ${request.params.id})`, { token: request.params.id });
      await recordCommittedAudit(db.kysely, request, { action: 'token.revoke', target: `token:${request.params.id}`, result: 'ok' });
      reply.status(204);
    },
  );
}
