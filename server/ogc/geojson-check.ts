/**
 * Structural checks of GeoJSON geometries before they reach PostGIS (whose parse errors would
 * otherwise surface as 500s): type, nesting depth, finite numbers, closed rings. Counts
 * vertices so callers can enforce `maxVertices`. Used by CQL2 literals and Part 4 bodies, which
 * also check positions against their CRS's bounds (positionRangeProblem).
 */
import { valueName } from '../errors.js';
import type { CrsInfo } from './crs.js';

export interface GeometryProblem {
  message: string;
}

const DEPTH: Record<string, number> = { Point: 0, MultiPoint: 1, LineString: 1, MultiLineString: 2, Polygon: 2, MultiPolygon: 3 };

/** GeometryCollections inside one another (RFC 7946 §3.1.8: SHOULD be avoided) */
export const MAX_COLLECTION_NESTING = 8;

/** Returns the vertex count, or a problem describing the first structural error. */
export function checkGeometry(g: unknown, nesting = 0): { vertices: number } | GeometryProblem {
  if (typeof g !== 'object' || g === null || Array.isArray(g)) return { message: 'geometry must be a GeoJSON geometry object' };
  const { type, coordinates, geometries } = g as { type?: unknown; coordinates?: unknown; geometries?: unknown };
  if (type === 'GeometryCollection') {
    if (!Array.isArray(geometries)) return { message: 'GeometryCollection needs a "geometries" array' };
    if (nesting >= MAX_COLLECTION_NESTING) return { message: `GeometryCollections nested more than ${MAX_COLLECTION_NESTING} deep` };
    let vertices = 0;
    for (const child of geometries) {
      const r = checkGeometry(child, nesting + 1);
      if ('message' in r) return r;
      vertices += r.vertices;
    }
    return { vertices };
  }
  if (typeof type !== 'string' || !(type in DEPTH)) return { message: `unknown geometry type ${JSON.stringify(valueName(type))}` };
  let vertices = 0;
  const walk = (node: unknown, depth: number, path: string): string | null => {
    if (!Array.isArray(node)) return `${path} must be an array`;
    if (depth === 0) {
      if (node.length < 2 || node.length > 3 || !node.every((n) => typeof n === 'number' && Number.isFinite(n))) return `${path} must be a position of 2 or 3 finite numbers`;
      vertices++;
      return null;
    }
    for (let i = 0; i < node.length; i++) {
      const e = walk(node[i], depth - 1, `${path}[${i}]`);
      if (e) return e;
    }
    return null;
  };
  const err = walk(coordinates, DEPTH[type], 'coordinates');
  if (err) return { message: `${type}: ${err}` };
  const rings = type === 'Polygon' ? (coordinates as number[][][]) : type === 'MultiPolygon' ? (coordinates as number[][][][]).flat() : [];
  for (const r of rings) {
    if (r.length < 4) return { message: `${type}: a ring needs at least 4 positions` };
    const [a, b] = [r[0], r[r.length - 1]];
    if (a[0] !== b[0] || a[1] !== b[1]) return { message: `${type}: a ring must be closed (first position = last)` };
  }
  if (type === 'LineString' && (coordinates as unknown[]).length < 2) return { message: 'LineString: needs at least 2 positions' };
  return { vertices };
}

/**
 * The first position outside the CRS's bounds (crs.ts: ±180°/±90° for lon/lat, the area of use
 * of a projected CRS), for a geometry that passed checkGeometry, read in the CRS's axis order
 * (`northFirst`: EPSG:4490/4326 and Gauss-Kruger put latitude/northing first). Such a position
 * is a client error — usually swapped axes, or projected metres without Content-Crs — and would
 * otherwise fail later in ST_Transform (a 5xx). Returns the path (`coordinates[0][2]`,
 * `geometries[1].coordinates`) and a message naming the axis, the value and the position.
 */
export function positionRangeProblem(g: unknown, crs: Pick<CrsInfo, 'northFirst' | 'bounds'>): { path: string; message: string } | null {
  const { type, coordinates, geometries } = g as { type?: string; coordinates?: unknown; geometries?: unknown[] };
  if (type === 'GeometryCollection') {
    for (let i = 0; i < (geometries ?? []).length; i++) {
      const r = positionRangeProblem(geometries![i], crs);
      if (r) return { path: `geometries[${i}].${r.path}`, message: r.message };
    }
    return null;
  }
  const { east, north, eastName, northName } = crs.bounds;
  const outside = (v: number, [lo, hi]: [number, number]) => !(v >= lo && v <= hi);
  const walk = (node: unknown, path: string): { path: string; message: string } | null => {
    if (!Array.isArray(node)) return null;
    if (typeof node[0] === 'number') {
      const [e, n] = crs.northFirst ? [node[1] as number, node[0] as number] : [node[0] as number, node[1] as number];
      const which = outside(n, north) ? `${northName} ${n} outside [${north.join(', ')}]` : outside(e, east) ? `${eastName} ${e} outside [${east.join(', ')}]` : null;
      return which === null ? null : { path, message: `${which} at ${path} [${node.join(', ')}] (axes swapped, or the wrong Content-Crs?)` };
    }
    for (let i = 0; i < node.length; i++) {
      const r = walk(node[i], `${path}[${i}]`);
      if (r) return r;
    }
    return null;
  };
  return walk(coordinates, 'coordinates');
}

/** Drops Z values: the store is 2D (geometry(Geometry, 4490)); heights have no meaning in the plan. */
export function force2d<T>(g: T): T {
  const strip = (node: unknown): unknown =>
    Array.isArray(node) ? (typeof node[0] === 'number' ? node.slice(0, 2) : node.map(strip)) : node;
  const o = g as { coordinates?: unknown; geometries?: unknown[] };
  if (Array.isArray(o.geometries)) return { ...o, geometries: o.geometries.map(force2d) } as T;
  return { ...o, coordinates: strip(o.coordinates) } as T;
}
