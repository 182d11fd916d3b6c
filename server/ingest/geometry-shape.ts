/**
 * Structural checks on a GeoJSON-like geometry before it goes to PostGIS: known type, finite
 * numeric positions, enough points, closed rings. ST_GeomFromGeoJSON would otherwise abort the
 * whole batch (and the transaction) on the first malformed feature, losing the row-by-row
 * report. Counts vertices and widens `bounds` ([minX, minY, maxX, maxY], file units).
 * Validity (self-intersection etc.) is PostGIS's job, not this file's.
 */
import type { Geometry } from 'geojson';
import { valueName } from '../errors.js';

export interface ShapeReport {
  vertices: number;
  /** why the geometry cannot be staged at all */
  error?: string;
  /** unclosed rings closed (only when asked to repair) */
  closedRings?: number;
}

export const emptyBounds = (): [number, number, number, number] => [Infinity, Infinity, -Infinity, -Infinity];

const TYPES = new Set(['Point', 'MultiPoint', 'LineString', 'MultiLineString', 'Polygon', 'MultiPolygon']);

class ShapeError extends Error {}

/** a position for a message, one level deep: JSON.stringify of a deeply nested array would overflow the stack */
function brief(p: unknown[]): string {
  const item = (v: unknown) => (Array.isArray(v) ? '[…]' : typeof v === 'object' && v !== null ? '{…}' : valueName(v));
  return `[${p.slice(0, 3).map(item).join(', ')}${p.length > 3 ? ', …' : ''}]`;
}

function position(p: unknown, b: number[]): void {
  if (!Array.isArray(p) || p.length < 2) throw new ShapeError('坐标应为 [x, y] 数组 (a position must be [x, y])');
  const x = p[0] as unknown;
  const y = p[1] as unknown;
  if (typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y)) {
    throw new ShapeError(`坐标不是有限数值 ${brief(p)} (non-numeric coordinate)`);
  }
  if (x < b[0]) b[0] = x;
  if (y < b[1]) b[1] = y;
  if (x > b[2]) b[2] = x;
  if (y > b[3]) b[3] = y;
}

function list(a: unknown, what: string): unknown[] {
  if (!Array.isArray(a)) throw new ShapeError(`${what} 应为数组 (${what} must be an array)`);
  return a;
}

// Module-level functions with indexed loops, not closures and for…of: this runs once per vertex
// of every uploaded feature (a closure made per call, under tsx's keepNames, and array
// destructuring cost ~0.3 s per 100 000 polygons).

function line(coords: unknown, min: number, bounds: number[], report: ShapeReport): number[][] {
  const pts = list(coords, 'coordinates');
  for (let i = 0; i < pts.length; i++) position(pts[i], bounds);
  if (pts.length < min) throw new ShapeError(`线或环的点数 ${pts.length} 少于 ${min} (too few points)`);
  report.vertices += pts.length;
  return pts as number[][];
}

function ring(coords: unknown, bounds: number[], report: ShapeReport, closeRings: boolean): void {
  const pts = line(coords, 3, bounds, report);
  const a = pts[0];
  const z = pts[pts.length - 1];
  if (a[0] !== z[0] || a[1] !== z[1]) {
    if (!closeRings) throw new ShapeError('多边形的环未闭合（首末点不同） (ring not closed; repair=true closes it)');
    pts.push([a[0], a[1]]);
    report.vertices++;
    report.closedRings = (report.closedRings ?? 0) + 1;
  }
  if (pts.length < 4) throw new ShapeError(`环的点数 ${pts.length} 少于 4 (a ring needs 4 points)`);
}

function rings(polygon: unknown[], bounds: number[], report: ShapeReport, closeRings: boolean): void {
  for (let i = 0; i < polygon.length; i++) ring(polygon[i], bounds, report, closeRings);
}

/** Inspect (and, with `closeRings`, close unclosed rings in place). Never throws. */
export function inspectGeometry(g: Geometry | null | undefined, bounds: number[], closeRings = false): ShapeReport {
  const report: ShapeReport = { vertices: 0 };
  try {
    if (!g || typeof g !== 'object') throw new ShapeError('缺少几何图形 (no geometry)');
    if (!TYPES.has(g.type)) throw new ShapeError(`不支持的几何类型 ${valueName(g.type)} (unsupported geometry type)`);
    const c = (g as { coordinates?: unknown }).coordinates;
    switch (g.type) {
      case 'Point':
        position(c, bounds);
        report.vertices = 1;
        break;
      case 'MultiPoint':
      case 'LineString':
        line(c, g.type === 'LineString' ? 2 : 1, bounds, report);
        break;
      case 'MultiLineString':
        for (const l of list(c, 'coordinates')) line(l, 2, bounds, report);
        break;
      case 'Polygon':
        if (list(c, 'coordinates').length === 0) throw new ShapeError('空的多边形 (empty polygon)');
        rings(c as unknown[], bounds, report, closeRings);
        break;
      case 'MultiPolygon':
        if (list(c, 'coordinates').length === 0) throw new ShapeError('空的多边形 (empty multipolygon)');
        for (const poly of c as unknown[]) {
          if (list(poly, 'polygon').length === 0) throw new ShapeError('空的多边形部分 (empty polygon part)');
          rings(poly as unknown[], bounds, report, closeRings);
        }
        break;
    }
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    report.error = e.message;
  }
  return report;
}
