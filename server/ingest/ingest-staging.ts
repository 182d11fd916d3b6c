/**
 * Stages an upload's features in a temporary table inside the write transaction, already
 * transformed to EPSG:4490 by PostGIS (ST_Transform; a PROJ string for Xian/Beijing with
 * parameters) and snapped to the store's grid, so that validation sees exactly what would be
 * stored. Features are streamed in batches of STAGE_BATCH: only one batch is held in Node.
 * A batch travels as one statement: geometries as WKB in ONE bytea (geometry-wkb.ts; a Buffer,
 * which node-postgres sends in binary, not as hex text) plus offsets, ids and lines as arrays,
 * properties as one jsonb array, zipped by ROWS FROM.
 * (GeoJSON text through ST_GeomFromGeoJSON cost ~7 s of database time per 100 000 polygons.)
 * Geometries of a Multi* layer are made Multi* here, so staging holds what the store will.
 */
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Schema } from '../db/schema.js';
import { PayloadTooLargeError } from '../errors.js';
import { FID_MAX, generatedFid, GRID } from '../layers/layer-writes.js';
import type { AttributeMapper } from './attribute-map.js';
import { emptyBounds, inspectGeometry } from './geometry-shape.js';
import { validityShortcut } from './geometry-valid.js';
import { WkbBatch } from './geometry-wkb.js';
import { STAGE_BATCH, type IngestLimits } from './ingest-limits.js';
import type { OpenedSource, SourceCrs } from './ingest-types.js';
import { fileProblem, type ProblemList } from './problem-list.js';

/** the layer whose boundary uploads are checked against (ingest-validate.ts) */
export const COUNTY_LAYER = 'admin-county';
/** the county's current rows, for a `county` CTE (the screen here, checkCounty in ingest-validate.ts) */
export const countyRows = sql`select geom from features where layer_id = ${COUNTY_LAYER} and valid_to is null`;
/** `g` is not lon/lat after the transform (the screen here, checkRange in ingest-validate.ts) */
export const notLonLat = (g: RawBuilder<unknown>) =>
  sql<boolean>`not (ST_XMin(${g}) >= -180 and ST_XMax(${g}) <= 180 and ST_YMin(${g}) >= -85 and ST_YMax(${g}) <= 85)`;

export interface StageContext {
  mapper: AttributeMapper;
  problems: ProblemList;
  limits: IngestLimits;
  /** close unclosed rings (and, later, ST_MakeValid) */
  repair: boolean;
  /** the layer's geometry type is Multi*: stage every geometry as Multi* */
  multi?: boolean;
  /** the layer has a `code` attribute: stage it as the id of features without one (auto) */
  hasCode?: boolean;
  /** called after each batch with features read so far (progress, logs) */
  onProgress?: (read: number) => void;
  /**
   * screen each batch as it is staged (see `screen` below) for the rows validation must look at:
   * the layer's geometry type, and whether the county boundary is to be checked
   */
  screen?: { geometryType: string; county: boolean };
  /**
   * with `screen`: the layer's own table (layer-partition.ts createOwnPartition), into which each
   * batch's clean rows — every row but the suspects — are inserted by the batch's own statement
   * as version `version`, with the ids the write would give them, instead of one INSERT of every
   * row after validation: the database had time for it while the next batch was read (without it,
   * ~80 ms of database work a batch against the reader's ~120 ms in bench:ingest; with it, ~120 ms
   * against ~100 ms, and ~1 s less after staging).
   */
  load?: { table: RawBuilder<unknown>; layerId: string; version: number };
}

export interface StageStats {
  read: number;
  staged: number;
  vertices: number;
  /** some feature had an id of its own (then `code` is never the id) */
  anyFileId: boolean;
  /** every feature had a `code` value */
  allHaveCode: boolean;
  /**
   * with `screen`: the staged rows some per-row check of validation may report or change (every
   * other row passes them all); validation looks at these only
   */
  suspects?: number[];
  /** no staged id (file id or code) repeats another: validation need not look for duplicates */
  idsUnique: boolean;
  /** no code staged as an id is longer than an id may be: validation need not look for one */
  autoIdsShort: boolean;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** ids remembered for IdRepeats: beyond this many, repeats are left to validation's query */
const IDS_REMEMBERED = 1_000_000;

/**
 * Whether any staged id may repeat another, from a 53-bit hash of each (two FNV-1a variants): no
 * equal hash means no equal id, so validation can skip its GROUP BY of every id (~0.12 s of a
 * 100 000-feature upload, with a spill to disk at the default work_mem); an equal hash (a repeat,
 * or a collision) leaves the decision to that query. A number per id, at most IDS_REMEMBERED.
 */
export class IdRepeats {
  private readonly seen = new Set<number>();
  private maybe = false;

  constructor(private readonly remembered = IDS_REMEMBERED) {}

  add(id: string): void {
    if (this.maybe) return;
    // the drivers write a lone surrogate as U+FFFD: two ids unequal here may be equal in the database
    if (this.seen.size >= this.remembered || LONE_SURROGATE.test(id)) {
      this.maybe = true;
      return;
    }
    let a = 0x811c9dc5;
    let b = 0x1505;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
    }
    const h = (a >>> 0) * 0x200000 + (b >>> 11);
    if (this.seen.has(h)) this.maybe = true;
    else this.seen.add(h);
  }

  get unique(): boolean {
    return !this.maybe;
  }
}

/** batch statements queued on the connection at once (stageFeatures) */
const IN_FLIGHT = 2;
/** features read between two turns of the event loop (stageFeatures) */
const YIELD_EVERY = 500;

/** one batch: parallel arrays, geometries in `wkb` */
class Batch {
  readonly idx: number[] = [];
  readonly fid: (string | null)[] = [];
  readonly auto: boolean[] = [];
  readonly line: (number | null)[] = [];
  /** valid beyond doubt (geometry-valid.ts): the screen does not ask GEOS */
  readonly sure: boolean[] = [];
  readonly props: Record<string, unknown>[] = [];
  readonly wkb = new WkbBatch();
  get length(): number {
    return this.idx.length;
  }
}

/**
 * The staging table, without an index: `idx` is unique by construction (the reader's feature
 * index), and a primary key maintained row by row was half the cost of the staging INSERTs (~0.13 s
 * of 100 000 rows, psql) — on the database, the slower side of staging. indexStaging builds it
 * afterwards when validation will look rows up by idx (there are suspects).
 */
export async function createStaging(trx: Transaction<Schema>): Promise<void> {
  await sql`create temp table if not exists upload_staging
    (idx integer not null, fid text, auto boolean not null default false, line integer, properties jsonb not null, geom geometry,
     sure boolean not null default false) on commit drop`.execute(trx);
  await sql`truncate upload_staging`.execute(trx);
}

/** an index on idx, for validation's lookups of the suspects (one bulk build, ~20 ms per 100 000 rows) */
export async function indexStaging(trx: Transaction<Schema>): Promise<void> {
  await sql`create unique index on upload_staging (idx)`.execute(trx);
}

/** The source geometry (WKB `u.o`/`u.n` in the batch's bytea) in EPSG:4490, on the storage grid. */
function toStore(crs: SourceCrs, blob: Buffer, multi: boolean): RawBuilder<unknown> {
  const parsed = sql`ST_GeomFromWKB(substring(${blob}::bytea from u.o + 1 for u.n))`;
  const inStore = crs.projString
    ? sql`ST_Transform(${parsed}, ${crs.projString}::text, 4490)`
    : crs.srid === 4490
      ? sql`ST_SetSRID(${parsed}, 4490)`
      : sql`ST_Transform(ST_SetSRID(${parsed}, ${crs.srid}::int), 4490)`;
  const snapped = sql`ST_SnapToGrid(${inStore}, ${GRID}::float8)`;
  return multi ? sql`ST_Multi(${snapped})` : snapped;
}

/** NUL characters (padding in some .dbf writers) are not allowed in text or jsonb: dropped, from ids and from properties */
const stripNul = (s: string): string => (s.includes('\u0000') ? s.replace(/\u0000/g, '') : s);
const noNul = (_k: string, v: unknown) => (typeof v === 'string' ? stripNul(v) : v);

/**
 * a batch's properties as one JSON array for jsonb; the replacer only when some value has a NUL
 * (JSON.stringify writes it `\u0000`): calling it on every key and value took ~0.15 s of a
 * 100 000-feature upload, on the side (Node) that is now the slower one while staging
 */
function propsJson(props: Record<string, unknown>[]): string {
  const json = JSON.stringify(props);
  return json.includes('\\u0000') ? JSON.stringify(props, noNul) : json;
}

/** an int[] literal: the driver's own array writer escapes and quotes every element (~0.1 s of 300 000 numbers) */
const intArray = (column: number[]): string => `{${column.join(',')}}`;

/** a boolean[] column as a literal (see intArray), or null when it holds nothing (orNull below) */
const boolArray = (column: boolean[]): string | null => (orNull(column) ? `{${column.map((v) => (v ? 't' : 'f')).join(',')}}` : null);

/**
 * The staged rows of a batch that validation (ingest-validate.ts) may report or change — outside
 * lon/lat, empty, invalid, of another type than the layer, not covered by the county, or with a
 * declared area — computed by the batch's own INSERT (`rows`: its RETURNING idx, fid, properties,
 * geom and sure — fid read with `load` only), so that the per-row geometry tests (GEOS validity, the county cover) run while the next
 * batch is read, instead of over the whole table afterwards (~1 s of a 100 000-feature upload).
 * A CASE, so the cover is only tested on valid geometries (GEOS raises on invalid ones). A
 * superset of what the checks find is enough: each check still decides with its own query, over
 * these rows only.
 *
 * The county cover is first tested once for the batch's extent: when the county covers that
 * rectangle it covers every row in it, and the per-row test (~28 ms per 5 000 rows against
 * Dehui's 2 150-vertex boundary, most of the screen) is skipped. Files are mostly written in
 * spatial order, so a batch's extent is usually small; when it is not covered, each row is
 * tested as before.
 */
export function screenQuery(rows: RawBuilder<unknown>, s: NonNullable<StageContext['screen']>, load?: StageContext['load']): RawBuilder<{ idx: number }> {
  const ctes = s.county
    ? sql`, county as (${countyRows}),
        batch as (select exists (select 1 from county c
          where ST_Covers(c.geom, (select ST_SetSRID(ST_Extent(geom)::geometry, 4490) from n))) as inside)`
    : sql``;
  const county = s.county
    ? sql`when not (select inside from batch) and not exists (select 1 from county c where ST_Covers(c.geom, n.geom))
        and exists (select 1 from county) then true`
    : sql``;
  const suspect = sql<boolean>`case
      when n.geom is null or ST_IsEmpty(n.geom) then true
      when ${notLonLat(sql`n.geom`)} then true
      when not n.sure and not ST_IsValid(n.geom) then true
      when GeometryType(n.geom) <> ${s.geometryType.toUpperCase()} then true
      when n.properties ? 'declared_area_ha' then true
      ${county}
      ${load ? sql`when length(n.fid) > ${FID_MAX} then true` : sql``}
      else false end`;
  if (!load) return sql<{ idx: number }>`with n as (${rows})${ctes} select n.idx from n where ${suspect} order by n.idx`;
  // A suspect is left to validation and written after it. An id too long for the store's CHECK is
  // one too, so that the store names it (assertStagedIds) rather than this statement failing.
  // `s` carries the row on, so that the load reads it there: a join of `s` back to `n` on idx (two
  // sorts of the batch and a merge) was ~12 of a batch's ~105 ms (auto_explain, bench:ingest)
  return sql<{ idx: number }>`with n as (${rows})${ctes},
      s as (select n.idx, n.fid, n.properties, n.geom, ${suspect} as suspect from n),
      l as (insert into ${load.table} (layer_id, fid, properties, geom, valid_from)
        select ${load.layerId}, coalesce(nullif(s.fid, ''), ${generatedFid(load.layerId, load.version, sql.ref('s.idx'))}), s.properties, s.geom, ${load.version}::int
        from s where not s.suspect)
    select idx from s where suspect order by idx`;
}

/**
 * a column of a batch, or null when it holds nothing (no ids, no lines, nothing auto — a
 * shapefile's usual batch): ROWS FROM pads a shorter column with nulls, and each array costs the
 * parameter's text form, written by the driver and parsed by PostgreSQL (~2.5 ms per 5 000 values)
 */
const orNull = <T>(column: T[]): T[] | null => (column.some((v) => v !== null && v !== false) ? column : null);

/**
 * A batch's statement, its parameters written (the properties' JSON, the arrays) when it is built:
 * stageFeatures builds it while the database still works on the previous batch, so that the
 * database does not wait for them (~10 ms a batch).
 */
function batchStatement(
  b: Batch,
  crs: SourceCrs,
  multi: boolean,
  screened?: StageContext['screen'],
  load?: StageContext['load'],
): RawBuilder<{ idx: number }> {
  const insert = sql`insert into upload_staging (idx, fid, auto, line, properties, geom, sure)
    select u.i, u.id, coalesce(u.a, false), u.l, coalesce(u.p, '{}'::jsonb), ${toStore(crs, b.wkb.bytes(), multi)}, coalesce(u.v, false)
    from rows from (unnest(${intArray(b.idx)}::int[]), unnest(${orNull(b.fid)}::text[]), unnest(${boolArray(b.auto)}::boolean[]), unnest(${orNull(b.line)}::int[]),
      unnest(${intArray(b.wkb.offsets)}::int[]), unnest(${intArray(b.wkb.lengths)}::int[]),
      jsonb_array_elements(${propsJson(b.props)}::jsonb), unnest(${boolArray(b.sure)}::boolean[])) as u(i, id, a, l, o, n, p, v)`;
  // without a screen the INSERT returns no rows: no suspects
  return screened ? screenQuery(sql`${insert} returning idx, fid, properties, geom, sure`, screened, load) : (insert as RawBuilder<{ idx: number }>);
}

/** Run a batch's statement; its suspects. A failure is the file's (422) unless it cannot be. */
async function flush(trx: Transaction<Schema>, b: Batch, statement: RawBuilder<{ idx: number }>, crs: SourceCrs): Promise<number[]> {
  try {
    return (await statement.execute(trx)).rows.map((x) => x.idx);
  } catch (e) {
    // Not the file's fault: a cancelled statement (statement timeout, shutdown), a lost connection,
    // a resource or serialisation failure — the caller's error handling (5xx/504) as before the screen.
    // Nor a constraint or a privilege (23, 42): a fault of this code, not of the file; nor an aborted
    // transaction (25P02: an earlier statement failed, and that failure is the one to report). (PostGIS raises
    // its own errors — a point PROJ cannot transform, GEOS — as XX000: those are the file's.)
    if (/^(57|53|08|40|23|42|25)/.test((e as { code?: string }).code ?? '')) throw e;
    const from = b.idx[0];
    // the screen's GEOS tests (ST_IsValid, the county cover) are not the transform
    if (/GEOS|TopologyException/i.test((e as Error).message)) {
      throw fileProblem(
        `要素 ${from}–${b.idx[b.length - 1]} 中有无法检验的几何图形 (a geometry in features ${from}–${b.idx[b.length - 1]} cannot be tested: ${(e as Error).message.slice(0, 160)})`,
        'geometry',
        { feature: from },
      );
    }
    throw fileProblem(
      `要素 ${from}–${b.idx[b.length - 1]} 的坐标无法从 ${crs.label} 转换到 EPSG:4490，坐标系是否正确？ (coordinates cannot be transformed: ${(e as Error).message.slice(0, 160)})`,
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
  const stats: StageStats = { read: 0, staged: 0, vertices: 0, anyFileId: false, allHaveCode: true, idsUnique: true, autoIdsShort: true };
  const ids = new IdRepeats();
  const multi = Boolean(ctx.multi);
  const sure = validityShortcut(source.crs);
  let batch = new Batch();
  // Batches are in the database while the next is read: the reader's JavaScript and the
  // database's parsing and transforming overlap. Up to IN_FLIGHT statements are queued on the
  // transaction's connection (run one after the other, in order), so that the database finds the
  // next one waiting when the reader was quicker; at most IN_FLIGHT + 1 batches are held in Node.
  const inFlight: Promise<void>[] = [];
  const suspects: number[] = [];
  const send = async (b: Batch) => {
    if (b.length === 0) return;
    const statement = batchStatement(b, source.crs, multi, ctx.screen, ctx.load);
    // in order: a failed batch is reported before anything after it (which the aborted transaction refuses)
    while (inFlight.length >= IN_FLIGHT) await inFlight.shift();
    const done = flush(trx, b, statement, source.crs).then((found) => void suspects.push(...found));
    done.catch(() => {}); // observed by an await above or below; never an unhandled rejection
    inFlight.push(done);
    stats.staged += b.length;
  };
  try {
    for await (const f of source.features()) {
      stats.read++;
      if (stats.read > limits.maxFeatures) throw tooMany('maxFeatures', limits.maxFeatures, stats.read);
      const shape = inspectGeometry(f.geometry, emptyBounds(), ctx.repair);
      if (shape.vertices > limits.maxVertices) throw tooMany('maxVertices', limits.maxVertices, shape.vertices, f.index);
      stats.vertices += shape.vertices;
      if (stats.vertices > limits.maxTotalVertices) throw tooMany('maxTotalVertices', limits.maxTotalVertices, stats.vertices);
      const mapped = ctx.mapper.map(f.index, f.id, f.properties, f.line);
      if (shape.error) {
        problems.error({ feature: f.index, line: f.line, field: 'geometry', message: shape.error });
        continue;
      }
      if (shape.closedRings) problems.warn({ feature: f.index, line: f.line, field: 'geometry', message: `已闭合 ${shape.closedRings} 个未闭合的环 (closed ${shape.closedRings} unclosed ring(s))` });
      const code = mapped.properties.code;
      const hasCodeValue = code !== null && code !== undefined;
      if (mapped.id !== null) stats.anyFileId = true;
      if (!hasCodeValue) stats.allHaveCode = false;
      const auto = mapped.id === null && Boolean(ctx.hasCode) && hasCodeValue;
      batch.idx.push(f.index);
      const raw = auto ? (typeof code === 'object' ? JSON.stringify(code) : String(code)) : mapped.id;
      // NUL characters (padding in some .dbf writers) cannot be in text: dropped, as from properties (noNul)
      const fid = raw === null ? null : stripNul(raw);
      batch.fid.push(fid);
      if (fid !== null) ids.add(fid);
      // UTF-16 units ≥ characters: a code of at most 200 here is at most 200 in the database
      if (auto && fid!.length > FID_MAX) stats.autoIdsShort = false;
      batch.auto.push(auto);
      batch.line.push(f.line ?? null);
      batch.props.push(mapped.properties);
      batch.wkb.add(f.geometry!);
      batch.sure.push(sure(f.geometry!));
      // records already read in are handed out without I/O, as microtasks: let the database's
      // answer in now and then, so that the next queued statement is sent when the last ends
      if (batch.length % YIELD_EVERY === 0) await new Promise(setImmediate);
      if (batch.length >= STAGE_BATCH) {
        await send(batch);
        batch = new Batch();
        ctx.onProgress?.(stats.read);
      }
    }
    await send(batch);
  } finally {
    // never leave a statement running on the transaction when reading failed
    await Promise.allSettled(inFlight);
  }
  for (const done of inFlight) await done;
  if (stats.read === 0) throw fileProblem('文件中没有要素 (the file has no features)', 'file');
  if (ctx.screen) stats.suspects = suspects;
  stats.idsUnique = ids.unique;
  return stats;
}
