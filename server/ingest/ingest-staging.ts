/**
 * Stages an upload's features in a temporary table inside the write transaction, already
 * transformed to EPSG:4490 by PostGIS (ST_Transform; a PROJ string for Xian/Beijing with
 * parameters) and snapped to the store's grid, so that validation sees exactly what would be
 * stored. Features are streamed in batches of STAGE_BATCH: only one batch is held in Node.
 */
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Schema } from '../db/schema.js';
import { PayloadTooLargeError } from '../errors.js';
import { GRID, type FeatureInput } from '../layers/layer-writes.js';
import type { AttributeMapper } from './attribute-map.js';
import { emptyBounds, inspectGeometry } from './geometry-shape.js';
import { STAGE_BATCH, type IngestLimits } from './ingest-limits.js';
import type { OpenedSource, SourceCrs } from './ingest-types.js';
import { fileProblem, type ProblemList } from './problem-list.js';

export interface StageContext {
  mapper: AttributeMapper;
  problems: ProblemList;
  limits: IngestLimits;
  /** close unclosed rings (and, later, ST_MakeValid) */
  repair: boolean;
  /** called after each batch with features read so far (progress, logs) */
  onProgress?: (read: number) => void;
}

export interface StageStats {
  read: number;
  staged: number;
  vertices: number;
}

interface StagedRow {
  i: number;
  id: string | null;
  l: number | null;
  p: Record<string, unknown>;
  g: unknown;
}

export async function createStaging(trx: Transaction<Schema>): Promise<void> {
  await sql`create temp table if not exists upload_staging
    (idx integer primary key, fid text, line integer, properties jsonb not null, geom geometry) on commit drop`.execute(trx);
  await sql`truncate upload_staging`.execute(trx);
}

/** The source geometry (GeoJSON in jsonb `f->'g'`) in EPSG:4490, 2D, on the storage grid. */
function toStore(crs: SourceCrs): RawBuilder<unknown> {
  const parsed = sql`ST_Force2D(ST_GeomFromGeoJSON(f->'g'))`;
  const inStore = crs.projString
    ? sql`ST_Transform(${parsed}, ${crs.projString}::text, 4490)`
    : crs.srid === 4490
      ? sql`ST_SetSRID(${parsed}, 4490)`
      : sql`ST_Transform(ST_SetSRID(${parsed}, ${crs.srid}::int), 4490)`;
  return sql`ST_SnapToGrid(${inStore}, ${GRID}::float8)`;
}

/** JSON for jsonb: NUL characters (padding in some .dbf writers) are not allowed in jsonb text */
const noNul = (_k: string, v: unknown) => (typeof v === 'string' && v.includes('\u0000') ? v.replace(/\u0000/g, '') : v);

async function flush(trx: Transaction<Schema>, rows: StagedRow[], crs: SourceCrs): Promise<void> {
  if (rows.length === 0) return;
  try {
    await sql`insert into upload_staging (idx, fid, line, properties, geom)
      select (f->>'i')::int, f->>'id', (f->>'l')::int, coalesce(f->'p', '{}'::jsonb), ${toStore(crs)}
      from jsonb_array_elements(${JSON.stringify(rows, noNul)}::jsonb) as f`.execute(trx);
  } catch (e) {
    const from = rows[0].i;
    throw fileProblem(
      `要素 ${from}–${rows[rows.length - 1].i} 的坐标无法从 ${crs.label} 转换到 EPSG:4490，坐标系是否正确？ (coordinates cannot be transformed: ${(e as Error).message.slice(0, 160)})`,
      'crs',
      { feature: from },
    );
  }
}

function tooMany(limit: 'maxVertices' | 'maxTotalVertices' | 'maxFeatures', max: number, actual: number, feature?: number): PayloadTooLargeError {
  const what = limit === 'maxFeatures' ? '要素数' : limit === 'maxVertices' ? `要素 ${feature} 的顶点数` : '文件顶点总数';
  return new PayloadTooLargeError(`${what} ${actual} 超过上限 ${limit} = ${max} (${limit} exceeded)`, {
    limit,
    max,
    actual,
    ...(feature !== undefined ? { feature } : {}),
  });
}

/** Read every feature, check its shape, map its attributes and stage it. 413 on any bound. */
export async function stageFeatures(trx: Transaction<Schema>, source: OpenedSource, ctx: StageContext): Promise<StageStats> {
  const { problems, limits } = ctx;
  const stats: StageStats = { read: 0, staged: 0, vertices: 0 };
  let batch: StagedRow[] = [];
  for await (const f of source.features()) {
    stats.read++;
    if (stats.read > limits.maxFeatures) throw tooMany('maxFeatures', limits.maxFeatures, stats.read);
    const shape = inspectGeometry(f.geometry, emptyBounds(), ctx.repair);
    if (shape.vertices > limits.maxVertices) throw tooMany('maxVertices', limits.maxVertices, shape.vertices, f.index);
    stats.vertices += shape.vertices;
    if (stats.vertices > limits.maxTotalVertices) throw tooMany('maxTotalVertices', limits.maxTotalVertices, stats.vertices);
    const mapped = ctx.mapper.map(f.index, f.id, f.properties);
    if (shape.error) {
      problems.error({ feature: f.index, line: f.line, field: 'geometry', message: shape.error });
      continue;
    }
    if (shape.closedRings) problems.warn({ feature: f.index, line: f.line, field: 'geometry', message: `已闭合 ${shape.closedRings} 个未闭合的环 (closed ${shape.closedRings} unclosed ring(s))` });
    batch.push({ i: f.index, id: mapped.id, l: f.line ?? null, p: mapped.properties, g: f.geometry });
    if (batch.length >= STAGE_BATCH) {
      await flush(trx, batch, source.crs);
      stats.staged += batch.length;
      batch = [];
      ctx.onProgress?.(stats.read);
    }
  }
  await flush(trx, batch, source.crs);
  stats.staged += batch.length;
  if (stats.read === 0) throw fileProblem('文件中没有要素 (the file has no features)', 'file');
  return stats;
}

/** The staged features as FeatureInput (GeoJSON, EPSG:4490, 9 decimals = the store's grid). */
export async function readStaged(trx: Transaction<Schema>): Promise<FeatureInput[]> {
  const rows = await sql<{ fid: string | null; properties: Record<string, unknown>; geometry: FeatureInput['geometry'] }>`
    select fid, properties, ST_AsGeoJSON(geom, 9)::json as geometry from upload_staging order by idx`.execute(trx);
  return rows.rows.map((r) => ({ id: r.fid, properties: r.properties, geometry: typeof r.geometry === 'string' ? JSON.parse(r.geometry) : r.geometry }));
}
