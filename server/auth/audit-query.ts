/**
 * Reading the audit trail: query-string parsing (a 400 names the parameter) and one keyset-paged
 * query, newest first. The cursor is the id of the last entry of the previous page, so rows
 * recorded while a client pages never shift or repeat entries the way an offset would.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { AuditTable, Schema } from '../db/schema.js';
import { BadRequestError } from '../errors.js';
import { isRfc3339Date, isRfc3339Timestamp } from '../rfc3339.js';

export const AUDIT_RESULTS = ['ok', 'refused', 'failed'] as const;
export const AUDIT_LIMIT_DEFAULT = 100;
export const AUDIT_LIMIT_MAX = 1000;
const PARAMETERS = ['actor', 'action', 'target', 'result', 'from', 'to', 'limit', 'cursor'] as const;

export interface AuditFilter {
  actor?: string;
  /** exact action, or a prefix when the parameter ended in `*` (`layer.*`) */
  action?: { value: string; prefix: boolean };
  target?: string;
  result?: (typeof AUDIT_RESULTS)[number];
  /** inclusive */
  from?: Date;
  /** exclusive */
  to?: Date;
  limit: number;
  /** entries with an id below this one */
  cursor?: string;
}

/** an audit row as the API shows it: the stored row, with the time as RFC 3339 text */
export type AuditEntryOut = Omit<Selectable<AuditTable>, 'at' | 'details'> & { at: string; details: Record<string, unknown> | null };

const bad = (parameter: string, message: string) => new BadRequestError(`参数 ${parameter} 无效 (invalid parameter "${parameter}": ${message})`, { parameter });

// RFC 3339 date-time with an offset (lower-case t/z and a space separator allowed, as RFC 3339
// permits), or a calendar date, taken as 00:00 Beijing time (UTC+08:00).
function parseInstant(parameter: string, raw: string): Date {
  const normalised = raw.replace(/^(\d{4}-\d{2}-\d{2})[t ]/, '$1T').replace(/z$/, 'Z');
  const text = isRfc3339Date(normalised) ? `${normalised}T00:00:00+08:00` : normalised;
  if (!isRfc3339Timestamp(text)) throw bad(parameter, `应为 RFC 3339 时间，如 2024-05-01T08:00:00+08:00，或日期 2024-05-01 (expected an RFC 3339 date-time with offset or a date), got "${raw.slice(0, 60)}"`);
  return new Date(Date.parse(text));
}

function text(parameter: string, raw: string): string {
  if (raw.length === 0 || raw.length > 500) throw bad(parameter, '长度应为 1–500 (length must be 1–500)');
  return raw;
}

export function parseAuditQuery(query: Record<string, unknown>): AuditFilter {
  for (const [name, value] of Object.entries(query)) {
    if (!(PARAMETERS as readonly string[]).includes(name)) throw bad(name, `未知参数，可用 ${PARAMETERS.join(', ')} (unknown parameter)`);
    if (typeof value !== 'string') throw bad(name, '只能出现一次 (must appear once)');
  }
  const q = query as Record<string, string | undefined>;
  const filter: AuditFilter = { limit: AUDIT_LIMIT_DEFAULT };
  if (q.actor !== undefined) filter.actor = text('actor', q.actor);
  if (q.target !== undefined) filter.target = text('target', q.target);
  if (q.action !== undefined) {
    const a = text('action', q.action);
    filter.action = a.endsWith('*') ? { value: a.slice(0, -1), prefix: true } : { value: a, prefix: false };
  }
  if (q.result !== undefined) {
    if (!(AUDIT_RESULTS as readonly string[]).includes(q.result)) throw bad('result', `应为 ${AUDIT_RESULTS.join(' | ')} (expected one of ${AUDIT_RESULTS.join(', ')})`);
    filter.result = q.result as AuditFilter['result'];
  }
  if (q.from !== undefined) filter.from = parseInstant('from', q.from);
  if (q.to !== undefined) filter.to = parseInstant('to', q.to);
  if (filter.from && filter.to && filter.from > filter.to) throw bad('from', 'from 不能晚于 to (from is after to)');
  if (q.limit !== undefined) {
    if (!/^\d{1,7}$/.test(q.limit) || Number(q.limit) < 1 || Number(q.limit) > AUDIT_LIMIT_MAX) {
      throw bad('limit', `应为 1–${AUDIT_LIMIT_MAX} 的整数 (an integer 1–${AUDIT_LIMIT_MAX})`);
    }
    filter.limit = Number(q.limit);
  }
  if (q.cursor !== undefined) {
    if (!/^[1-9]\d{0,17}$/.test(q.cursor)) throw bad('cursor', '应为上一页 next 链接中的值 (use the value from the previous page’s next link)');
    filter.cursor = q.cursor;
  }
  return filter;
}

/** One page, newest first, and the cursor of the next page (null on the last page). */
export async function queryAudit(db: Kysely<Schema>, f: AuditFilter): Promise<{ entries: AuditEntryOut[]; nextCursor: string | null }> {
  let q = db.selectFrom('audit').select(['id', 'at', 'actor', 'role', 'action', 'target', 'ip', 'result', 'details']);
  if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
  if (f.target !== undefined) q = q.where('target', '=', f.target);
  if (f.action) q = f.action.prefix ? q.where(sql<boolean>`starts_with(action, ${f.action.value})`) : q.where('action', '=', f.action.value);
  if (f.result !== undefined) q = q.where('result', '=', f.result);
  if (f.from) q = q.where('at', '>=', f.from);
  if (f.to) q = q.where('at', '<', f.to);
  if (f.cursor) q = q.where('id', '<', f.cursor);
  const rows = await q.orderBy('id', 'desc').limit(f.limit + 1).execute();
  const page = rows.slice(0, f.limit);
  return {
    entries: page.map(toAuditEntry),
    nextCursor: rows.length > f.limit ? String(page[page.length - 1].id) : null,
  };
}

function toAuditEntry(r: Selectable<AuditTable>): AuditEntryOut {
  const details = (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as Record<string, unknown> | null;
  return { ...r, id: String(r.id), at: new Date(r.at).toISOString(), details };
}
