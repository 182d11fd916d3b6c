/**
 * Which geometries are valid beyond doubt, decided in Node so that the upload screen
 * (ingest-staging.ts) need not ask GEOS (ST_IsValid, ~2.3 µs a small polygon: ~20% of a staging
 * batch's database time in bench:ingest, the slower side). "Beyond doubt" is deliberately narrow,
 * and anything else is left to ST_IsValid exactly as before:
 *   - a point (finite, as inspectGeometry made sure);
 *   - a polygon of ONE closed ring of 3 to MAX_VERTICES distinct vertices (or a multipolygon of one
 *     such polygon) in which no vertex is within a margin of an edge it does not end (so no two
 *     vertices are that close either, and there is no spike) and no two edges cross. Such a ring
 *     is simple with room to spare, so it stays simple after the transform to EPSG:4490 and the
 *     snap to the store's grid (GRID = 1e-9°, ~0.1 mm). The margin is 1 cm plus D² × 1e-6 /m for a
 *     ring of extent D: a Gauss-Kruger → lon/lat transform is affine only locally (meridian
 *     convergence: a straight edge of length L maps to a chord that strays ~L² × 4e-8 /m from the
 *     image of the edge, ~4 cm for 1 km), so a ring's room must grow with its size — 2 cm for a
 *     100 m parcel, ~1 m for a 1 km block; a larger ring is in practice left to GEOS.
 * test/db/geometry-valid.test.ts holds every verdict of "valid" here against ST_IsValid, after the
 * same transform and snap, for random rings built to be nearly degenerate.
 */
import type { Geometry, Position } from 'geojson';
import type { SourceCrs } from './ingest-types.js';

/** vertices of a ring tested here at most (the test is quadratic); bigger rings go to GEOS */
const MAX_VERTICES = 32;

/** metres of a degree, roughly (the margin of a lon/lat ring) */
const DEGREE_M = 111_000;

/** the margin of a ring of extent `d` (both in metres), see above */
const marginFor = (d: number): number => 0.01 + d * d * 1e-6;

/** twice the signed area of the triangle a, b, c (> 0 counter-clockwise) */
const cross = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number) => (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);

/** distance from p to segment ab */
function pointSegment(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const qx = ax + t * dx - px;
  const qy = ay + t * dy - py;
  return Math.sqrt(qx * qx + qy * qy);
}

/** whether the open segments ab and cd cross (each one's ends strictly on either side of the other) */
function crossing(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): boolean {
  const d1 = cross(ax, ay, bx, by, cx, cy);
  const d2 = cross(ax, ay, bx, by, dx, dy);
  const d3 = cross(cx, cy, dx, dy, ax, ay);
  const d4 = cross(cx, cy, dx, dy, bx, by);
  return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0));
}

/** a ring simple with room to spare (see above); `unit`: metres of a coordinate unit */
function simpleRing(ring: Position[], unit: number): boolean {
  const n = ring.length - 1; // distinct vertices, the closing one aside
  if (n < 3 || n > MAX_VERTICES) return false;
  const first = ring[0];
  const last = ring[n];
  if (first[0] !== last[0] || first[1] !== last[1]) return false;
  // relative to the first vertex: Gauss-Kruger eastings of ~4e7 m leave ~1e-8 m of precision, differences keep it all
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let x0 = 0;
  let x1 = 0;
  let y0 = 0;
  let y1 = 0;
  for (let i = 0; i < n; i++) {
    const x = (xs[i] = ring[i][0] - first[0]);
    const y = (ys[i] = ring[i][1] - first[1]);
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  const margin = marginFor(Math.max(x1 - x0, y1 - y0) * unit) / unit;
  for (let i = 0; i < n; i++) {
    const i1 = (i + 1) % n;
    // every vertex against every edge it does not end: no two vertices close, no spike, no touch
    for (let k = 0; k < n; k++) {
      if (k === i || k === i1) continue;
      if (pointSegment(xs[k], ys[k], xs[i], ys[i], xs[i1], ys[i1]) <= margin) return false;
    }
    // every edge against the edges it shares no vertex with: no crossing
    for (let j = i + 2; j < n; j++) {
      const j1 = (j + 1) % n;
      if (j1 === i) continue;
      if (crossing(xs[i], ys[i], xs[i1], ys[i1], xs[j], ys[j], xs[j1], ys[j1])) return false;
    }
  }
  return true;
}

/**
 * `g` (as inspectGeometry passed it: finite positions) is valid beyond doubt; false means "ask
 * GEOS", not "invalid". `geographic`: its coordinates are degrees, not metres.
 */
export function surelyValid(g: Geometry, geographic: boolean): boolean {
  const unit = geographic ? DEGREE_M : 1;
  switch (g.type) {
    case 'Point':
      return true;
    case 'Polygon':
      return g.coordinates.length === 1 && simpleRing(g.coordinates[0], unit);
    case 'MultiPolygon':
      return g.coordinates.length === 1 && g.coordinates[0].length === 1 && simpleRing(g.coordinates[0][0], unit);
    default:
      return false;
  }
}

/**
 * The shortcut for an upload's CRS, or none: only where the transform to EPSG:4490 is smooth over
 * every coordinate the upload accepts — lon/lat by EPSG code (4490, 4326: near the identity) and the
 * CGCS2000 Gauss-Kruger zones (bounded to their zone by checkBoundsFit). Not EPSG:3857, whose
 * inverse wraps an x past ±20 037 508 m to the other side of the antimeridian (a ring simple in
 * metres crosses itself there: found by a review), nor a PROJ string (Xian 1980 / Beijing 1954 with
 * parameters, whose datum shift may carry 179.9999° past 180°).
 */
export function validityShortcut(crs: SourceCrs): (g: Geometry) => boolean {
  if (crs.srid === 0 || crs.projString || crs.srid === 3857) return () => false;
  return (g) => surelyValid(g, crs.geographic);
}
