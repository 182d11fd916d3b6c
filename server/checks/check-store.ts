/**
 * Persistence of check reports (migrations/003_checks.sql). Rows are not API objects: the
 * stored report JSON is the API object; geometry leaves as GeoJSON (EPSG:4490) or, for the
 * printable report, as coordinates in EPSG:4530 (GK zone 42, metres).
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { searchBox3857 } from '../db/spatial-search.js';
import { NotFoundError } from '../errors.js';
import type { CheckReport } from './check-report.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The report row. Its pieces (check_overlaps) are written earlier in the same transaction by the
 * spatial statement (overlap-query.ts); the foreign key is deferred to commit (migration 006).
 */
export async function insertCheck(db: Kysely<Schema>, report: CheckReport, blockEwkb: string, role: string | null): Promise<void> {
  await sql`insert into checks (id, created_at, actor, role, name, activity, mineral, verdict, area_m2, report, geom)
    values (${report.id}::uuid, ${report.createdAt}::timestamptz, ${report.createdBy}, ${role}, ${report.name}, ${report.activity}, ${report.mineral},
            ${report.verdict}, ${report.block.area.m2}, ${JSON.stringify(report)}::jsonb, ${blockEwkb}::geometry)`.execute(db);
}

/**
 * A piece's finding: the report's finding of its rule (one finding per rule). Rows written
 * before migration 006 carry the index itself.
 */
const findingIndex = (report: CheckReport) => JSON.stringify(Object.fromEntries(report.findings.map((f, i) => [f.ruleId, i])));
const findingOf = (report: CheckReport) => sql<number>`coalesce(o.finding, (${findingIndex(report)}::jsonb ->> o.rule_id)::int)`;

export async function getCheckReport(db: Kysely<Schema>, id: string): Promise<CheckReport> {
  if (!UUID.test(id)) throw new NotFoundError(`检查报告不存在 (no check "${id}")`, { check: id });
  const row = await sql<{ report: CheckReport | string }>`select report from checks where id = ${id}::uuid`.execute(db);
  if (!row.rows[0]) throw new NotFoundError(`检查报告不存在 (no check "${id}")`, { check: id });
  const r = row.rows[0].report;
  return typeof r === 'string' ? JSON.parse(r) : r;
}

/** The overlap pieces as a GeoJSON FeatureCollection text, EPSG:4490 lon/lat, 9 decimals (~0.1 mm). */
export async function overlapsGeoJson(db: Kysely<Schema>, id: string): Promise<string> {
  const report = await getCheckReport(db, id);
  const rows = await sql<{ f: string }>`
    select json_build_object('type', 'Feature', 'id', o.id::text,
      'properties', json_build_object('finding', ${findingOf(report)}, 'ruleId', o.rule_id, 'verdict', o.verdict, 'layer', o.layer_id,
        'featureId', o.fid, 'role', o.role, 'areaM2', round(o.area_m2::numeric, 2)),
      'geometry', ST_AsGeoJSON(o.geom, 9)::json)::text as f
    from check_overlaps o where o.check_id = ${id}::uuid order by ${findingOf(report)}, o.role desc, o.area_m2 desc`.execute(db);
  const head = JSON.stringify({ type: 'FeatureCollection', checkId: report.id, verdict: report.verdict });
  return `${head.slice(0, -1)},"features":[${rows.rows.map((r) => r.f).join(',')}]}`;
}

/** Rings of a geometry in a zone-prefixed CGCS2000 GK CRS (EPSG:4530 for Dehui), metres: [easting, northing]. */
export type ProjectedRings = [number, number][][];

export interface ReportGeometry {
  block: ProjectedRings[];
  pieces: { finding: number; verdict: string; role: string; rings: ProjectedRings[] }[];
  context: { layer: string; rings: ProjectedRings[] }[];
}

/**
 * Everything the printable map and coordinate list need, projected to `srid` (GK, metres) by PostGIS.
 * Context = current features of `contextLayers` near the block (GiST), simplified to ~1 m.
 * srid 4490 (lon/lat, for a block no GK zone holds): the same at degree precision.
 */
export async function reportGeometry(db: Kysely<Schema>, report: CheckReport, contextLayers: string[], srid = 4530, contextLimit = 400): Promise<ReportGeometry> {
  const id = report.id;
  // decimals of the block, the pieces, the context; context simplification (~1 m)
  const [dBlock, dPiece, dContext, simplify] = srid === 4490 ? [7, 6, 5, 1e-5] : [3, 2, 1, 1];
  const block = await sql<{ g: string }>`select ST_AsGeoJSON(ST_Transform(geom, ${srid}::int), ${dBlock}::int) as g from checks where id = ${id}::uuid`.execute(db);
  if (!block.rows[0]) throw new NotFoundError(`检查报告不存在 (no check "${id}")`, { check: id });
  const pieces = await sql<{ finding: number; verdict: string; role: string; g: string }>`
    select ${findingOf(report)} as finding, o.verdict, o.role, ST_AsGeoJSON(ST_Transform(o.geom, ${srid}::int), ${dPiece}::int) as g from check_overlaps o
    where o.check_id = ${id}::uuid and o.role <> 'feature' order by 1`.execute(db);
  const context = contextLayers.length
    ? await sql<{ layer_id: string; g: string }>`
        with e as (select ST_Expand(geom, greatest(ST_XMax(geom) - ST_XMin(geom), ST_YMax(geom) - ST_YMin(geom)) * 0.25 + 0.002) as g from checks where id = ${id}::uuid),
        b as materialized (select e.g, ${searchBox3857(sql`e.g`)} as box from e)
        select f.layer_id, ST_AsGeoJSON(ST_SimplifyPreserveTopology(ST_Transform(ST_ClipByBox2D(f.geom, b.g::box2d), ${srid}::int), ${simplify}::float8), ${dContext}::int) as g
        from features f, b where f.layer_id in (${sql.join(contextLayers)}) and f.valid_to is null and f.geom_3857 && b.box
        limit ${contextLimit}`.execute(db)
    : { rows: [] };
  return {
    block: polygonsOf(block.rows[0].g),
    pieces: pieces.rows.map((p) => ({ finding: p.finding, verdict: p.verdict, role: p.role, rings: polygonsOf(p.g) })),
    context: context.rows.map((c) => ({ layer: c.layer_id, rings: polygonsOf(c.g) })),
  };
}

function polygonsOf(text: string): ProjectedRings[] {
  const g = JSON.parse(text) as { type: string; coordinates: unknown; geometries?: { type: string; coordinates: unknown }[] };
  if (g.type === 'Polygon') return [g.coordinates as ProjectedRings];
  if (g.type === 'MultiPolygon') return g.coordinates as ProjectedRings[];
  if (g.type === 'GeometryCollection') return (g.geometries ?? []).flatMap((x) => polygonsOf(JSON.stringify(x)));
  return [];
}
