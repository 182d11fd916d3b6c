/**
 * Field blocks (耕地图斑) and the strip parcels inside them, laid out in GK metres (EPSG:4551).
 *
 * Why this layout: farmland on the Songliao plain is long strips between field roads. The county
 * is cut into 3 km "village" squares, each with its own field orientation; inside a square,
 * rows of blocks are separated by roads, and each block is a run of strips on shared (slightly
 * slanted) dividers. Every parcel stays inside its own strip slot, slots never overlap, and
 * blocks never leave their square, so parcels are non-overlapping by construction.
 */
import { maskAt, OUT, RESERVE, type FarmMask } from './mask.ts';
import { fbm } from './noise.ts';
import { signedArea, type Pt, type Ring } from './planar.ts';
import { createRng, mix32, type Rng } from './prng.ts';

export const REGION_SIZE = 3000;

export type LandClass = '水田' | '水浇地' | '旱地';
export const LAND_CODE: Record<LandClass, string> = { 水田: '0101', 水浇地: '0102', 旱地: '0103' };

export interface FieldBlock {
  /** Stable order of generation (region scan, then rows, then blocks). */
  order: number;
  /** Block quad: CCW, GK metres. */
  ring: Ring;
  /** Bottom and top points of each divider (n strips → n + 1 dividers). */
  bottoms: Pt[];
  tops: Pt[];
  /** Per strip: fraction along the dividers where it is split in two, or null. */
  splits: (number | null)[];
  parcelCount: number;
  reserve: boolean;
  centre: Pt;
  rngSeed: number;
}

export interface BlockOptions {
  seed: number;
  /** Multiplies parcel areas (1 = 0.5–6 ha); lengths scale with its square root. */
  areaScale: number;
}

/** Minimum and maximum parcel areas in m² for an area scale. */
export function areaBounds(areaScale: number): [number, number] {
  return [5000 * areaScale, 60000 * areaScale];
}

/** All candidate blocks that fit the mask, in a deterministic order. */
export function generateFieldBlocks(mask: FarmMask, opts: BlockOptions): FieldBlock[] {
  const blocks: FieldBlock[] = [];
  const R = REGION_SIZE;
  const gx0 = Math.floor(mask.x0 / R), gx1 = Math.floor((mask.x0 + mask.nx * mask.cell) / R);
  const gy0 = Math.floor(mask.y0 / R), gy1 = Math.floor((mask.y0 + mask.ny * mask.cell) / R);
  for (let gy = gy0; gy <= gy1; gy++) {
    for (let gx = gx0; gx <= gx1; gx++) {
      const rng = createRng(mix32(opts.seed, gx, gy, 0x5eed));
      regionBlocks(mask, opts, gx * R, gy * R, rng, blocks);
    }
  }
  return blocks;
}

function regionBlocks(mask: FarmMask, opts: BlockOptions, rx: number, ry: number, rng: Rng, out: FieldBlock[]): void {
  const R = REGION_SIZE;
  const ls = Math.sqrt(opts.areaScale);
  const [minA, maxA] = areaBounds(opts.areaScale);
  // Quick reject: region entirely outside the farmable area.
  let any = false;
  for (let i = 0; i <= 8 && !any; i++) for (let j = 0; j <= 8 && !any; j++) if (maskAt(mask, rx + (R * i) / 8, ry + (R * j) / 8) !== OUT) any = true;
  if (!any) return;
  const theta = ((rng.pick([0, 0, 90, 90, 45, -30]) + rng.range(-18, 18)) * Math.PI) / 180;
  const c = Math.cos(theta), s = Math.sin(theta);
  const cx = rx + R / 2, cy = ry + R / 2;
  const toWorld = (u: number, v: number): Pt => [cx + u * c - v * s, cy + u * s + v * c];
  const half = (R / 2) * Math.SQRT2;
  const inset = 6;
  const inRegion = (p: Pt): boolean => p[0] >= rx + inset && p[0] <= rx + R - inset && p[1] >= ry + inset && p[1] <= ry + R - inset;
  let v0 = -half + rng.range(0, 200);
  while (v0 < half) {
    const H = rng.range(240, 620) * ls;
    let u0 = -half + rng.range(0, 150);
    let rowTop = v0 + H;
    let carry = rng.range(-0.04, 0.04) * H;
    while (u0 < half) {
      const n = rng.int(3, 11);
      // Strip widths follow a log-normal area (median 2.9 ha) but stay where both the smallest
      // (after ridges) and the largest parcel remain inside the allowed area range.
      const wMin = Math.max(26 * ls, (minA * 1.2) / (0.9 * H - 10) + 8);
      const wMax = Math.min(180 * ls, (maxA * 0.97) / (1.1 * H));
      const us: number[] = [u0];
      for (let j = 0; j < n; j++) {
        const target = Math.exp(Math.log(29000) + 0.5 * rng.normal()) * opts.areaScale;
        us.push(us[j] + Math.min(Math.max(target / H, wMin), wMax));
      }
      const W = us[n] - u0;
      const k = rng.chance(0.35) ? (rng.range(-1, 1) * 0.08 * H) / W : 0; // slanted far end of the block
      // The first divider continues the slant of the previous block's last one, so
      // neighbouring blocks stay parallel across the field road instead of crossing.
      const ds: number[] = [carry];
      for (let j = 0; j < n; j++) {
        // Mean-reverting slant; the far end of a strip stays within ±25 % of its near-end width.
        const w = us[j + 1] - us[j];
        const d = ds[j] * 0.85 + rng.range(-0.4, 0.4) * Math.min(w, 0.05 * H);
        ds.push(Math.min(Math.max(d, ds[j] - 0.25 * w), ds[j] + 0.25 * w));
      }
      const bottoms: Pt[] = us.map((u) => [u, v0]);
      // Far ends on one straight line (so the block quad really contains every strip).
      const tops: Pt[] = us.map((u, j) => [u + ds[j], v0 + H + k * (u + ds[j] - u0)]);
      const wb = bottoms.map(([u, v]) => toWorld(u, v));
      const wt = tops.map(([u, v]) => toWorld(u, v));
      // Keep the runs of consecutive strips that fit (inside the square, on farmable cells):
      // each run becomes one block, so a village or a road only removes the strips it touches.
      let runStart = -1;
      for (let j = 0; j <= n; j++) {
        const fitsStrip = j < n && [wb[j], wb[j + 1], wt[j + 1], wt[j]].every(inRegion) && fits(mask, [wb[j], wb[j + 1], wt[j + 1], wt[j]]);
        if (fitsStrip && runStart < 0) runStart = j;
        if (!fitsStrip && runStart >= 0) {
          const splits: (number | null)[] = [];
          for (let i = runStart; i < j; i++) {
            const w = us[i + 1] - us[i];
            const len = Math.min(tops[i][1], tops[i + 1][1]) - v0;
            let split: number | null = null;
            if (len > 420 * ls && rng.chance(0.3)) {
              const f = rng.range(0.35, 0.65);
              if ((w - 8) * (len * Math.min(f, 1 - f) - 10) >= minA * 1.2) split = f;
            }
            splits.push(split);
          }
          const bs = wb.slice(runStart, j + 1), ts = wt.slice(runStart, j + 1);
          const quad: Pt[] = [bs[0], bs[bs.length - 1], ts[ts.length - 1], ts[0]];
          const centre: Pt = [(quad[0][0] + quad[1][0] + quad[2][0] + quad[3][0]) / 4, (quad[0][1] + quad[1][1] + quad[2][1] + quad[3][1]) / 4];
          out.push({
            order: out.length,
            ring: quad,
            bottoms: bs,
            tops: ts,
            splits,
            parcelCount: splits.reduce<number>((c, f) => c + (f === null ? 1 : 2), 0),
            reserve: maskAt(mask, centre[0], centre[1]) === RESERVE,
            centre,
            rngSeed: mix32(out.length, Math.round(centre[0]), Math.round(centre[1])),
          });
          runStart = -1;
        }
      }
      rowTop = Math.max(rowTop, tops[0][1], tops[n][1]);
      carry = ds[n];
      u0 = us[n] + rng.range(6, 14);
    }
    v0 = rowTop + rng.range(8, 16);
  }
}

/** Every sample point (≤ 40 m apart) of the quad lies on farmable cells. */
function fits(mask: FarmMask, q: readonly Pt[]): boolean {
  const [a, b, cc, d] = q;
  const nu = Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1]) / 40) + 1;
  const nv = Math.ceil(Math.hypot(d[0] - a[0], d[1] - a[1]) / 40) + 1;
  for (let i = 0; i < nu; i++) {
    const t = i / (nu - 1);
    const lo: Pt = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
    const hi: Pt = [d[0] + (cc[0] - d[0]) * t, d[1] + (cc[1] - d[1]) * t];
    for (let j = 0; j < nv; j++) {
      const r = j / (nv - 1);
      if (maskAt(mask, lo[0] + (hi[0] - lo[0]) * r, lo[1] + (hi[1] - lo[1]) * r) === OUT) return false;
    }
  }
  return true;
}

/** Inward unit normal of edge a→b of a CCW ring. */
function inwardNormal(a: Pt, b: Pt): Pt {
  const l = Math.hypot(b[0] - a[0], b[1] - a[1]);
  return [-(b[1] - a[1]) / l, (b[0] - a[0]) / l];
}

/** Offsets a convex CCW quad inwards by g metres (mitred corners). */
function insetQuad(q: readonly Pt[], g: number): Pt[] {
  return q.map((p, i) => {
    const prev = q[(i + 3) % 4], next = q[(i + 1) % 4];
    const n1 = inwardNormal(prev, p), n2 = inwardNormal(p, next);
    const k = g / (1 + n1[0] * n2[0] + n1[1] * n2[1]);
    return [p[0] + (n1[0] + n2[0]) * k, p[1] + (n1[1] + n2[1]) * k] as Pt;
  });
}

/**
 * The parcels of a block: CCW rings (open), 4–10 vertices, GK metres. Each is its strip slot
 * inset by a 1.5 m ridge, corners pulled inwards a little, sometimes a cut corner, sometimes a
 * bend along the long sides (at most 1 m outwards, so never past the ridge).
 */
export function blockParcels(b: FieldBlock, seed: number): Ring[] {
  const rng = createRng(mix32(seed, b.rngSeed, 0xfa4d));
  const out: Ring[] = [];
  const n = b.splits.length;
  const along = (j: number, t: number): Pt => [b.bottoms[j][0] + (b.tops[j][0] - b.bottoms[j][0]) * t, b.bottoms[j][1] + (b.tops[j][1] - b.bottoms[j][1]) * t];
  for (let j = 0; j < n; j++) {
    const f = b.splits[j];
    const len = Math.hypot(b.tops[j][0] - b.bottoms[j][0], b.tops[j][1] - b.bottoms[j][1]);
    const pieces: [number, number][] = f === null ? [[0, 1]] : [[0, f - 1.5 / len], [f + 1.5 / len, 1]];
    for (const [ta, tb] of pieces) {
      const slot: Pt[] = [along(j, ta), along(j + 1, ta), along(j + 1, tb), along(j, tb)];
      const q = insetQuad(slot, 1.5);
      const cx = (q[0][0] + q[1][0] + q[2][0] + q[3][0]) / 4, cy = (q[0][1] + q[1][1] + q[2][1] + q[3][1]) / 4;
      const pull = (p: Pt): Pt => {
        const d = Math.hypot(cx - p[0], cy - p[1]);
        const m = rng.range(0, 3) / d;
        return [p[0] + (cx - p[0]) * m, p[1] + (cy - p[1]) * m];
      };
      const corners = q.map(pull);
      const ring: Pt[] = [];
      const cut = rng.chance(0.15) ? rng.int(0, 3) : -1;
      for (let i = 0; i < 4; i++) {
        const p = corners[i], prev = corners[(i + 3) % 4], next = corners[(i + 1) % 4];
        if (i === cut) {
          const c = rng.range(5, 15);
          const lp = Math.hypot(prev[0] - p[0], prev[1] - p[1]), ln = Math.hypot(next[0] - p[0], next[1] - p[1]);
          ring.push([p[0] + ((prev[0] - p[0]) / lp) * c, p[1] + ((prev[1] - p[1]) / lp) * c]);
          ring.push([p[0] + ((next[0] - p[0]) / ln) * c, p[1] + ((next[1] - p[1]) / ln) * c]);
        } else {
          ring.push(p);
        }
        // Long sides are edges 1 (right divider) and 3 (left divider): bend them now and then.
        if ((i === 1 || i === 3) && rng.chance(0.45)) {
          const bends = rng.int(1, 2);
          const nrm = inwardNormal(p, next);
          const ts = bends === 1 ? [rng.range(0.3, 0.7)] : [rng.range(0.2, 0.45), rng.range(0.55, 0.8)];
          for (const t of ts) {
            const off = rng.range(-1, 3);
            ring.push([p[0] + (next[0] - p[0]) * t + nrm[0] * off, p[1] + (next[1] - p[1]) * t + nrm[1] * off]);
          }
        }
      }
      out.push(signedArea(ring) >= 0 ? ring : ring.reverse());
    }
  }
  return out;
}

/** Deterministic per-block choices: how attractive for protection, land class, soil grade. */
export function blockTraits(b: FieldBlock, seed: number, nearRiver: boolean): { score: number; landClass: LandClass; grade: number } {
  const rng = createRng(mix32(seed, b.rngSeed, 0x7a17));
  const score = 0.8 * fbm(seed + 17, b.centre[0], b.centre[1], 2600) + 0.2 * rng.next();
  const r = rng.next();
  const landClass: LandClass = nearRiver ? (r < 0.5 ? '水田' : r < 0.6 ? '水浇地' : '旱地') : r < 0.1 ? '水浇地' : '旱地';
  const grade = 6 + Math.min(5, Math.floor(fbm(seed + 29, b.centre[0], b.centre[1], 9000) * 6 + rng.range(-0.5, 0.5)));
  return { score, landClass, grade };
}
