/**
 * A 50 m raster of where farmland may lie (GK metres, EPSG:4551): inside the county, off the red
 * line, urban boundaries, villages, railway/road corridors, river channels, mines and mining
 * blocks, eroded by 100 m so parcels keep clear of every edge. Cells near a town are marked as
 * "reserve": cultivated, but not permanently protected (the 城镇周边 reserve).
 *
 * Pure TypeScript: the benchmark generator builds it without PostGIS. It is conservative, not
 * exact; the published layer is also checked in PostGIS.
 */
import type { ConstraintShapes } from './constraints.ts';
import type { CountyOutline } from './outline.ts';
import { sectionLine } from './outline.ts';
import type { PlanShape } from './plan-features.ts';
import { bbox, blob, centroid, type Pt, type Ring } from './planar.ts';
import { stream } from './prng.ts';

export const OUT = 0;
export const FARM = 1;
export const RESERVE = 2;

export interface FarmMask {
  x0: number;
  y0: number;
  cell: number;
  nx: number;
  ny: number;
  data: Uint8Array;
}

export function maskAt(m: FarmMask, x: number, y: number): number {
  const i = Math.floor((x - m.x0) / m.cell), j = Math.floor((y - m.y0) / m.cell);
  if (i < 0 || j < 0 || i >= m.nx || j >= m.ny) return OUT;
  return m.data[j * m.nx + i];
}

/** Sets `value` on cells whose centre is inside the rings (even-odd), optionally only where `where` holds. */
function fill(m: FarmMask, rings: readonly Ring[], value: number, where?: (v: number) => boolean): void {
  const all = rings.flat();
  const [bx0, by0, bx1, by1] = bbox(all);
  const j0 = Math.max(0, Math.floor((by0 - m.y0) / m.cell)), j1 = Math.min(m.ny - 1, Math.ceil((by1 - m.y0) / m.cell));
  const xs: number[] = [];
  for (let j = j0; j <= j1; j++) {
    const yc = m.y0 + (j + 0.5) * m.cell;
    xs.length = 0;
    for (const r of rings) {
      for (let a = 0, b = r.length - 1; a < r.length; b = a++) {
        const [xa, ya] = r[b], [xb, yb] = r[a];
        if (ya > yc !== yb > yc) xs.push(xa + ((yc - ya) / (yb - ya)) * (xb - xa));
      }
    }
    xs.sort((p, q) => p - q);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const i0 = Math.max(0, Math.ceil((xs[k] - m.x0) / m.cell - 0.5));
      const i1 = Math.min(m.nx - 1, Math.floor((xs[k + 1] - m.x0) / m.cell - 0.5));
      for (let i = i0; i <= i1; i++) {
        const idx = j * m.nx + i;
        if (!where || where(m.data[idx])) m.data[idx] = value;
      }
    }
  }
  void bx0; void bx1;
}

/** Sets `value` on cells whose centre lies within `dist` of the polyline. */
function stroke(m: FarmMask, line: readonly Pt[], dist: number, value: number, where?: (v: number) => boolean): void {
  for (let s = 1; s < line.length; s++) {
    const a = line[s - 1], b = line[s];
    const i0 = Math.max(0, Math.floor((Math.min(a[0], b[0]) - dist - m.x0) / m.cell));
    const i1 = Math.min(m.nx - 1, Math.ceil((Math.max(a[0], b[0]) + dist - m.x0) / m.cell));
    const j0 = Math.max(0, Math.floor((Math.min(a[1], b[1]) - dist - m.y0) / m.cell));
    const j1 = Math.min(m.ny - 1, Math.ceil((Math.max(a[1], b[1]) + dist - m.y0) / m.cell));
    const dx = b[0] - a[0], dy = b[1] - a[1], l2 = dx * dx + dy * dy || 1;
    for (let j = j0; j <= j1; j++) {
      const yc = m.y0 + (j + 0.5) * m.cell;
      for (let i = i0; i <= i1; i++) {
        const xc = m.x0 + (i + 0.5) * m.cell;
        const t = Math.max(0, Math.min(1, ((xc - a[0]) * dx + (yc - a[1]) * dy) / l2));
        if (Math.hypot(xc - a[0] - t * dx, yc - a[1] - t * dy) <= dist) {
          const idx = j * m.nx + i;
          if (!where || where(m.data[idx])) m.data[idx] = value;
        }
      }
    }
  }
}

/** Shrinks the FARM/RESERVE area by `cells` cells (a cell survives only if its neighbourhood does). */
function erode(m: FarmMask, cells: number): void {
  for (let pass = 0; pass < cells; pass++) {
    const src = m.data.slice();
    for (let j = 0; j < m.ny; j++) {
      for (let i = 0; i < m.nx; i++) {
        const idx = j * m.nx + i;
        if (src[idx] === OUT) continue;
        if (i === 0 || j === 0 || i === m.nx - 1 || j === m.ny - 1 ||
          src[idx - 1] === OUT || src[idx + 1] === OUT || src[idx - m.nx] === OUT || src[idx + m.nx] === OUT ||
          src[idx - m.nx - 1] === OUT || src[idx - m.nx + 1] === OUT || src[idx + m.nx - 1] === OUT || src[idx + m.nx + 1] === OUT) {
          m.data[idx] = OUT;
        }
      }
    }
  }
}

export function buildFarmMask(outline: CountyOutline, cons: ConstraintShapes, plan: readonly PlanShape[], seed: number, cell = 50): FarmMask {
  const [x0, y0, x1, y1] = bbox(outline.ring);
  const m: FarmMask = { x0: x0 - 500, y0: y0 - 500, cell, nx: Math.ceil((x1 - x0 + 1000) / cell), ny: Math.ceil((y1 - y0 + 1000) / cell), data: new Uint8Array(0) };
  m.data = new Uint8Array(m.nx * m.ny);
  fill(m, [outline.ring], FARM);
  // Published layers first, eroded by 100 m: parcels must never touch them after rounding.
  for (const r of cons.redline) for (const reg of r.regions) fill(m, [reg], OUT);
  for (const u of cons.urban) fill(m, [u.ring], OUT);
  for (const p of plan) {
    if (p.layer === 'mining-blocks' || (p.layer === 'mining-rights' && !p.deliberate?.includes('a'))) fill(m, [p.ring], OUT);
    // Deliberate case (a): only the pit keeps clear, so protected fields reach into the
    // licensed area around it.
    if (p.layer === 'mining-rights' && p.deliberate?.includes('a')) fill(m, [blob(centroid(p.ring), 260, stream(seed, 'pit'), { vertices: 16 })], OUT);
  }
  erode(m, 2);
  // Unpublished ground features: no margin needed, they only leave holes in the farmland.
  for (const v of cons.villages) fill(m, [v], OUT);
  for (const c of cons.corridors) stroke(m, c.line, c.halfWidth + 10, OUT);
  for (const s of outline.sections) if (s.kind === 'river') stroke(m, sectionLine(outline, s.id), s.id === 'songhua' ? 320 : 160, OUT);
  // A few ponds and shelter-belt groves as extra irregular holes.
  const pr = stream(seed, 'mask-ponds');
  for (let k = 0; k < 160; k++) {
    const c: Pt = [pr.range(x0, x1), pr.range(y0, y1)];
    fill(m, [blob(c, pr.range(80, 260), pr, { irregularity: 0.35, vertices: 12 })], OUT);
  }
  for (const u of cons.urban) {
    const ring = [...u.ring, u.ring[0]];
    stroke(m, ring, u.reserve, RESERVE, (v) => v === FARM);
  }
  return m;
}
