/**
 * GET /api/audit (admin): the audit trail, filterable by actor, action, target, result and time,
 * newest first, keyset-paged with a `next` link. Read-only: no route writes, edits or deletes
 * audit rows (recordAudit in audit.ts is the only writer).
 *
 * Also the safety net of 全过程留痕: every write request (POST/PUT/PATCH/DELETE on a route)
 * that did not record its own entry — refused before its handler ran (401/403/400/413) or from
 * a route that forgot — gets a generic `http.write` row with its status before the response
 * leaves. 429s (a flood must not become a flood of inserts) and 503s (the database is away; the
 * answer must stay fast) are not recorded, and 401s at most once per client address, method and
 * route a minute (RefusalThrottle).
 */
import fp from 'fastify-plugin';
import client from 'prom-client';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { baseUrl } from '../http/links.js';
import { registry } from '../http/metrics.js';
import { recordAudit, wasAudited } from './audit.js';
import { AUDIT_LIMIT_DEFAULT, AUDIT_LIMIT_MAX, AUDIT_RESULTS, parseAuditQuery, queryAudit } from './audit-query.js';
import { requireRole } from './roles.js';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const NOT_RECORDED = new Set([429, 503]);

const suppressed = new client.Counter({
  name: 'audit_refused_writes_suppressed_total',
  help: 'Writes refused for want of a valid token (401) not recorded in the audit trail: one row per client address, method and route a minute',
  registers: [registry],
});

/**
 * Writes refused for want of a valid token (401) come from anyone, and the rate limit is off by
 * default: one audit row per client address, method and route a minute (up to 100,000 of them
 * remembered a minute, 6–10 MB), the rest counted in /metrics (found by a security review: an anonymous flood grew the audit table without bound).
 * A 403 comes from a token's holder and is always recorded.
 */
export class RefusalThrottle {
  private minute = -1;
  private readonly seen = new Set<string>();
  constructor(private readonly maxKeys = 100_000) {}
  /**
   * true: record this refusal. A key not seen this minute is always recorded — once the set is
   * full it is recorded without being remembered — so a first attempt from a new address is never
   * lost (found by a review: a full set suppressed everyone's).
   */
  take(key: string, now = Date.now()): boolean {
    const minute = Math.floor(now / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.seen.clear();
    }
    if (this.seen.has(key)) return false;
    if (this.seen.size < this.maxKeys) this.seen.add(key);
    return true;
  }
}

const str = (description: string) => ({ type: 'string', description });

export const auditRoutes = fp(
  async (app: FastifyInstance) => {
    const { db, config } = app;

    app.get(
      '/api/audit',
      {
        // Authorisation before anything else: a non-admin learns nothing about the parameters.
        onRequest: requireRole('admin'),
        schema: {
          summary: '审计记录（管理员；可筛选、分页） Audit trail (admin; filterable, paged, newest first)',
          tags: ['auth'],
          querystring: {
            type: 'object',
            properties: {
              actor: str('令牌名称 (token name, exact)'),
              action: str('操作，如 layer.upload；以 * 结尾为前缀匹配 (action, exact; a trailing * matches a prefix)'),
              target: str('对象 (target, exact)'),
              result: { type: 'string', enum: [...AUDIT_RESULTS] },
              from: str('起始时间（含），RFC 3339 或日期（北京时间 00:00） (inclusive)'),
              to: str('截止时间（不含） (exclusive)'),
              limit: str(`1–${AUDIT_LIMIT_MAX}, default ${AUDIT_LIMIT_DEFAULT}`),
              cursor: str('下一页游标，取自 next 链接 (from the next link)'),
            },
          },
        },
        // The parser names the bad parameter itself; keep Fastify's validator out of the way.
        validatorCompiler: () => () => true,
      },
      async (request) => {
        const query = request.query as Record<string, unknown>;
        const filter = parseAuditQuery(query);
        const { entries, nextCursor } = await queryAudit(db.kysely, filter);
        const self = `${baseUrl(request, config.publicUrl)}/api/audit`;
        const params = new URLSearchParams(Object.entries(query).filter(([k]) => k !== 'cursor') as [string, string][]);
        const next = nextCursor === null ? null : `${self}?${new URLSearchParams([...params, ['cursor', nextCursor]])}`;
        const qs = new URLSearchParams(query as Record<string, string>).toString();
        return {
          entries,
          numberReturned: entries.length,
          next,
          links: [{ rel: 'self', href: qs ? `${self}?${qs}` : self }, ...(next ? [{ rel: 'next', href: next }] : [])],
        };
      },
    );

    const throttle = new RefusalThrottle();
    app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
      if (!WRITE_METHODS.has(request.method) || wasAudited(request) || NOT_RECORDED.has(reply.statusCode)) return payload;
      const route = request.routeOptions.url;
      if (route === undefined) return payload; // no such route: nothing was written or attempted
      const status = reply.statusCode;
      if (status === 401 && !throttle.take(`${request.ip} ${request.method} ${route}`)) {
        suppressed.inc();
        return payload;
      }
      const details: Record<string, unknown> = { method: request.method, route, status };
      if (status >= 400 && typeof payload === 'string') {
        try {
          const body = JSON.parse(payload) as { error?: string; message?: string };
          details.error = body.error;
          details.message = body.message?.slice(0, 500);
        } catch {
          /* not JSON: the status says enough */
        }
      }
      await recordAudit(db.kysely, request, {
        action: 'http.write',
        target: `${request.method} ${request.url.split('?')[0].slice(0, 300)}`,
        result: status < 400 ? 'ok' : status < 500 ? 'refused' : 'failed',
        details,
      }).catch((err) => request.log.error({ err }, 'audit record failed'));
      return payload;
    });
  },
  { name: 'audit-routes' },
);
