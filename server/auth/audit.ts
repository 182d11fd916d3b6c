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
  // only once the row exists: when it failed, the safety net (audit-routes.ts) tries its own
  if (request) audited.add(request);
}

/**
 * The audit row of a write that has already COMMITTED. Its failure (a dropped connection, a
 * full pool) must not turn the committed write into an error answer — the client would retry
 * and write it twice — so it is logged, and the safety net tries a row of its own.
 */
export async function recordCommittedAudit(db: Kysely<Schema>, request: FastifyRequest, entry: AuditEntry): Promise<void> {
  try {
    await recordAudit(db, request, entry);
  } catch (err) {
    request.log.error({ err, action: entry.action, target: entry.target }, 'audit record failed after a committed write');
  }
}
