/**
 * Spatial searches of the store (migration 010): `features` has ONE spatial index, the GiST of its
 * generated EPSG:3857 column, and every candidate search goes through it — then the exact test runs
 * on `geom` (EPSG:4490) as before.
 *
 * Web Mercator maps longitude to x and latitude to y, each monotonically: the EPSG:3857 box of a
 * geometry is exactly its EPSG:4490 box transformed, so `f.geom_3857 && searchBox3857(g)` selects
 * the rows `f.geom && g` would. Between two stored features, compare their stored boxes:
 * `a.geom_3857 && b.geom_3857`.
 */
import { sql, type RawBuilder } from 'kysely';

/**
 * Web Mercator has no poles: the search box is first clipped to latitudes within 1e-9° of them
 * (the store's grid, so every storable coordinate is inside; a stored row needs a finite
 * EPSG:3857 copy anyway). A box wholly beyond becomes empty and matches nothing.
 */
const MERCATOR_SAFE = sql`ST_MakeEnvelope(-180, -89.999999999, 180, 89.999999999, 4490)::box2d`;

/** the EPSG:3857 search box of an EPSG:4490 geometry (for `f.geom_3857 && …`) */
export function searchBox3857(g: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`ST_Transform(ST_ClipByBox2D(ST_Envelope(${g}), ${MERCATOR_SAFE}), 3857)`;
}
