/**
 * /api/checks and /api/rules. Thin: validate, call one service function, set headers.
 * Registered by app.ts (`await app.register(checkRoutes)`); multipart is registered here, in
 * this plugin's own scope, unless the app already parses it. The planner role is checked
 * `onRequest`, before the body (JSON or multipart) is parsed.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recordAudit } from '../auth/audit.js';
import { requireRole } from '../auth/roles.js';
import { BadRequestError, PayloadTooLargeError } from '../errors.js';
import { shapefileLimits } from './shapefile-block.js';
import { parseCheckRequest, type CheckRequestBody } from './check-request.js';
import { runCheck } from './check-service.js';
import { stopBackgroundCoverage } from './coverage.js';
import { getCheckReport, overlapsGeoJson } from './check-store.js';
import { runPlanAudit } from './plan-audit.js';
import { renderCheckHtml } from './report-html.js';
import { RULES_DOCUMENT } from './rules.js';

const idParams = { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] } as const;

/** JSON body, or multipart fields + one `file` part (a boundary-coordinate TXT or a zipped shapefile). */
async function readBody(request: FastifyRequest, maxBytes: { limit: 'bodyBytes' | 'uploadBytes'; max: number }): Promise<{ body: CheckRequestBody; file?: { bytes: Uint8Array; fileName?: string } }> {
  if (!request.isMultipart()) return { body: (request.body ?? {}) as CheckRequestBody };
  const body: Record<string, unknown> = {};
  let file: { bytes: Uint8Array; fileName?: string } | undefined;
  let fieldBytes = 0;
  // a pasted TXT comes as a field: fields are bounded like the file (the app's default, 1 MB, cut them silently)
  for await (const part of request.parts({ limits: { fileSize: maxBytes.max, fieldSize: maxBytes.max, files: 1 } })) {
    if (part.type === 'file') {
      if (part.fieldname !== 'file') throw new BadRequestError(`未知文件字段“${part.fieldname}”，应为 file (unknown file field)`, { parameter: part.fieldname });
      try {
        file = { bytes: await part.toBuffer(), fileName: part.filename };
      } catch (e) {
        if ((e as { code?: string }).code !== 'FST_REQ_FILE_TOO_LARGE') throw e;
        throw new PayloadTooLargeError(`文件超过 ${maxBytes.limit} = ${maxBytes.max} 字节 (file larger than ${maxBytes.limit} = ${maxBytes.max} bytes)`, { ...maxBytes, parameter: 'file' });
      }
    } else {
      // all fields together within the bound too: 20 fields of the bound each would hold 20× it
      fieldBytes += typeof part.value === 'string' ? Buffer.byteLength(part.value) : 0;
      if (part.valueTruncated || fieldBytes > maxBytes.max) {
        throw new PayloadTooLargeError(`字段“${part.fieldname}”超过 ${maxBytes.limit} = ${maxBytes.max} 字节 (field larger than ${maxBytes.limit} = ${maxBytes.max} bytes)`, { ...maxBytes, parameter: part.fieldname });
      }
      body[part.fieldname] = part.value;
    }
  }
  return { body, file };
}

/** POST /api/checks as the OpenAPI document shows it (documentation only; see the route) */
const CHECK_BODY_DOC = {
  type: 'object',
  required: ['activity', 'mineral'],
  properties: {
    geometry: { type: 'object', description: 'GeoJSON Polygon/MultiPolygon or Feature (this or coordinates or file)' },
    coordinates: { type: 'string', description: '界址点坐标 TXT (domain.md §4)' },
    file: { type: 'string', format: 'binary', description: 'multipart: a TXT or a zipped shapefile' },
    activity: { type: 'string', enum: ['exploration', 'mining'] },
    mineral: { type: 'string', description: '矿种, e.g. 地热, 矿泉水, 建筑用砂, 砖瓦用粘土' },
    scale: { type: 'object', properties: { value: { type: 'number' }, unit: { type: 'string', description: 'e.g. 万吨/年' } } },
    name: { type: 'string' },
    crs: { type: 'string', description: 'EPSG:4490 (default), 4326, 3857 or a CGCS2000 3° GK zone 4513–4554' },
  },
} as const;

export async function checkRoutes(app: FastifyInstance): Promise<void> {
  const { db, config } = app;
  if (!app.hasContentTypeParser('multipart/form-data')) await app.register(multipart, { limits: { fileSize: config.limits.uploadBytes } });
  // a coverage verification started by a check stops at its next slice before the database closes
  app.addHook('onClose', async () => stopBackgroundCoverage(db.kysely));
  // A block's file is read into memory: bounded like a request body, not like a layer upload
  // (streamed to disk); and its zip like that file — ten times it inflated, 10,000 features —
  // not like a 200 MiB layer upload (found by a security review: 2 GiB of temp disk per check).
  const { bodyBytes, uploadBytes } = config.limits;
  const fileBound = bodyBytes <= uploadBytes ? ({ limit: 'bodyBytes', max: bodyBytes } as const) : ({ limit: 'uploadBytes', max: uploadBytes } as const);
  const zipLimits = shapefileLimits(fileBound.max, config.limits.maxVertices);

  app.get('/api/rules', { schema: { summary: '冲突检查规则（数据） Conflict rules as data', tags: ['checks'] } }, async () => RULES_DOCUMENT);

  app.post(
    '/api/checks',
    {
      onRequest: requireRole('planner'),
      // the body is read and checked by parseCheckRequest (JSON or multipart, 4xx naming the field);
      // this schema only documents it in the OpenAPI document
      config: { swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, consumes: ['application/json', 'multipart/form-data'], body: CHECK_BODY_DOC }, url }) },
      schema: {
        summary: '合规性检查：拟设区块 vs 规划与控制线 (conflict check of a proposed block; JSON, or multipart with a TXT or a zipped shapefile)',
        tags: ['checks'],
      },
    },
    async (request, reply) => {
      const { body, file } = await readBody(request, fileBound);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('请求体应为 JSON 对象 (body must be a JSON object)', { parameter: 'body' });
      const input = parseCheckRequest(body, file);
      const report = await runCheck(db.kysely, input, {
        actor: request.principal.name, role: request.principal.role, maxVertices: config.limits.maxVertices, zipLimits,
        onCoverageError: (err) => app.log.warn({ err }, 'coverage verification failed'),
        // the audit entry commits with the report: one WAL flush per check, and never one without the other
        afterStore: (trx, r) => recordAudit(trx, request, { action: 'check.create', target: r.id, result: 'ok', details: { verdict: r.verdict, activity: r.activity, mineral: r.mineral } }),
      });
      reply.status(201).header('location', report.links.self);
      return report;
    },
  );

  app.post(
    '/api/checks/plan-audit',
    { onRequest: requireRole('planner'), schema: { summary: '规划一致性审查：规划图层全部要素 vs 控制线 (plan consistency audit)', tags: ['checks'] } },
    async (request) => {
      const result = await runPlanAudit(db.kysely, undefined, undefined, { onCoverageError: (err) => app.log.warn({ err }, 'coverage verification failed') });
      await recordAudit(db.kysely, request, { action: 'check.plan-audit', result: 'ok', details: { features: result.summary.features, verdict: result.verdict } });
      return result;
    },
  );

  app.get<{ Params: { id: string } }>('/api/checks/:id', { schema: { summary: '检查报告 (the stored report)', tags: ['checks'], params: idParams } }, async (request) =>
    getCheckReport(db.kysely, request.params.id),
  );

  app.get<{ Params: { id: string } }>(
    '/api/checks/:id/overlaps.geojson',
    { schema: { summary: '重叠部分 GeoJSON（EPSG:4490） (overlap pieces)', tags: ['checks'], params: idParams } },
    async (request, reply) => {
      reply.type('application/geo+json');
      return overlapsGeoJson(db.kysely, request.params.id);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/checks/:id/report.html',
    { schema: { summary: '可打印的检查报告（含地图） (printable report with map)', tags: ['checks'], params: idParams } },
    async (request, reply) => {
      reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
      return renderCheckHtml(db.kysely, request.params.id);
    },
  );
}
