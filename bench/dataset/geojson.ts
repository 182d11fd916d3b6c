/**
 * GK (EPSG:4551) shapes → RFC 7946 GeoJSON in EPSG:4490 lon/lat, and deterministic file output.
 *
 * Rounding happens here, once: identical GK vertices (shared township edges) always give
 * identical output, and outer rings come out counter-clockwise, holes clockwise.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Feature, FeatureCollection, Geometry, MultiPolygon, Polygon } from 'geojson';
import { COORD_DECIMALS } from './config.ts';
import { signedArea, type Pt } from './planar.ts';
import { fromGKFast } from './projection.ts';

type LonLat = [number, number];

/** GK ring (open or closed) → closed lon/lat ring, rounded, consecutive duplicates dropped. */
export function toLonLatRing(ring: readonly Pt[], outer: boolean, decimals = COORD_DECIMALS): LonLat[] {
  const f = 10 ** decimals;
  const out: LonLat[] = [];
  for (const p of ring) {
    const [lon, lat] = fromGKFast(p[0], p[1]);
    const q: LonLat = [Math.round(lon * f) / f, Math.round(lat * f) / f];
    const last = out[out.length - 1];
    if (!last || last[0] !== q[0] || last[1] !== q[1]) out.push(q);
  }
  while (out.length > 1 && out[0][0] === out[out.length - 1][0] && out[0][1] === out[out.length - 1][1]) out.pop();
  const isCcw = signedArea(out) > 0;
  if (isCcw !== outer) out.reverse();
  out.push([out[0][0], out[0][1]]);
  return out;
}

/** Polygon given as GK rings (outer first). */
export function gkPolygon(rings: readonly (readonly Pt[])[]): Polygon {
  return { type: 'Polygon', coordinates: rings.map((r, i) => toLonLatRing(r, i === 0)) };
}

/** MultiPolygon given as GK polygons (each: rings, outer first). */
export function gkMultiPolygon(polys: readonly (readonly (readonly Pt[])[])[]): MultiPolygon {
  return { type: 'MultiPolygon', coordinates: polys.map((rings) => rings.map((r, i) => toLonLatRing(r, i === 0))) };
}

/** GK GeoJSON geometry (Polygon/MultiPolygon from PostGIS) → rings lists, closing points dropped. */
export function gkPolygonsOf(g: { type: string; coordinates: unknown }): Pt[][][] {
  const open = (r: Pt[]): Pt[] => r.slice(0, -1);
  if (g.type === 'Polygon') return [(g.coordinates as Pt[][]).map(open)];
  if (g.type === 'MultiPolygon') return (g.coordinates as Pt[][][]).map((p) => p.map(open));
  throw new Error(`expected (Multi)Polygon, got ${g.type}`);
}

export function feature<G extends Geometry>(id: string, properties: Record<string, unknown>, geometry: G): Feature<G> {
  return { type: 'Feature', id, properties, geometry };
}

/** Layer id prefix + 6-digit sequence, e.g. PF-000001. */
export function seqId(prefix: string, i: number): string {
  return `${prefix}-${String(i + 1).padStart(6, '0')}`;
}

/**
 * Writes a FeatureCollection with one feature per line (diff-friendly, still valid JSON).
 * Property order is the insertion order of the objects, which the generator keeps fixed.
 */
export function writeFeatureCollection(file: string, features: readonly Feature[]): number {
  mkdirSync(path.dirname(file), { recursive: true });
  const body = features.map((f) => JSON.stringify(f)).join(',\n');
  const text = `{"type":"FeatureCollection","features":[${features.length ? '\n' + body + '\n' : ''}]}\n`;
  writeFileSync(file, text);
  return Buffer.byteLength(text);
}

export type { Feature, FeatureCollection };
