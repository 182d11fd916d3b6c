/**
 * A bounding box given in a CRS's axis order (items `bbox`, CQL2 `BBOX(…)` / `{"bbox": […]}`) →
 * the area it means, in x/y order. OGC API Features Core (/req/core/fc-bbox-definition): in a
 * lon/lat CRS a west edge greater than the east edge crosses the antimeridian — two boxes, from the
 * west edge to 180° and from −180° to the east edge. A projected CRS has no such wrap: refused.
 */
import type { Polygon, MultiPolygon } from 'geojson';
import type { CrsInfo } from './crs.js';

export type BboxProblem = { message: string };

const box = (x1: number, y1: number, x2: number, y2: number): number[][][] => [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]];

/** 4 or 6 numbers in `crs`'s axis order → a Polygon (or a MultiPolygon across ±180°) in x/y order, or a problem */
export function bboxArea(n: number[], crs: Pick<CrsInfo, 'northFirst' | 'bounds'>): { geometry: Polygon | MultiPolygon } | BboxProblem {
  const [a1, b1, a2, b2] = n.length === 6 ? [n[0], n[1], n[3], n[4]] : n;
  const [x1, y1, x2, y2] = crs.northFirst ? [b1, a1, b2, a2] : [a1, b1, a2, b2];
  const { east, north, eastName, northName } = crs.bounds;
  for (const [v, [lo, hi], name] of [[x1, east, eastName], [x2, east, eastName], [y1, north, northName], [y2, north, northName]] as const) {
    if (!(v >= lo && v <= hi)) return { message: `${name} ${v} outside [${lo}, ${hi}] (axes swapped, or the wrong CRS?)` };
  }
  if (y1 > y2) return { message: `the lower ${northName} ${y1} is above the upper ${y2}` };
  if (x1 <= x2) return { geometry: { type: 'Polygon', coordinates: box(x1, y1, x2, y2) } };
  if (eastName !== 'longitude') return { message: `the west ${eastName} ${x1} is east of the east ${eastName} ${x2} (only a longitude range may cross the antimeridian)` };
  return { geometry: { type: 'MultiPolygon', coordinates: [box(x1, y1, 180, y2), box(-180, y1, x2, y2)] } };
}
