/**
 * 全过程留痕: append an audit record (who, what, target, from where, result).
 *
 * recordAudit is the only code that writes the audit table; nothing updates or deletes it.
 * Each request that recorded its own entry is remembered, so the safety net in
 * audit-routes.ts (a row for every write request that did not record one itself — refusals
 * before the handler, future routes) never records the same request twice.
 */
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';

export interface AuditEntry {
  action: string;
  target?: string | null;
  result: 'ok' | 'refused' | 'failed';
  details?: Record<string, unknown> | null;
}

const audited = new WeakSet<object>();

/** true when recordAudit already ran for this request */
export function wasAudited(request: FastifyRequest): boolean {
  return audited.has(request);
}

export async function recordAudit(db: Kysely<Schema>, request: FastifyRequest | null, entry: AuditEntry): Promise<void> {
  if (request) audited.add(request);
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
