/**
 * The spatial questions a check asks PostGIS, set-based and index-driven: every candidate is
 * found with `f.geom && block` (GiST on features.geom) then ST_Intersects; areas are
 * ST_Area(ST_Segmentize(…, 0.0001)::geography), m², ellipsoidal (why segmentize: areas.ts). Per layer, the overlap area is the area of the union
 * of the clipped pieces (features of one layer may overlap each other), summed in SQL, and only
 * the `topN` largest features come back (with the total count).
 * Layer ids and property names come from rules.json (checked in rules.ts), never from a request;
 * all values are bound.
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { MIN_OVERLAP_M2 } from './rules.js';

export interface FeatureHit {
  fid: string;
  name: string;
  /** m², ellipsoidal: this feature's own overlap with the block */
  areaM2: number;
  /** hex EWKB, EPSG:4490: the clipped piece */
  piece: string;
}

export interface LayerOverlap {
  layer: string;
  /** features with an overlap above MIN_OVERLAP_M2 */
  count: number;
  /** m², ellipsoidal, of the union of all pieces */
  areaM2: number;
  /** hex EWKB, EPSG:4490, of that union */
  union: string;
  /** the topN largest, area descending */
  top: FeatureHit[];
}

export interface Containment {
  /** m², ellipsoidal, of the block outside the union of matching features */
  outsideM2: number;
  /** hex EWKB, EPSG:4490; null when nothing lies outside */
  outside: string | null;
  count: number;
  top: FeatureHit[];
}

/** Overlaps of the block (hex EWKB, EPSG:4490) with the current features of each layer, one query. */
export async function queryOverlaps(db: Kysely<Schema>, blockEwkb: string, layers: string[], topN: number): Promise<Map<string, LayerOverlap>> {
  const out = new Map<string, LayerOverlap>();
  if (layers.length === 0) return out;
  const rows = await sql<{ layer_id: string; n: number; area: number; u: string; top: FeatureHit[] }>`
    with b as (select ${blockEwkb}::geometry as g),
    hits as (
      select f.layer_id, f.fid, coalesce(f.properties->>'name', f.properties->>'code', f.fid) as name,
             ST_CollectionExtract(ST_Intersection(f.geom, b.g), 3) as piece
      from features f, b
      where f.layer_id in (${sql.join(layers)}) and f.valid_to is null and f.geom && b.g and ST_Intersects(f.geom, b.g)
    ),
    measured as (select h.*, ST_Area(ST_Segmentize(h.piece, 0.0001)::geography) as area from hits h),
    ranked as (
      select m.*, row_number() over (partition by m.layer_id order by m.area desc, m.fid) as rn
      from measured m where m.area > ${MIN_OVERLAP_M2}
    ),
    grouped as (
      select layer_id, count(*)::int as n, ST_UnaryUnion(ST_Collect(piece)) as u,
             jsonb_agg(jsonb_build_object('fid', fid, 'name', name, 'areaM2', area, 'piece', ST_AsHexEWKB(piece)) order by rn)
               filter (where rn <= ${topN}) as top
      from ranked group by layer_id
    )
    -- the union is built once per layer (it is the costly step) and both measured and returned
    select layer_id, n, ST_Area(ST_Segmentize(u, 0.0001)::geography) as area, ST_AsHexEWKB(u) as u, top
    from grouped`.execute(db);
  for (const r of rows.rows) out.set(r.layer_id, { layer: r.layer_id, count: r.n, areaM2: r.area, union: r.u, top: parseJson(r.top) });
  return out;
}

/**
 * How much of the block lies outside the current features of `layer` (optionally only those whose
 * `match.property` equals `match.value`), and which features hold the rest. m², ellipsoidal.
 */
export async function queryContainment(
  db: Kysely<Schema>,
  blockEwkb: string,
  layer: string,
  match: { property: string; value: string } | null,
  topN: number,
): Promise<Containment> {
  const filter = match ? sql`and f.properties->>${match.property} = ${match.value}` : sql``;
  // outside = block − inside by area; the piece outside is only cut when there is one, with
  // snap-rounding at 1e-9° (~0.1 mm): PGlite's GEOS 3.14 silently drops the row when a floating
  // ST_Difference of a block and its own clipped pieces fails (PostgreSQL's GEOS does not).
  // A missing row is an error, never "nothing outside".
  const rows = await sql<{ n: number; outside_area: number; outside: string | null; top: FeatureHit[] | null }>`
    with b as (select ${blockEwkb}::geometry as g),
    hits as (
      select f.fid, coalesce(f.properties->>'name', f.properties->>'code', f.fid) as name,
             ST_CollectionExtract(ST_Intersection(f.geom, b.g), 3) as piece
      from features f, b
      where f.layer_id = ${layer} and f.valid_to is null ${filter} and f.geom && b.g and ST_Intersects(f.geom, b.g)
    ),
    measured as (select h.*, ST_Area(ST_Segmentize(h.piece, 0.0001)::geography) as area from hits h),
    kept as (select m.*, row_number() over (order by m.area desc, m.fid) as rn from measured m where m.area > ${MIN_OVERLAP_M2}),
    u as (select count(*)::int as n, ST_UnaryUnion(ST_Collect(piece)) as g from kept),
    a as (
      select u.n, u.g as inside, b.g as block,
             ST_Area(ST_Segmentize(b.g, 0.0001)::geography) - coalesce(ST_Area(ST_Segmentize(u.g, 0.0001)::geography), 0) as outside_area
      from b, u
    )
    select a.n, a.outside_area,
           case when a.outside_area <= ${MIN_OVERLAP_M2} then null
                when a.inside is null then ST_AsHexEWKB(a.block)
                else ST_AsHexEWKB(ST_CollectionExtract(ST_Difference(a.block, a.inside, 1e-9), 3)) end as outside,
           (select jsonb_agg(jsonb_build_object('fid', fid, 'name', name, 'areaM2', area, 'piece', ST_AsHexEWKB(piece)) order by rn) from kept where rn <= ${topN}) as top
    from a`.execute(db);
  const r = rows.rows[0];
  if (!r) throw new Error(`containment query returned no row (layer ${layer})`);
  const outsideM2 = r.outside_area > MIN_OVERLAP_M2 ? r.outside_area : 0;
  return { outsideM2, outside: outsideM2 > 0 ? r.outside : null, count: r.n, top: parseJson(r.top) ?? [] };
}

/** jsonb arrives parsed from pg and PGlite alike; tolerate text for safety. */
function parseJson<T>(v: T | string | null): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}
