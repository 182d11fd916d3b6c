/**
 * Area figures as a planner reads them, and the one SQL expression every area comes from.
 * Input is always m², ellipsoidal: ST_Area(ST_Segmentize(geom, AREA_SEGMENT_DEG)::geography)
 * (areaSql). Why segmentize: geography takes an edge as a geodesic, while geometry operations
 * (intersection, difference) and the official trapezoid formula take it as a straight line in
 * lon/lat; on a 4 km east–west edge at 44°N the two differ by ~0.3 m, so without densifying,
 * block = inside + outside fails by hundreds of m². The error of one edge grows with the cube of
 * its length (≈ 12.7 m² for 1 km east–west at 44°N), so edges of at most 0.0005° (≤ 40 m east–west,
 * 55 m north–south) leave ≤ 0.02 m² per km of edge, and areas additive to well under 1 m²:
 * on 884 parcel pieces (5.62 km²) the sum differs from 2 m edges by 0.03 m². Finer steps cost
 * geography-area time in proportion to the vertices (0.0001° made parcels 9× longer for 0.03 m²).
 * 1 亩 = 10000/15 m². km² to 4 decimals as mining-right areas are published; ha to 4 decimals as
 * the boundary-coordinate TXT declares them.
 */
import { sql, type RawBuilder } from 'kysely';

/** Longest edge, degrees, before a geometry's area is taken on the ellipsoid (see above). */
export const AREA_SEGMENT_DEG = 0.0005;

/** m², ellipsoidal, of an EPSG:4490 geometry expression, edges straight in lon/lat. */
export function areaSql(g: RawBuilder<unknown> | ReturnType<typeof sql.ref>): RawBuilder<number> {
  return sql<number>`ST_Area(ST_Segmentize(${g}, ${sql.lit(AREA_SEGMENT_DEG)})::geography)`;
}

export interface AreaFigures {
  m2: number; // 2 decimals
  ha: number; // 4 decimals
  mu: number; // 2 decimals
  km2: number; // 4 decimals
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

export const M2_PER_MU = 10000 / 15;

/** area: m², ellipsoidal → the four units, rounded for display. */
export function areaFigures(m2: number): AreaFigures {
  return { m2: round(m2, 2), ha: round(m2 / 10_000, 4), mu: round(m2 / M2_PER_MU, 2), km2: round(m2 / 1e6, 4) };
}

/** part / whole in %, 2 decimals; 0 when the whole is 0. */
export function sharePercent(part: number, whole: number): number {
  return whole > 0 ? round((100 * part) / whole, 2) : 0;
}

/** Chinese thousands grouping is not customary in these reports: plain fixed decimals. */
export const fmt = (v: number, d = 2) => v.toFixed(d);
