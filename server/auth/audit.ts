/** 全过程留痕: append an audit record (who, what, target, from where, result). */
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';

export interface AuditEntry {
  action: string;
  target?: string | null;
  result: 'ok' | 'refused' | 'failed';
  details?: Record<string, unknown> | null;
}

export async function recordAudit(db: Kysely<Schema>, request: FastifyRequest | null, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit')
    .values({
      actor: request?.principal?.name ?? 'system',
      role: request?.principal?.role ?? null,
      action: entry.action,
      target: entry.target ?? null,
      ip: request?.ip ?? null,
      result: entry.result,
      details: entry.details ? JSON.stringify(entry.details) : null,
    })
    .execute();
}
