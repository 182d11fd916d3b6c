/**
 * Low-zoom generalisation: one set of rules, applied by both engines (PostGIS in SQL, geojson-vt in
 * JS over the cut tile), documented in server/tiles/README.md.
 *
 * Below SNAP_BELOW_ZOOM every polygon is snapped to the global pixel grid of its zoom (one CSS pixel
 * of a 512-px tile = 8 tile units); from there to EXACT_FROM_ZOOM only what would vanish is drawn
 * as its pixel. A shared vertex lands on the same grid point in every feature
 * and every tile, so neighbouring zones and townships keep one common edge (no slivers, no gaps),
 * which per-feature Douglas-Peucker cannot promise. What then depends on the layer's policy (data:
 * the tile_generalisation table, migration 005):
 *   keep-all  a feature is never dropped: one that would vanish (smaller than a pixel) is drawn as
 *             the one-pixel square under its bbox centre, with its id and attributes (at z12–13,
 *             where geometry is exact, a feature of under a pixel² that vanishes in the 4096 grid);
 *   bulk      (many small parcels: farmland, cultivated land) below MERGE_BELOW_ZOOM, a parcel of at
 *             least one pixel² is snapped as above; smaller ones are merged into the pixel cell under their bbox centre:
 *             a cell is drawn when the parcels merged into it cover at least half of it (what a
 *             renderer would fill anyway), and drawn cells go out as one rectangle per run along a
 *             pixel row, with the property merged = true and no id. The count of parcels merged
 *             goes in the X-Tile-Merged header. From MERGE_BELOW_ZOOM up to EXACT_FROM_ZOOM a bulk
 *             layer is generalised like keep-all (every parcel drawn: snapped below SNAP_BELOW_ZOOM, exact above);
 *   exact     no generalisation at any zoom.
 * Points are never generalised; lines are snapped unless that would collapse them.
 */
import type { TileCoord } from './tile-math.js';
import { MVT_EXTENT } from './tile-source.js';

export type GeneralisationPolicy = 'keep-all' | 'bulk' | 'exact';
/** a layer with no row in tile_generalisation: never drop a feature */
export const DEFAULT_POLICY: GeneralisationPolicy = 'keep-all';

/** exact geometry (only the 4096 tile grid) from this zoom up */
export const EXACT_FROM_ZOOM = 14;
/** one pixel, in tile units: a 4096-unit tile is drawn 512 CSS px wide by MapLibre */
export const PIXEL_UNITS = 8;
/** Web Mercator half-world, metres: the pixel grid's origin is (-ORIGIN, -ORIGIN) */
export const MERCATOR_ORIGIN = 20037508.342789244;
/** a pixel cell is drawn when the sub-pixel parcels merged into it cover this share of it */
export const CELL_DRAWN_SHARE = 0.5;
/** the tile property that marks a rectangle of merged sub-pixel parcels */
export const MERGED_PROPERTY = 'merged';

/** pixels per tile side */
const PER_TILE = MVT_EXTENT / PIXEL_UNITS;

export function generalises(policy: GeneralisationPolicy, z: number): boolean {
  return policy !== 'exact' && z < EXACT_FROM_ZOOM;
}

/**
 * Snapping to the pixel grid happens below this zoom; from it up to EXACT_FROM_ZOOM geometry is
 * exact (the 4096 grid, 1/8 pixel) and only a feature that would vanish there is drawn as its pixel
 * (so still never dropped). Measured (bench:tiles, 200k parcels): at z12 snapping made tiles ~1 %
 * smaller and cost ~1.2× the exact statement.
 */
export const SNAP_BELOW_ZOOM = 12;

/** is a layer of this policy snapped to the pixel grid at zoom z? */
export function snaps(policy: GeneralisationPolicy, z: number): boolean {
  return generalises(policy, z) && z < SNAP_BELOW_ZOOM;
}

/**
 * Bulk layers merge sub-pixel parcels below this zoom. Chosen by measurement (npm run bench:tiles,
 * 200k parcels): merging shrinks the z8 tile from 8,551 KB to 239 KB, but at z10 only by ~11 %
 * (140 → 124 KB p50) and at z12 by ~1 %, while its statement (the materialised parcels, the cell
 * runs) costs ~1.35× the exact query at z10 and ~1.3× at z12; snapping with the pixel fallback
 * (keep-all's rule) costs ~1.05–1.2× and still draws every parcel.
 */
export const MERGE_BELOW_ZOOM = 10;

/** does a layer of this policy merge sub-pixel parcels into pixel cells at zoom z? */
export function merges(policy: GeneralisationPolicy, z: number): boolean {
  return policy === 'bulk' && z < MERGE_BELOW_ZOOM;
}

/** size of one pixel at zoom z in EPSG:3857 metres */
export function pixelMetres(z: number): number {
  return (2 * MERCATOR_ORIGIN) / 2 ** z / PER_TILE;
}

/** the global pixel cell (column from the west, row from the south) of a point in EPSG:3857 metres */
export function pixelCell(cx: number, cy: number, z: number): [number, number] {
  const px = pixelMetres(z);
  return [Math.floor((cx + MERCATOR_ORIGIN) / px), Math.floor((cy + MERCATOR_ORIGIN) / px)];
}

/** a run of global pixel cells col0..col1 on one row, as a closed MVT exterior ring in this tile's units */
export function cellRunRing(col0: number, col1: number, row: number, tile: TileCoord): [number, number][] {
  const x0 = (col0 - tile.x * PER_TILE) * PIXEL_UNITS;
  const x1 = (col1 + 1 - tile.x * PER_TILE) * PIXEL_UNITS;
  const y0 = (2 ** tile.z * PER_TILE - 1 - row - tile.y * PER_TILE) * PIXEL_UNITS;
  return rectRing(x0, y0, x1, y0 + PIXEL_UNITS);
}

/** an axis-aligned rectangle as a closed ring, in tile units */
export function rectRing(x0: number, y0: number, x1: number, y1: number): [number, number][] {
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
    [x0, y0],
  ];
}

/** the one-pixel square under a bbox centre (EPSG:3857 metres), in this tile's units */
export function pixelSquare(cx: number, cy: number, tile: TileCoord): [number, number][] {
  const [col, row] = pixelCell(cx, cy, tile.z);
  return cellRunRing(col, col, row, tile);
}

/** Cells with their merged area (pixel²) → the drawn ones as runs [col0, col1, row] along rows. */
export function drawnCellRuns(cells: Iterable<{ col: number; row: number; areaPx: number }>): [number, number, number][] {
  const drawn = [...cells].filter((c) => c.areaPx >= CELL_DRAWN_SHARE).sort((a, b) => a.row - b.row || a.col - b.col);
  const runs: [number, number, number][] = [];
  for (const c of drawn) {
    const last = runs[runs.length - 1];
    if (last && last[2] === c.row && last[1] === c.col - 1) last[1] = c.col;
    else runs.push([c.col, c.col, c.row]);
  }
  return runs;
}

/** twice the signed area of a ring in tile units (MVT exterior rings are positive) */
export function ringArea2(ring: [number, number][]): number {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) s += ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
  return s;
}

function snapRing(ring: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [x, y] of ring) {
    const sx = Math.round(x / PIXEL_UNITS) * PIXEL_UNITS;
    const sy = Math.round(y / PIXEL_UNITS) * PIXEL_UNITS;
    const last = out[out.length - 1];
    if (!last || last[0] !== sx || last[1] !== sy) out.push([sx, sy]);
  }
  return out;
}

/**
 * Snaps polygon rings (tile units, exteriors then their holes, as geojson-vt cuts them) to the pixel
 * grid; a ring that collapses is dropped, and so are the holes of a collapsed exterior.
 * Returns [] when nothing with area is left.
 */
export function snapPolygonRings(rings: [number, number][][]): [number, number][][] {
  const out: [number, number][][] = [];
  let exteriorKept = false;
  for (const ring of rings) {
    const exterior = ringArea2(ring) > 0;
    const snapped = snapRing(ring);
    const area = snapped.length >= 4 ? ringArea2(snapped) : 0;
    if (exterior) {
      exteriorKept = area > 0;
      if (exteriorKept) out.push(snapped);
    } else if (exteriorKept && area < 0) {
      out.push(snapped);
    }
  }
  return out;
}

/** Snaps line parts; a part that collapses to one point keeps its exact geometry. */
export function snapLines(lines: [number, number][][]): [number, number][][] {
  return lines.map((line) => {
    const snapped = snapRing(line);
    return snapped.length >= 2 ? snapped : line;
  });
}
