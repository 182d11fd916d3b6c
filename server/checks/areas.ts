/**
 * Area figures as a planner reads them. Input is always m², ellipsoidal (PostGIS
 * ST_Area(ST_Segmentize(geom, 0.0001)::geography)). Why segmentize: geography takes an edge as a
 * geodesic, while geometry operations (intersection, difference) take it as a straight line in
 * lon/lat; on a 4 km east–west edge at 44°N the two differ by ~0.3 m, so without densifying,
 * block = inside + outside fails by hundreds of m². Edges of ≤ ~10 m make the two agree to
 * well under 0.01 m² per km of edge, and areas additive. 1 亩 = 10000/15 m². km² to 4 decimals as mining-right areas are
 * published; ha to 4 decimals as the boundary-coordinate TXT declares them.
 */
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
