/**
 * OGC API Features Part 4 over the versioned store: each request is exactly one new layer
 * version (writeLayerVersion), so history, diff, restore and tile invalidation (tiles are keyed
 * by version) follow without extra work here. Every outcome is audited (全过程留痕).
 */
import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { recordAudit, recordCommittedAudit } from '../auth/audit.js';
import type { Schema } from '../db/schema.js';
import { AppError, NotFoundError } from '../errors.js';
import { readItem } from '../layers/feature-reads.js';
import type { LayerDetail } from '../layers/layer-registry.js';
import { writeInTransaction, writeLayerVersion, type FeatureInput, type WriteRequest, type WriteResult } from '../layers/layer-writes.js';
import { checkIfMatch, type IfMatch } from './item-etag.js';
import type { CrsInfo } from './crs.js';
import { force2d } from './geojson-check.js';

type Geometry = FeatureInput['geometry'];

/** Geometries in `crs` (its axis order) → EPSG:4490 lon/lat GeoJSON, in one query. */
export async function toStorageCrs(db: Kysely<Schema>, geometries: Geometry[], crs: CrsInfo): Promise<Geometry[]> {
  const flat = geometries.map(force2d);
  if (crs.srid === 4490 && !crs.northFirst) return flat;
  let g = sql`ST_GeomFromGeoJSON(e.value::text)`;
  if (crs.northFirst) g = sql`ST_FlipCoordinates(${g})`;
  g = sql`ST_SetSRID(${g}, ${crs.srid}::int)`;
  if (crs.srid !== 4490) g = sql`ST_Transform(${g}, 4490)`;
  const rows = await sql<{ geometry: string }>`
    select ST_AsGeoJSON(${g}, 10) as geometry
    from jsonb_array_elements(${JSON.stringify(flat)}::jsonb) with ordinality e order by e.ordinality`.execute(db);
  return rows.rows.map((r) => JSON.parse(r.geometry) as Geometry);
}

export interface CurrentFeature {
  properties: Record<string, unknown>;
  geometry: Geometry;
  /** the layer version that wrote its row: its ETag (item-etag.ts) */
  writtenIn: number;
}

/** The current feature as GeoJSON (EPSG:4490); a missing one is a 404, or a 412 when If-Match was given (RFC 9110 §13.1.1). */
export async function currentFeature(db: Kysely<Schema>, layerId: string, fid: string, ifMatch: IfMatch = null): Promise<CurrentFeature> {
  const item = await readItem(db, { layerId, fid });
  if (!item) {
    checkIfMatch(ifMatch, null, fid);
    throw new NotFoundError(`要素不存在 (no feature "${fid}" in "${layerId}")`, { layer: layerId, feature: fid });
  }
  return { ...(JSON.parse(item.feature) as { properties: Record<string, unknown>; geometry: Geometry }), writtenIn: item.writtenIn };
}

export interface WriteContext {
  db: Kysely<Schema>;
  request: FastifyRequest;
  layer: LayerDetail;
}

/** writeLayerVersion + audit of the outcome (a refused write is audited too, then rethrown) */
async function audited(ctx: WriteContext, action: string, target: string, write: () => Promise<WriteResult>): Promise<WriteResult> {
  let result: WriteResult;
  try {
    result = await write();
  } catch (err) {
    const status = err instanceof AppError ? err.status : 500;
    await recordAudit(ctx.db, ctx.request, { action, target, result: status < 500 ? 'refused' : 'failed', details: { layer: ctx.layer.id, error: (err as Error).message } }).catch(() => undefined);
    throw err;
  }
  await recordCommittedAudit(ctx.db, ctx.request, { action, target, result: 'ok', details: { layer: ctx.layer.id, version: result.version, added: result.added, changed: result.changed, removed: result.removed } });
  return result;
}

const author = (ctx: WriteContext) => ctx.request.principal.name;

/** POST: new features; ids the client did not give are assigned here so Location can name them. */
export async function createItems(ctx: WriteContext, features: FeatureInput[]): Promise<{ ids: string[]; result: WriteResult }> {
  const withIds = features.map((f) => ({ ...f, id: f.id === undefined || f.id === null ? `${ctx.layer.id}-${crypto.randomBytes(6).toString('hex')}` : String(f.id) }));
  const result = await audited(ctx, 'ogc.items.create', `layer:${ctx.layer.id}`, () =>
    writeLayerVersion(ctx.db, {
      layerId: ctx.layer.id,
      mode: 'append',
      features: withIds,
      author: author(ctx),
      note: 'OGC API 新增要素 (create)',
      source: { api: 'ogc-features-4', count: withIds.length },
      ownPartitionFrom: ctx.request.server.config.ownPartitionRows,
    }),
  );
  return { ids: withIds.map((f) => f.id), result };
}

/**
 * PUT, PATCH and DELETE of one feature, under the layer's write lock: the feature is read after the
 * lock (so two concurrent PATCHes do not both merge onto the old feature — the second undid the
 * first, found by a review), If-Match is checked against it (412 when it changed since the client
 * read it), then `change` makes the write. A 4xx from `change` rolls back.
 */
async function lockedItemWrite(
  ctx: WriteContext,
  fid: string,
  action: 'replace' | 'update' | 'delete',
  ifMatch: IfMatch,
  change: (current: CurrentFeature) => Pick<WriteRequest, 'mode' | 'features' | 'deleteIds'>,
): Promise<WriteResult> {
  const note = { replace: '替换', update: '修改', delete: '删除' }[action];
  return audited(ctx, `ogc.items.${action}`, `feature:${ctx.layer.id}/${fid}`, () =>
    ctx.db.transaction().execute(async (trx) => {
      await sql`select 1 from layers where id = ${ctx.layer.id} for update`.execute(trx);
      const current = await currentFeature(trx, ctx.layer.id, fid, ifMatch);
      checkIfMatch(ifMatch, current.writtenIn, fid);
      return writeInTransaction(trx, { layerId: ctx.layer.id, ...change(current), author: author(ctx), note: `OGC API ${note}要素 ${fid}`, source: { api: 'ogc-features-4' } });
    }),
  );
}

/** PUT: the feature with this id becomes `feature` */
export function replaceItem(ctx: WriteContext, fid: string, feature: FeatureInput, ifMatch: IfMatch = null): Promise<WriteResult> {
  return lockedItemWrite(ctx, fid, 'replace', ifMatch, () => ({ mode: 'upsert', features: [{ ...feature, id: fid }] }));
}

/** PATCH: the feature becomes what `merge` makes of it as it is now (may refuse with a 4xx) */
export function updateItem(ctx: WriteContext, fid: string, merge: (current: CurrentFeature) => FeatureInput, ifMatch: IfMatch = null): Promise<WriteResult> {
  return lockedItemWrite(ctx, fid, 'update', ifMatch, (current) => ({ mode: 'upsert', features: [{ ...merge(current), id: fid }] }));
}

/** DELETE */
export function deleteItem(ctx: WriteContext, fid: string, ifMatch: IfMatch = null): Promise<WriteResult> {
  return lockedItemWrite(ctx, fid, 'delete', ifMatch, () => ({ mode: 'delete', deleteIds: [fid] }));
}
