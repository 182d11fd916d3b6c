/**
 * Validation of the staged upload (EPSG:4490, in the write transaction), reported row by row
 * before anything is written: empty and invalid geometries (ST_IsValidReason gives reason and
 * location; `repair` applies ST_MakeValid and reports what changed), geometry type against the
 * layer's (a single-part Multi* into a single-type layer is converted, with a warning),
 * duplicate ids, ids clashing in append mode, features outside the county (admin-county,
 * warning) and, for TXT parcels, declared vs. computed ellipsoidal area (warning).
 */
import { sql, type Transaction } from 'kysely';
import { validAreal } from '../db/make-valid.js';
import { FID_MAX } from '../layers/layer-writes.js';
import type { Schema } from '../db/schema.js';
import { COUNTY_LAYER, countyRows, notLonLat } from './ingest-staging.js';
import type { ProblemList } from './problem-list.js';

export interface ValidateContext {
  layerId: string;
  /** the layer's geometry type, e.g. 'Polygon' */
  geometryType: string;
  mode: 'replace' | 'append';
  repair: boolean;
  problems: ProblemList;
  /**
   * staging put `code` into fid (column `auto`) where the file gave no id; keep those only
   * when no feature had an id of its own and every feature had a code (see stageFeatures)
   */
  codeIds?: { anyFileId: boolean; allHaveCode: boolean };
  /**
   * the staged rows the per-row checks may report or change (stageFeatures' screen); the others
   * passed them all as they were staged. Absent: every row is checked.
   */
  suspects?: number[];
  /** staging saw no id repeat (StageStats.idsUnique): no duplicates to look for */
  idsUnique?: boolean;
  /** staging saw no code as id longer than an id may be (StageStats.autoIdsShort) */
  autoIdsShort?: boolean;
}

/** declared vs computed area: differences above this share are reported */
const AREA_TOLERANCE = 0.001;

/** `and` the row is one of ctx.suspects (nothing when every row is to be checked) */
const onlySuspects = (ctx: ValidateContext, alias = '') =>
  ctx.suspects ? sql`and ${sql.raw(alias ? `${alias}.` : '')}idx = any(${ctx.suspects}::int[])` : sql``;

/** the feature's box for the viewer to zoom to (EPSG:4490 degrees) */
const BOX = sql<number[]>`array[ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)]`;
const box = (b: number[] | null) => (b && b.length === 4 ? { bbox: b as [number, number, number, number] } : {});

const dimension = (type: string) => (/Polygon/i.test(type) ? 3 : /Line/i.test(type) ? 2 : 1);
const single = (type: string) => type.replace(/^Multi/i, '').toUpperCase();

/**
 * Coordinates that are not lon/lat after the transform (a wrong CRS): reported, removed. The
 * store's generated EPSG:3857 column could not hold them (Web Mercator ends at ±85.06°).
 */
async function checkRange(trx: Transaction<Schema>, ctx: ValidateContext): Promise<void> {
  const out = notLonLat(sql`geom`);
  const rows = await sql<{ idx: number; line: number | null }>`
    select idx, line from upload_staging where geom is not null and not ST_IsEmpty(geom) and ${out} ${onlySuspects(ctx)} order by idx`.execute(trx);
  for (const r of rows.rows) {
    ctx.problems.error({ feature: r.idx, line: r.line ?? undefined, field: 'crs', message: '转换后坐标超出经纬度范围：坐标系是否正确？ (coordinates out of lon/lat range after the transform: wrong crs?)' });
  }
  await removeRows(trx, rows.rows.map((r) => r.idx));
}

/** delete staged rows by index (reported rows; by key, not by re-evaluating the test) */
async function removeRows(trx: Transaction<Schema>, idxs: number[]): Promise<void> {
  if (idxs.length) await sql`delete from upload_staging where idx = any(${idxs}::int[])`.execute(trx);
}

/** The repaired geometry: areal layers part by part, overlapping parts merged (db/make-valid.ts). */
function repairSql(geometryType: string) {
  const dim = dimension(geometryType);
  return dim === 3 ? validAreal(sql`geom`) : sql`ST_CollectionExtract(ST_MakeValid(geom), ${dim}::int)`;
}

async function checkEmptyAndValid(trx: Transaction<Schema>, ctx: ValidateContext): Promise<void> {
  const empty = await sql<{ idx: number; line: number | null }>`
    select idx, line from upload_staging where (geom is null or ST_IsEmpty(geom)) ${onlySuspects(ctx)} order by idx`.execute(trx);
  for (const r of empty.rows) {
    ctx.problems.error({ feature: r.idx, line: r.line ?? undefined, field: 'geometry', message: '转换后几何为空或退化（点数不足） (empty or degenerate geometry)' });
  }
  await removeRows(trx, empty.rows.map((r) => r.idx));
  if (!ctx.repair) {
    const bad = await sql<{ idx: number; line: number | null; reason: string; x: number | null; y: number | null }>`
      select idx, line, (d).reason, ST_X((d).location) as x, ST_Y((d).location) as y
      from (select idx, line, ST_IsValidDetail(geom) as d from upload_staging where not ST_IsValid(geom) ${onlySuspects(ctx)}) v order by idx`.execute(trx);
    for (const r of bad.rows) {
      const at = r.x !== null && r.y !== null ? { location: [r.x, r.y] as [number, number] } : {};
      const where = at.location ? ` [${r.x!.toFixed(7)} ${r.y!.toFixed(7)}]` : '';
      ctx.problems.error({ feature: r.idx, line: r.line ?? undefined, field: 'geometry', ...at, message: `几何图形无效：${r.reason}${where}（EPSG:4490；repair=true 可自动修复） (invalid geometry)` });
    }
    // Reported; removed so later checks (ST_Covers) never meet a GEOS topology error.
    await removeRows(trx, bad.rows.map((r) => r.idx));
    return;
  }
  const fixed = await sql<{ idx: number; line: number | null; reason: string; type: string | null; parts: number; before: number; after: number; ok: boolean }>`
    with bad as (
      select idx, line, geom as old, ST_IsValidReason(geom) as reason, ${repairSql(ctx.geometryType)} as fixed
      from upload_staging where not ST_IsValid(geom) ${onlySuspects(ctx)}),
    upd as (update upload_staging s set geom = b.fixed from bad b where s.idx = b.idx returning s.idx)
    select idx, line, reason, GeometryType(fixed) as type, ST_NumGeometries(fixed) as parts,
      ST_Area(old) as before, ST_Area(fixed) as after, (not ST_IsEmpty(fixed) and ST_IsValid(fixed)) as ok
    from bad order by idx`.execute(trx);
  for (const r of fixed.rows) {
    const where = { feature: r.idx, line: r.line ?? undefined, field: 'geometry' };
    if (!r.ok) {
      ctx.problems.error({ ...where, message: `几何图形无效且无法修复：${r.reason} (invalid geometry, repair failed)` });
      continue;
    }
    const change = r.before > 0 ? ((r.after - r.before) / r.before) * 100 : 0;
    ctx.problems.warn({
      ...where,
      message: `已修复无效几何（${r.reason}）：现为 ${r.type}，${r.parts} 部分，面积变化 ${change.toFixed(2)}% (repaired with ST_MakeValid)`,
    });
  }
  await sql`delete from upload_staging where (geom is null or ST_IsEmpty(geom) or not ST_IsValid(geom)) ${onlySuspects(ctx)}`.execute(trx);
}

async function checkTypes(trx: Transaction<Schema>, ctx: ValidateContext): Promise<void> {
  const want = ctx.geometryType.toUpperCase();
  const rows = await sql<{ idx: number; line: number | null; type: string; parts: number; bbox: number[] }>`
    select idx, line, GeometryType(geom) as type, ST_NumGeometries(geom) as parts, ${BOX} as bbox from upload_staging
    where GeometryType(geom) <> ${want} ${onlySuspects(ctx)} order by idx`.execute(trx);
  const convert: number[] = [];
  for (const r of rows.rows) {
    const where = { feature: r.idx, line: r.line ?? undefined, field: 'geometry', ...box(r.bbox) };
    if (want.startsWith('MULTI') && single(want) === r.type) continue; // ST_Multi on write
    if (!want.startsWith('MULTI') && r.type === `MULTI${want}` && r.parts === 1) {
      convert.push(r.idx);
      ctx.problems.warn({ ...where, message: `单部分 ${r.type} 已转换为 ${ctx.geometryType} (single-part ${r.type} converted)` });
      continue;
    }
    const detail = r.type === `MULTI${want}` ? `，有 ${r.parts} 个部分` : '';
    ctx.problems.error({ ...where, message: `几何类型 ${r.type}${detail} 与图层类型 ${ctx.geometryType} 不符 (geometry type does not match the layer)` });
  }
  if (convert.length) await sql`update upload_staging set geom = ST_GeometryN(geom, 1) where idx = any(${convert}::int[])`.execute(trx);
}

/** true when it gave up codes staged as ids (some staged id changed) */
async function checkIds(trx: Transaction<Schema>, ctx: ValidateContext): Promise<boolean> {
  // No ids in the file: a complete, unique `code` is the natural key (so replace uploads diff
  // well). Staging already put it in fid (auto); take it back when that rule does not hold.
  // the repeated ids first (a hash aggregate, no ordered aggregate over every row), then their rows
  const duplicates = () =>
    sql<{ fid: string; idxs: number[]; lines: (number | null)[] }>`
      with d as (select fid from upload_staging where fid is not null group by fid having count(*) > 1)
      select s.fid, array_agg(s.idx order by s.idx) as idxs, array_agg(s.line order by s.idx) as lines from upload_staging s join d on d.fid = s.fid
      group by s.fid order by min(s.idx)`.execute(trx);
  const none = { rows: [] as { fid: string; idxs: number[]; lines: (number | null)[] }[] };
  // fewer ids (auto ones dropped below) cannot repeat where all of them did not
  const repeats = () => (ctx.idsUnique ? none : duplicates());
  let dups = await repeats();
  const codes = ctx.codeIds;
  // a code longer than an id may be (200) is a description, not a key
  const longCode = async () =>
    !ctx.autoIdsShort &&
    (await sql<{ long: boolean }>`select exists (select 1 from upload_staging where auto and length(fid) > ${FID_MAX}) as long`.execute(trx)).rows[0].long;
  let dropped = 0;
  if (codes && (codes.anyFileId || !codes.allHaveCode || dups.rows.length || (await longCode()))) {
    const u = await sql<{ n: number }>`with u as (update upload_staging set fid = null where auto returning 1) select count(*)::int as n from u`.execute(trx);
    dropped = u.rows[0].n;
    dups = await repeats();
  }
  // a TXT's parcels are named by their header line too (staging keeps it; null for other formats)
  const onLine = (line: number | null | undefined) => (line === null || line === undefined ? {} : { line });
  for (const d of dups.rows) {
    d.idxs.slice(1).forEach((idx, k) => {
      ctx.problems.error({ feature: idx, ...onLine(d.lines[k + 1]), field: 'id', message: `要素编号“${d.fid}”重复（与要素 ${d.idxs[0]} 相同） (duplicate feature id)` });
    });
  }
  if (ctx.mode === 'append') {
    const clash = await sql<{ idx: number; fid: string; line: number | null }>`
      select s.idx, s.fid, s.line from upload_staging s join features f
        on f.layer_id = ${ctx.layerId} and f.valid_to is null and f.fid = s.fid order by s.idx`.execute(trx);
    for (const c of clash.rows) ctx.problems.error({ feature: c.idx, ...onLine(c.line), field: 'id', message: `要素编号“${c.fid}”在图层中已存在（追加模式） (id already exists; append mode)` });
  }
  return dropped > 0;
}

async function checkCounty(trx: Transaction<Schema>, ctx: ValidateContext): Promise<void> {
  if (ctx.layerId === COUNTY_LAYER) return;
  const rows = await sql<{ idx: number; line: number | null; touches: boolean; bbox: number[] }>`
    with county as (${countyRows})
    select s.idx, s.line, array[ST_XMin(s.geom), ST_YMin(s.geom), ST_XMax(s.geom), ST_YMax(s.geom)] as bbox, exists (select 1 from county c where ST_Intersects(c.geom, s.geom)) as touches
    from upload_staging s
    where exists (select 1 from county) ${onlySuspects(ctx, 's')}
      and not exists (select 1 from county c where ST_Covers(c.geom, s.geom))
    order by s.idx`.execute(trx);
  for (const r of rows.rows) {
    ctx.problems.warn({
      feature: r.idx,
      line: r.line ?? undefined,
      field: 'geometry',
      ...box(r.bbox),
      message: r.touches ? '部分位于德惠市行政区之外 (partly outside the county)' : '完全位于德惠市行政区之外：坐标系是否正确？ (wholly outside the county: wrong CRS?)',
    });
  }
}

async function checkDeclaredArea(trx: Transaction<Schema>, ctx: ValidateContext): Promise<void> {
  const rows = await sql<{ idx: number; line: number | null; declared: number; computed: number }>`
    select idx, line, (properties->>'declared_area_ha')::float8 as declared, ST_Area(geom::geography) / 10000 as computed
    from upload_staging where jsonb_typeof(properties->'declared_area_ha') = 'number' ${onlySuspects(ctx)} order by idx`.execute(trx);
  for (const r of rows.rows) {
    if (r.computed > 0 && Math.abs(r.declared - r.computed) / r.computed > AREA_TOLERANCE) {
      ctx.problems.warn({
        feature: r.idx,
        line: r.line ?? undefined,
        field: '地块面积',
        message: `申报面积 ${r.declared} 公顷与计算的椭球面积 ${r.computed.toFixed(4)} 公顷不符 (declared area differs from the computed ellipsoidal area)`,
      });
    }
  }
}

/**
 * All checks; problems go to ctx.problems. Invalid and empty rows are removed from staging.
 * `idsChanged`: the codes staged as ids were given up (ids are generated instead).
 */
export async function validateStaged(trx: Transaction<Schema>, ctx: ValidateContext): Promise<{ idsChanged: boolean }> {
  const perRow = !ctx.suspects || ctx.suspects.length > 0;
  if (perRow) {
    await checkRange(trx, ctx);
    await checkEmptyAndValid(trx, ctx);
    await checkTypes(trx, ctx);
  }
  const idsChanged = await checkIds(trx, ctx);
  if (perRow) {
    await checkCounty(trx, ctx);
    await checkDeclaredArea(trx, ctx);
  }
  return { idsChanged };
}
