/**
 * Feature reads: current or "as of" a version, paged, bbox- and property-filtered.
 * GeoJSON is built by PostGIS and passed through as text: no parse/serialise round trip in Node.
 */
import type { MultiPolygon, Polygon } from 'geojson';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Schema } from '../db/schema.js';
import { searchBox3857 } from '../db/spatial-search.js';

export interface ItemsQuery {
  layerId: string;
  /** read the layer as it was at this version; undefined = current */
  version?: number;
  /** intersects filter: the box (two across the antimeridian, server/ogc/bbox.ts) in x/y order, in `bboxSrid` units (EPSG:4490 lon/lat by default) */
  bbox?: { geometry: Polygon | MultiPolygon };
  bboxSrid?: number;
  /** equality filters on properties (names already checked against the layer's attributes) */
  /** an extra, already-parameterised predicate on alias `f` (e.g. compiled CQL2) */
  where?: RawBuilder<boolean>;
  limit: number;
  offset: number;
  /** output SRID; 4490 (lon/lat) by default */
  outSrid?: number;
  /** swap to lat/lon for CRSs whose authority axis order is northing first (EPSG:4490/4326) */
  flipAxes?: boolean;
  /** decimals in the output coordinates */
  decimals?: number;
}

export interface ItemsPage {
  /** each element is one GeoJSON Feature as JSON text */
  features: string[];
  numberMatched: number;
  /** the layer's version in the page's snapshot: the page is exactly that version (or q.version's) */
  layerVersion: number;
}

/** rows visible at a version: valid_from ≤ v < valid_to */
export function visibleAt(version: number | undefined): RawBuilder<boolean> {
  return version === undefined
    ? sql<boolean>`f.valid_to is null`
    : sql<boolean>`(f.valid_from <= ${version} and (f.valid_to is null or f.valid_to > ${version}))`;
}

function predicates(q: ItemsQuery): RawBuilder<boolean> {
  const parts: RawBuilder<unknown>[] = [sql`f.layer_id = ${q.layerId}`, visibleAt(q.version)];
  if (q.bbox) {
    const srid = q.bboxSrid ?? 4490;
    const area = sql`ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(q.bbox.geometry)}::text), ${srid}::int)`;
    const env = srid === 4490 ? area : sql`ST_Transform(ST_Segmentize(${area}, ${srid === 3857 || srid > 4500 ? 1000 : 0.01}::float8), 4490)`;
    parts.push(sql`f.geom_3857 && ${searchBox3857(env)} and ST_Intersects(f.geom, ${env})`);
  }
  if (q.where) parts.push(q.where);
  return sql.join(parts, sql` and `) as RawBuilder<boolean>;
}

function geometryJson(q: ItemsQuery): RawBuilder<unknown> {
  const decimals = q.decimals ?? (q.outSrid && q.outSrid !== 4490 && q.outSrid !== 4326 ? 3 : 9);
  let g: RawBuilder<unknown> = sql`f.geom`;
  if (q.outSrid && q.outSrid !== 4490) g = sql`ST_Transform(${g}, ${q.outSrid}::int)`;
  if (q.flipAxes) g = sql`ST_FlipCoordinates(${g})`;
  return sql`ST_AsGeoJSON(${g}, ${decimals}::int, 0)::json`;
}

/**
 * A page of features, their total and the layer's version, read in one snapshot (REPEATABLE READ):
 * an edit committing between the statements would otherwise give a page of version N+1 labelled N,
 * or a numberMatched that disagrees with the page (found by a review).
 */
export async function readItems(db: Kysely<Schema>, q: ItemsQuery): Promise<ItemsPage> {
  const where = predicates(q);
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const layer = await sql<{ version: number }>`select version from layers where id = ${q.layerId}`.execute(trx);
      const rows = await sql<{ feature: string }>`
        select json_build_object('type', 'Feature', 'id', f.fid, 'geometry', ${geometryJson(q)}, 'properties', f.properties)::text as feature
        from features f where ${where}
        order by f.fid
        limit ${q.limit} offset ${q.offset}`.execute(trx);
      const count = await sql<{ n: number }>`select count(*)::int as n from features f where ${where}`.execute(trx);
      return { features: rows.rows.map((r) => r.feature), numberMatched: count.rows[0].n, layerVersion: layer.rows[0]?.version ?? 0 };
    });
}

/** one feature as GeoJSON text, and the layer version that wrote its row (its ETag: server/ogc/item-etag.ts) */
export async function readItem(
  db: Kysely<Schema>,
  q: Pick<ItemsQuery, 'layerId' | 'version' | 'outSrid' | 'flipAxes' | 'decimals'> & { fid: string },
): Promise<{ feature: string; writtenIn: number } | null> {
  const rows = await sql<{ feature: string; written_in: number }>`
    select json_build_object('type', 'Feature', 'id', f.fid, 'geometry', ${geometryJson({ ...q, limit: 1, offset: 0 })}, 'properties', f.properties)::text as feature,
      f.valid_from as written_in
    from features f where f.layer_id = ${q.layerId} and ${visibleAt(q.version)} and f.fid = ${q.fid}`.execute(db);
  const row = rows.rows[0];
  return row ? { feature: row.feature, writtenIn: row.written_in } : null;
}
