/**
 * The spatial questions a check asks PostGIS — every overlap and containment rule at once, in ONE
 * statement, which also writes the pieces the report keeps (check_overlaps), so no geometry
 * travels through Node. Areas: areas.ts (m², ellipsoidal). Per feature near the block:
 *   - candidates from the GiST index (`geom_3857 && block's box`, db/spatial-search.ts), then ST_Intersects (prepared block);
 *   - a feature the block covers (ST_Covers) IS its piece: no ST_Intersection, and its area is
 *     its own, stored with its layer's coverage verification (coverage.ts); a feature that
 *     covers the whole block (county, big zones) has the block as its piece and the block's area;
 *     only features crossing the block's edge are clipped;
 *   - each feature's piece is cut once, whatever the number of rules reading its layer.
 * Per rule: the features of its layer (optionally only those whose property equals the request's
 * value), their count, the `topN` largest pieces, and the area: the SUM of the pieces for a layer
 * verified disjoint (coverage.ts), else the area of their union (features may overlap).
 * `inside` rules (containment/outside) report block − inside. Hits are decided here, by the same
 * thresholds the report states, so the stored pieces are exactly those of the findings:
 * an overlap rule is hit when some piece exceeds MIN_OVERLAP_M2, an inside rule when more than
 * MIN_OVERLAP_M2 of the block lies outside.
 * Layer ids and property names come from rules.json (checked in rules.ts), never from a request;
 * every value is bound.
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { searchBox3857 } from '../db/spatial-search.js';
import { areaSql } from './areas.js';
import { MIN_OVERLAP_M2 } from './rules.js';

export interface FeatureHit {
  fid: string;
  name: string;
  /** m², ellipsoidal: this feature's own overlap with the block */
  areaM2: number;
}

export interface SpatialRequest {
  ruleId: string;
  verdict: string;
  /** overlap: how much of the block lies on the layer; inside: how much lies outside it */
  kind: 'overlap' | 'inside';
  layer: string;
  match: { property: string; value: string } | null;
  /** the layer is verified disjoint at its current version: sum the pieces */
  disjoint: boolean;
}

export interface SpatialResult {
  ruleId: string;
  hit: boolean;
  /** features with a piece above MIN_OVERLAP_M2 */
  count: number;
  /** m², ellipsoidal: overlap (kind overlap) or the part of the block outside (kind inside) */
  areaM2: number;
  /** the topN largest pieces, area descending */
  top: FeatureHit[];
}

export interface SpatialQuery {
  /** hex EWKB, EPSG:4490 */
  blockEwkb: string;
  /** m², ellipsoidal (areas.ts), of the block */
  blockAreaM2: number;
  requests: SpatialRequest[];
  topN: number;
  /** store the findings' pieces under this check id (the check row follows in the same transaction) */
  storeFor: string | null;
}

export async function querySpatial(db: Kysely<Schema>, q: SpatialQuery): Promise<Map<string, SpatialResult>> {
  const out = new Map<string, SpatialResult>();
  if (q.requests.length === 0) return out;
  const layers = [...new Set(q.requests.map((r) => r.layer))];
  const req = JSON.stringify(q.requests.map((r, i) => ({ i, rule: r.ruleId, verdict: r.verdict, kind: r.kind, layer: r.layer, prop: r.match?.property ?? null, val: r.match?.value ?? null, disjoint: r.disjoint })));
  const blockArea = sql`${q.blockAreaM2}::float8`;
  const min = sql.lit(MIN_OVERLAP_M2);
  const topN = sql.lit(Math.max(0, Math.floor(q.topN)));
  const hitOf = sql`((r.kind = 'overlap' and m.n > 0) or (r.kind = 'inside' and ${blockArea} - m.area > ${min}))`;
  const store = q.storeFor
    ? sql`, stored as (
        insert into check_overlaps (check_id, rule_id, verdict, layer_id, fid, role, area_m2, geom)
        select ${q.storeFor}::uuid, r.rule, r.verdict, r.layer, null, 'union', m.area, m.whole
          from measured m join req r on r.i = m.i where r.kind = 'overlap' and m.n > 0
        union all
        -- snap-rounded (1e-9°, ~0.1 mm): PGlite's GEOS silently drops the row when a floating
        -- difference of a block and its own clipped pieces fails; the row count is checked below
        select ${q.storeFor}::uuid, r.rule, r.verdict, r.layer, null, 'outside', ${blockArea} - m.area,
               case when m.n = 0 then b.g
                    else ST_Multi(ST_CollectionExtract(ST_Difference(b.g, case when m.disjoint and m.n > 1 then ST_UnaryUnion(m.whole, 1e-9) else m.whole end, 1e-9), 3)) end
          from measured m join req r on r.i = m.i cross join b where r.kind = 'inside' and ${blockArea} - m.area > ${min}
        union all
        select ${q.storeFor}::uuid, r.rule, r.verdict, r.layer, k.fid, 'feature', k.area, k.piece
          from ranked k join measured m on m.i = k.i join req r on r.i = k.i where k.rn <= ${topN} and ${hitOf}
        returning 1
      )`
    : sql``;
  const rows = await sql<{ i: number; n: number; area: number; hit: boolean; expected: number; top: FeatureHit[] | string | null; stored: number | null }>`
    with b as materialized (select s.g, ${searchBox3857(sql`s.g`)} as box from (select ${q.blockEwkb}::geometry as g) s),
    req as materialized (
      select * from jsonb_to_recordset(${req}::jsonb) as r(i int, rule text, verdict text, kind text, layer text, prop text, val text, disjoint boolean)
    ),
    near as materialized (
      select f.layer_id, f.fid, f.properties, f.geom, fa.area_m2 as own_area,
             ST_Covers(b.g, f.geom) as inside, (f.geom ~ b.g and ST_Covers(f.geom, b.g)) as whole
      from features f cross join b left join check_feature_areas fa on fa.feature_id = f.id
      where f.layer_id in (${sql.join(layers)}) and f.valid_to is null and f.geom_3857 && b.box and ST_Intersects(f.geom, b.g)
    ),
    pieces as materialized (
      select n.layer_id, n.fid, n.properties, n.whole, p.piece,
             case when n.whole and not n.inside then ${blockArea}
                  when n.inside and n.own_area is not null then n.own_area
                  else ${areaSql(sql.ref('p.piece'))} end as area
      from near n cross join b
      cross join lateral (select case when n.inside then n.geom when n.whole then b.g
                                      else ST_CollectionExtract(ST_Intersection(n.geom, b.g), 3) end as piece) p
    ),
    ranked as materialized (
      select r.i, p.fid, coalesce(p.properties->>'name', p.properties->>'code', p.fid) as name, p.piece, p.area,
             row_number() over (partition by r.i order by p.area desc, p.fid) as rn
      from req r join pieces p on p.layer_id = r.layer and (r.prop is null or p.properties->>r.prop = r.val)
      where p.area > ${min}
    ),
    agg as materialized (
      select r.i, r.disjoint, count(k.fid)::int as n, coalesce(sum(k.area), 0) as sum_area,
             ST_CollectionExtract(ST_Collect(k.piece), 3) as pieces,
             jsonb_agg(jsonb_build_object('fid', k.fid, 'name', k.name, 'areaM2', k.area) order by k.rn) filter (where k.rn <= ${topN}) as top
      from req r left join ranked k on k.i = r.i group by r.i, r.disjoint
    ),
    unioned as materialized (
      -- a verified coverage (or a single piece): the pieces do not overlap, their areas add up;
      -- otherwise the union, built once and both measured and stored
      select a.i, a.n, a.top, a.disjoint, case when a.n <= 1 or a.disjoint then a.pieces else ST_UnaryUnion(a.pieces) end as whole, a.sum_area
      from agg a
    ),
    measured as materialized (
      select u.i, u.n, u.top, u.disjoint, u.whole, case when u.n <= 1 or u.disjoint then u.sum_area else ${areaSql(sql.ref('u.whole'))} end as area from unioned u
    )${store}
    select m.i, m.n, m.area, ${hitOf} as hit, case when ${hitOf} then 1 + least(m.n, ${topN}) else 0 end as expected, m.top,
           ${q.storeFor ? sql`(select count(*)::int from stored)` : sql`null::int`} as stored
    from measured m join req r on r.i = m.i order by m.i`.execute(db);
  let expected = 0;
  for (const r of rows.rows) {
    const request = q.requests[r.i];
    expected += Number(r.expected);
    const top = (typeof r.top === 'string' ? JSON.parse(r.top) : r.top) ?? [];
    const areaM2 = request.kind === 'overlap' ? r.area : Math.max(0, q.blockAreaM2 - r.area);
    out.set(request.ruleId, { ruleId: request.ruleId, hit: r.hit, count: r.n, areaM2, top });
  }
  if (q.storeFor && rows.rows.length && rows.rows[0].stored !== expected) {
    // a missing row is an error, never a finding without its geometry
    throw new Error(`check pieces: stored ${rows.rows[0].stored} of ${expected} rows`);
  }
  return out;
}
