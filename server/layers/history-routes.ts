/**
 * Layer history (issue 5): POST /api/layers (create), GET /api/layers/{id}/diff,
 * POST /api/layers/{id}/versions/{v}/restore. Writes need the editor role (checked `onRequest`,
 * before the body is parsed or validated) and are audited, refusals included.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit, recordCommittedAudit } from '../auth/audit.js';
import { requireRole } from '../auth/roles.js';
import { BadRequestError, toAppError } from '../errors.js';
import { diffVersions } from './diff.js';
import { createLayer, createLayerBody } from './layer-create.js';
import type { LayerDefinition } from './layer-registry.js';
import { MAX_NOTE_CHARS } from '../ingest/upload-options.js';
import { restoreVersion } from './restore.js';

const DIFF_LIMIT_DEFAULT = 1000; // features listed per kind; counts are always complete
const DIFF_LIMIT_MAX = 10_000;
/** with geometry=true a changed feature carries two geometries: a smaller page */
const DIFF_GEOMETRY_LIMIT_MAX = 1000;

const idParam = { id: { type: 'string', maxLength: 64 } } as const;

/** Run a write, auditing success and refusal alike. */
async function audited<T>(app: FastifyInstance, request: FastifyRequest, action: string, target: string, details: Record<string, unknown>, run: () => Promise<T>, ok: (r: T) => Record<string, unknown>): Promise<T> {
  let result: T;
  try {
    result = await run();
  } catch (err) {
    const e = toAppError(err);
    await recordAudit(app.db.kysely, request, { action, target, result: e.status < 500 ? 'refused' : 'failed', details: { ...details, status: e.status, error: e.code, message: e.message.slice(0, 500) } }).catch(
      (auditErr) => request.log.error({ err: auditErr }, 'audit record failed'),
    );
    throw err;
  }  await recordCommittedAudit(app.db.kysely, request, { action, target, result: 'ok', details: { ...details, ...ok(result) } });
  return result;
}

export async function historyRoutes(app: FastifyInstance): Promise<void> {
  const { db } = app;

  app.post<{ Body: LayerDefinition }>(
    '/api/layers',
    { onRequest: requireRole('editor'), schema: { summary: '新建图层 (create an empty layer, version 0, before its first upload)', tags: ['layers'], body: createLayerBody } },
    async (request, reply) => {
      const def = request.body;
      const layer = await audited(app, request, 'layer.create', def.id, { title: def.title, kind: def.kind, geometryType: def.geometryType }, () => createLayer(db.kysely, def), () => ({}));
      reply.status(201).header('location', `/api/layers/${layer.id}`);
      return layer;
    },
  );

  app.get<{ Params: { id: string }; Querystring: { from?: number; to?: number; geometry?: boolean; limit?: number } }>(
    '/api/layers/:id/diff',
    {
      schema: {
        summary: '两个版本之间新增、删除、修改的要素 (features added/removed/changed between versions; geometry=true adds GeoJSON, EPSG:4490)',
        tags: ['layers'],
        params: { type: 'object', properties: idParam, required: ['id'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            from: { type: 'integer', minimum: 0 },
            to: { type: 'integer', minimum: 0 },
            geometry: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: DIFF_LIMIT_MAX },
          },
        },
      },
      // The app's ajv does not coerce; query strings are text, so coerce here, per route.
      preValidation: async (request) => {
        const q = request.query as Record<string, unknown>;
        for (const k of ['from', 'to', 'limit']) if (typeof q[k] === 'string' && /^\d+$/.test(q[k] as string)) q[k] = Number(q[k]);
        if (q.geometry === 'true' || q.geometry === 'false') q.geometry = q.geometry === 'true';
      },
    },
    async (request) => {
      if (request.query.geometry && (request.query.limit ?? 0) > DIFF_GEOMETRY_LIMIT_MAX) {
        throw new BadRequestError(`geometry=true 时 limit 最大为 ${DIFF_GEOMETRY_LIMIT_MAX} (limit is at most ${DIFF_GEOMETRY_LIMIT_MAX} with geometry=true)`, { parameter: 'limit', max: DIFF_GEOMETRY_LIMIT_MAX });
      }
      return diffVersions(db.kysely, {
        layerId: request.params.id,
        from: request.query.from,
        to: request.query.to,
        geometry: request.query.geometry ?? false,
        limit: request.query.limit ?? DIFF_LIMIT_DEFAULT,
      });
    },
  );

  app.post<{ Params: { id: string; v: string }; Body: { note?: string } | undefined }>(
    '/api/layers/:id/versions/:v/restore',
    {
      onRequest: requireRole('editor'),
      schema: {
        summary: '恢复到某一版本：生成与该版本相同的新版本 (a new version equal to v)',
        tags: ['layers'],
        // v = 0: the empty layer as created, before its first upload (undoes a bad first upload)
        params: { type: 'object', properties: { ...idParam, v: { type: 'string', pattern: '^(0|[1-9][0-9]{0,8})$' } }, required: ['id', 'v'] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const v = Number(request.params.v);
      // as an upload's note: text of at most 500 characters, or a 400 naming it (it was cut or dropped silently)
      const raw = (request.body as { note?: unknown } | undefined)?.note;
      if (raw !== undefined && raw !== null && (typeof raw !== 'string' || raw.length > MAX_NOTE_CHARS)) {
        throw new BadRequestError(`参数 note 应为不超过 ${MAX_NOTE_CHARS} 字的文本 (note must be text of at most ${MAX_NOTE_CHARS} characters)`, { parameter: 'note' });
      }
      const note = typeof raw === 'string' ? raw : null;
      const result = await audited(app, request, 'layer.restore', id, { restoredFrom: v }, () => restoreVersion(db.kysely, id, v, request.principal.name, note), (r) => ({ version: r.version, unchanged: r.unchanged }));
      // nothing to restore (the layer already holds version v's features): 200 and no new version
      reply.status(result.unchanged ? 200 : 201);
      return { layer: id, version: result.version, added: result.added, removed: result.removed, changed: result.changed, featureCount: result.featureCount, restoredFrom: v, unchanged: result.unchanged };
    },
  );
}
