/**
 * Planar geometry helpers for shapes built in Gauss-Kruger metres (EPSG:4551).
 * Rings are open (first point not repeated) unless a function says otherwise.
 */
import type { Rng } from './prng.ts';

export type Pt = [number, number];
export type Ring = Pt[];

/** Signed shoelace area (m²): positive for counter-clockwise rings. */
export function signedArea(ring: readonly Pt[]): number {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    s += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
  }
  return s / 2;
}

export function ccw(ring: Ring): Ring {
  return signedArea(ring) >= 0 ? ring : [...ring].reverse();
}

export function centroid(ring: readonly Pt[]): Pt {
  let a = 0, cx = 0, cy = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    a += f;
    cx += (ring[j][0] + ring[i][0]) * f;
    cy += (ring[j][1] + ring[i][1]) * f;
  }
  return [cx / (3 * a), cy / (3 * a)];
}

/** Even-odd point-in-ring test. */
export function pointInRing(p: Pt, ring: readonly Pt[]): boolean {
  let inside = false;
  const [x, y] = p;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function distToSegment(p: Pt, a: Pt, b: Pt): number {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const l2 = dx * dx + dy * dy;
  let t = l2 === 0 ? 0 : ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2;
  t = Math.max(0, Math.min(1, t));
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

export function distToPolyline(p: Pt, line: readonly Pt[]): number {
  let d = Infinity;
  for (let i = 1; i < line.length; i++) d = Math.min(d, distToSegment(p, line[i - 1], line[i]));
  return d;
}

export function lerp(a: Pt, b: Pt, t: number): Pt {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
}

/**
 * Fractal (midpoint-displacement) version of the segment a→b, endpoints fixed, without b.
 * `rough` is the displacement as a share of the current sub-segment length; the same
 * rng sequence always gives the same curve, which is what makes shared edges reproducible.
 */
export function fractalize(a: Pt, b: Pt, maxSeg: number, rough: number | ((len: number) => number), rng: Rng): Pt[] {
  const out: Pt[] = [a];
  const roughAt = typeof rough === 'number' ? () => rough : rough;
  const rec = (p: Pt, q: Pt): void => {
    const len = Math.hypot(q[0] - p[0], q[1] - p[1]);
    if (len <= maxSeg) {
      out.push(q);
      return;
    }
    const r = roughAt(len);
    const off = rng.range(-r, r) * len;
    const m: Pt = [(p[0] + q[0]) / 2 - ((q[1] - p[1]) / len) * off, (p[1] + q[1]) / 2 + ((q[0] - p[0]) / len) * off];
    rec(p, m);
    rec(m, q);
  };
  rec(a, b);
  out.pop();
  return out;
}

/** Fractalizes every edge of an open polyline (keeps the last point). */
export function fractalizeLine(line: readonly Pt[], maxSeg: number, rough: number | ((len: number) => number), rng: Rng): Pt[] {
  const out: Pt[] = [];
  for (let i = 1; i < line.length; i++) out.push(...fractalize(line[i - 1], line[i], maxSeg, rough, rng));
  out.push(line[line.length - 1]);
  return out;
}

/**
 * Offsets a polyline sideways by d(i) metres (positive = left of the walking direction), mitred.
 * Only for gentle control polylines (angles well below 90°), where the result stays simple.
 */
export function offsetLine(line: readonly Pt[], d: (i: number) => number): Pt[] {
  const n = line.length;
  const normals: Pt[] = [];
  for (let i = 1; i < n; i++) {
    const dx = line[i][0] - line[i - 1][0], dy = line[i][1] - line[i - 1][1];
    const l = Math.hypot(dx, dy);
    normals.push([-dy / l, dx / l]);
  }
  return line.map((p, i) => {
    const n0 = normals[Math.max(0, i - 1)];
    const n1 = normals[Math.min(normals.length - 1, i)];
    let nx = n0[0] + n1[0], ny = n0[1] + n1[1];
    const l = Math.hypot(nx, ny);
    nx /= l;
    ny /= l;
    const cosHalf = nx * n1[0] + ny * n1[1];
    const k = d(i) / Math.max(cosHalf, 0.5);
    return [p[0] + nx * k, p[1] + ny * k] as Pt;
  });
}

/** Irregular closed blob around a centre: radius modulated by a few random harmonics. */
export function blob(center: Pt, radius: number, rng: Rng, opts: { vertices?: number; irregularity?: number; stretch?: number; angle?: number } = {}): Ring {
  const nv = opts.vertices ?? 48;
  const irr = opts.irregularity ?? 0.25;
  const stretch = opts.stretch ?? 1;
  const ang = opts.angle ?? 0;
  const harm = [1, 2, 3, 5].map((k) => ({ k, amp: (rng.range(0.2, 1) * irr) / k ** 0.7, ph: rng.range(0, 2 * Math.PI) }));
  const ring: Ring = [];
  for (let i = 0; i < nv; i++) {
    const t = (2 * Math.PI * i) / nv;
    let r = 1;
    for (const h of harm) r += h.amp * Math.sin(h.k * t + h.ph);
    r *= radius * (1 + rng.range(-0.03, 0.03));
    const lx = r * Math.cos(t) * stretch, ly = (r * Math.sin(t)) / stretch;
    ring.push([center[0] + lx * Math.cos(ang) - ly * Math.sin(ang), center[1] + lx * Math.sin(ang) + ly * Math.cos(ang)]);
  }
  return ccw(ring);
}

/** Rotated rectangle (width along the angle, height across), CCW, optional corner jitter in m. */
export function rotatedRect(center: Pt, width: number, height: number, angleDeg: number, rng?: Rng, jitter = 0): Ring {
  const a = (angleDeg * Math.PI) / 180;
  const c = Math.cos(a), s = Math.sin(a);
  const corners: Pt[] = [[-width / 2, -height / 2], [width / 2, -height / 2], [width / 2, height / 2], [-width / 2, height / 2]];
  return corners.map(([u, v]) => {
    const ju = rng ? rng.range(-jitter, jitter) : 0, jv = rng ? rng.range(-jitter, jitter) : 0;
    return [center[0] + (u + ju) * c - (v + jv) * s, center[1] + (u + ju) * s + (v + jv) * c] as Pt;
  });
}

export function roundPt(p: Pt, grid: number): Pt {
  return [Math.round(p[0] / grid) * grid, Math.round(p[1] / grid) * grid];
}

export function bbox(points: readonly Pt[]): [number, number, number, number] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of points) {
    if (x < x0) x0 = x;
    if (y < y0) y0 = y;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1, y1];
}

/** Polygon (outer ring + holes, open rings) as WKT, for handing shapes to PostGIS. */
export function polygonWkt(rings: readonly (readonly Pt[])[]): string {
  return `POLYGON(${rings.map((r) => `(${[...r, r[0]].map((p) => `${p[0]} ${p[1]}`).join(',')})`).join(',')})`;
}

export function lineWkt(line: readonly Pt[]): string {
  return `LINESTRING(${line.map((p) => `${p[0]} ${p[1]}`).join(',')})`;
}

/** Cumulative arc lengths of a polyline. */
export function arcLengths(line: readonly Pt[]): number[] {
  const out = [0];
  for (let i = 1; i < line.length; i++) out.push(out[i - 1] + Math.hypot(line[i][0] - line[i - 1][0], line[i][1] - line[i - 1][1]));
  return out;
}

/** Point at arc length s along a polyline. */
export function pointAt(line: readonly Pt[], cum: readonly number[], s: number): Pt {
  if (s <= 0) return line[0];
  for (let i = 1; i < line.length; i++) {
    if (cum[i] >= s) return lerp(line[i - 1], line[i], (s - cum[i - 1]) / (cum[i] - cum[i - 1] || 1));
  }
  return line[line.length - 1];
}

/** Arc length of the point of a polyline nearest to p. */
export function nearestArc(line: readonly Pt[], p: Pt): number {
  const cum = arcLengths(line);
  let best = Infinity, bestS = 0;
  for (let i = 1; i < line.length; i++) {
    const a = line[i - 1], b = line[i];
    const dx = b[0] - a[0], dy = b[1] - a[1];
    const l2 = dx * dx + dy * dy || 1;
    const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2));
    const d = Math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy);
    if (d < best) { best = d; bestS = cum[i - 1] + t * Math.sqrt(l2); }
  }
  return bestS;
}

/**
 * Resamples a polyline every `step` metres between arc lengths s0 and s1 and smooths it with a
 * moving average of half-width `halfWindow` metres: the centre line that river bands follow.
 */
export function smoothedSubline(line: readonly Pt[], s0: number, s1: number, step: number, halfWindow: number): Pt[] {
  const cum = arcLengths(line);
  const total = cum[cum.length - 1];
  const out: Pt[] = [];
  const n = Math.max(2, Math.round((s1 - s0) / step) + 1);
  for (let i = 0; i < n; i++) {
    const s = s0 + ((s1 - s0) * i) / (n - 1);
    let sx = 0, sy = 0, k = 0;
    for (let t = -halfWindow; t <= halfWindow; t += step / 2) {
      const p = pointAt(line, cum, Math.max(0, Math.min(total, s + t)));
      sx += p[0];
      sy += p[1];
      k++;
    }
    out.push([sx / k, sy / k]);
  }
  return out;
}
