/**
 * Spatial searches of the store (migration 010): `features` has ONE spatial index, the GiST of its
 * generated EPSG:3857 column, and every candidate search goes through it — then the exact test runs
 * on `geom` (EPSG:4490) as before.
 *
 * Web Mercator maps longitude to x and latitude to y, each monotonically (test/db/spatial-search.ts
 * checks that the installed PROJ does so): the EPSG:3857 box of a geometry is its EPSG:4490 box
 * transformed, so `f.geom_3857 && searchBox3857(g)` finds every row whose box meets g's — the rows
 * `f.geom && g` found, up to the rounding of the index's float4 boxes, which differs between the
 * two units (a few extra candidates within a metre of the box, which the exact test removes). Between
 * two stored features, compare their stored boxes: `a.geom_3857 && b.geom_3857`.
 */
import { sql, type RawBuilder } from 'kysely';

/** Web Mercator has no poles: latitudes are clamped to within 1e-9° of them (the store's grid). */
const MAX_LAT = 89.999999999;

/**
 * The EPSG:3857 search box of an EPSG:4490 geometry (for `f.geom_3857 && …`): its box, clamped to
 * ±180° and the latitudes above, transformed. A box wholly beyond them, an empty geometry or NULL
 * gives NULL, which matches nothing. (Clamping, not clipping: GEOS's clip drops a point or line
 * lying on the clip rectangle's edge, e.g. at longitude 180.)
 */
export function searchBox3857(g: RawBuilder<unknown>): RawBuilder<unknown> {
  const x0 = sql`greatest(ST_XMin(sb.g), -180)`;
  const y0 = sql`greatest(ST_YMin(sb.g), ${-MAX_LAT}::float8)`;
  const x1 = sql`least(ST_XMax(sb.g), 180)`;
  const y1 = sql`least(ST_YMax(sb.g), ${MAX_LAT}::float8)`;
  return sql`(select case when not ST_IsEmpty(sb.g) and ${x0} <= ${x1} and ${y0} <= ${y1}
      then ST_Transform(ST_MakeEnvelope(${x0}, ${y0}, ${x1}, ${y1}, 4490), 3857) end
    from (select ${g} as g) sb)`;
}
