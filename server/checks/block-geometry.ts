/**
 * The proposed block in PostGIS: source CRS → EPSG:4490 MultiPolygon, validity repaired, area.
 *
 * Decision (documented in README.md): an invalid ring (self-intersection, bow-tie) is REPAIRED
 * with ST_MakeValid in the source CRS, part by part, overlapping parts merged (db/make-valid.ts), and the check goes on, with a warning that names where
 * (ST_IsValidDetail's location, and for a TXT the nearest 界址点 and its line) — a planner
 * pasting a surveyor's file wants the report, and the warning tells them to fix the file.
 * A block that still has no area after repair is refused (422).
 * A block far outside Jilin (wrong zone, swapped axes the parser could not detect) is checked
 * with a warning; the county rule then reports it outside the plan area (review).
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Schema } from '../db/schema.js';
import { type InputProblem, PayloadTooLargeError, UnprocessableError } from '../errors.js';
import { JILIN_BOUNDS } from '../ingest/gauss-kruger.js';
import { validAreal } from '../db/make-valid.js';
import { areaSql } from './areas.js';
import type { SourceGeometry } from './input-geometry.js';

export interface Block {
  /** hex EWKB of the block, EPSG:4490 MultiPolygon: bound back into later queries losslessly */
  ewkb: string;
  /** m², ellipsoidal (ST_Area on geography) */
  areaM2: number;
  /** [minLon, minLat, maxLon, maxLat], EPSG:4490 degrees */
  bbox: [number, number, number, number];
  warnings: InputProblem[];
  repaired: boolean;
}

/** The source geometry as an SQL expression in its own CRS. */
const sourceExpr = (src: SourceGeometry): RawBuilder<unknown> => sql`ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(src.geometry)}), ${src.projString ? 0 : src.srid}::int)`;

/** to EPSG:4490; WGS84 is taken as CGCS2000 (they differ by centimetres, PostGIS has no grid between them). */
function toCgcs2000(src: SourceGeometry, g: RawBuilder<unknown>): RawBuilder<unknown> {
  if (src.projString) return sql`ST_Transform(${g}, ${src.projString}::text, 4490)`;
  if (src.srid === 4490) return g;
  if (src.srid === 4326) return sql`ST_SetSRID(${g}, 4490)`;
  return sql`ST_Transform(${g}, 4490)`;
}

/**
 * The longest block boundary checked, in degrees (EPSG:4490, planar): 100° is ~200 000 points at
 * AREA_SEGMENT_DEG, thirty times Dehui's own boundary; beyond it the densified area would not fit.
 */
export const MAX_PERIMETER_DEG = 100;

/**
 * `also`: an expression the caller wants from the same round trip (runCheck: the layers' state
 * and the transaction's settings), returned as `also`.
 */
export async function buildBlock<T = unknown>(db: Kysely<Schema>, src: SourceGeometry, also?: RawBuilder<T>): Promise<Block & { also: T | null }> {
  const warnings: InputProblem[] = [...src.warnings];
  // One statement: validity (with where), repair in the source CRS (where the block was drawn,
  // only when invalid; areal parts kept), transform, area (areas.ts).
  // The area (and every overlap after it) densifies edges to AREA_SEGMENT_DEG: bounded by the
  // block's perimeter first, or a few hundred vertices spanning the globe become ~10⁸ points.
  const result = await sql<{ valid: boolean; reason: string | null; x: number | null; y: number | null; ewkb: string | null; area: number | null; perimeter: number | null; xmin: number; ymin: number; xmax: number; ymax: number; also: T | null }>`
    select ${also ?? sql`null`} as also, d.valid, d.reason, ST_X(d.location) as x, ST_Y(d.location) as y, t.perimeter,
           ST_AsHexEWKB(t.b) as ewkb, case when t.perimeter <= ${MAX_PERIMETER_DEG}::float8 then ${areaSql(sql.ref('t.b'))} end as area,
           ST_XMin(t.b) as xmin, ST_YMin(t.b) as ymin, ST_XMax(t.b) as xmax, ST_YMax(t.b) as ymax
    from (select ${sourceExpr(src)} as g) s
    cross join lateral (select (ST_IsValidDetail(s.g)).*) d
    cross join lateral (select b, ST_Perimeter(b) as perimeter from (select ST_Multi(${toCgcs2000(src, sql`(case when d.valid then s.g else ${validAreal(sql`s.g`)} end)`)}) as b) m) t`.execute(db);
  const row = result.rows[0];
  if (row.perimeter !== null && row.perimeter > MAX_PERIMETER_DEG) {
    throw new PayloadTooLargeError(
      `区块边界总长约 ${Math.round(row.perimeter)}°，超过上限 ${MAX_PERIMETER_DEG}°（德惠市边界约 3°）：坐标系或坐标是否正确？ (the block's boundary is too long to check)`,
      { limit: 'blockPerimeterDeg', max: MAX_PERIMETER_DEG, actual: Math.round(row.perimeter), field: src.format === 'txt' ? '地块坐标' : 'geometry' },
    );
  }
  if (!row.valid) warnings.push(repairWarning(src, row.reason ?? 'invalid', row.x, row.y));
  if (!row.ewkb || !row.area || row.area <= 0) {
    const message = '区块没有面积（空几何或修复后无面） (the block has no area, even after repair)';
    throw new UnprocessableError(message, { problems: [{ field: src.format === 'txt' ? '地块坐标' : 'geometry', severity: 'error', message }] });
  }
  const bbox: Block['bbox'] = [row.xmin, row.ymin, row.xmax, row.ymax];
  const b = JILIN_BOUNDS;
  if (bbox[2] < b.minLon || bbox[0] > b.maxLon || bbox[3] < b.minLat || bbox[1] > b.maxLat) {
    warnings.push({
      severity: 'warning',
      field: src.format === 'txt' ? '带号' : 'crs',
      message: `区块位于吉林省以外（约 ${((bbox[1] + bbox[3]) / 2).toFixed(3)}°N ${((bbox[0] + bbox[2]) / 2).toFixed(3)}°E），请核对坐标系、带号和X/Y顺序 (the block lies outside Jilin: check crs, zone and axis order)`,
    });
  }
  return { ewkb: row.ewkb, areaM2: row.area, bbox, warnings, repaired: !row.valid, also: row.also };
}

function repairWarning(src: SourceGeometry, reason: string, x: number | null, y: number | null): InputProblem {
  const at = x === null || y === null ? '' : src.srid === 4490 || src.srid === 4326 ? `经度${x.toFixed(7)} 纬度${y.toFixed(7)}` : `X(北)=${y.toFixed(3)} Y(东)=${x.toFixed(3)}`;
  const near = x !== null && y !== null && src.points?.length ? nearestPoint(src.points, x, y) : null;
  return {
    severity: 'warning',
    field: src.format === 'txt' ? '地块坐标' : 'geometry',
    ...(near ? { line: near.line } : {}),
    message: `区块几何无效（${reason}，位于 ${at}${near ? `，邻近界址点 ${near.name}（第${near.line}行）` : ''}），已用 ST_MakeValid 修复后检查，请核对原始坐标 (invalid geometry: ${reason} at ${at}; repaired with ST_MakeValid)`,
  };
}

function nearestPoint(points: NonNullable<SourceGeometry['points']>, x: number, y: number) {
  let best = points[0];
  let bestD = Infinity;
  for (const p of points) {
    const d = (p.x - x) ** 2 + (p.y - y) ** 2;
    if (d < bestD) [best, bestD] = [p, d];
  }
  return best;
}
