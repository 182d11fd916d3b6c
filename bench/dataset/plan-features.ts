/**
 * Geometry and attributes of the plan's own features (专栏4–8, 专栏2 mines), in GK metres.
 *
 * The plan prints no coordinates (and `**` for counts and areas), so every shape here is
 * invented and flagged `illustrative: true`; only names, minerals, stages, townships and the
 * mine list come from the plan. `expect` records where each shape must lie; the generator checks
 * it against the computed townships and fails loudly rather than ship a silent surprise.
 */
import { kmToGK, sectionLine, type CountyOutline } from './outline.ts';
import { blob, nearestArc, arcLengths, pointAt, roundPt, rotatedRect, type Pt, type Ring } from './planar.ts';
import { fromGK, toGK } from './projection.ts';
import { stream, type Rng } from './prng.ts';

export type PlanLayer = 'key-exploration-zones' | 'key-mining-zones' | 'key-development-areas' | 'exploration-blocks' | 'mining-blocks' | 'mining-rights';

/** Letters of the deliberate situations documented in data/README.md. */
export type Deliberate = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';

export interface PlanShape {
  layer: PlanLayer;
  ring: Ring;
  props: Record<string, unknown>;
  /** Township(s) the shape must lie in (union), unless `partlyOutsideTownship`. */
  townships: string[];
  /** Clip the shape to these townships (shrunk by 200 m) instead of trusting the drawing. */
  clipToTownships?: boolean;
  deliberate?: Deliberate[];
}

export const PERIOD = '2021—2025';
const CITY_PLAN = '长春市矿产资源总体规划（2021—2025年）';

/** A rectangle on the 30″ graticule (exploration blocks are set out in lon/lat), GK metres. */
function graticuleRect(centreKm: Pt, lonCells: number, latCells: number): Ring {
  const [lon, lat] = fromGK(...kmToGK(...centreKm));
  const cell = 30 / 3600;
  const w = Math.round(lon / cell - lonCells / 2) * cell;
  const s = Math.round(lat / cell - latCells / 2) * cell;
  const e = w + lonCells * cell, n = s + latCells * cell;
  return [toGK(w, s), toGK(e, s), toGK(e, n), toGK(w, n)];
}

/** An irregular polygon of 拐点 on the whole metre, as mining titles are surveyed. */
function cornerPolygon(centreKm: Pt, w: number, h: number, angleDeg: number, rng: Rng, extra = 1): Ring {
  const base = rotatedRect(kmToGK(...centreKm), w, h, angleDeg, rng, Math.min(w, h) * 0.08);
  const out: Pt[] = [];
  for (let i = 0; i < 4; i++) {
    out.push(roundPt(base[i], 1));
    if (i < extra) {
      const a = base[i], b = base[(i + 1) % 4];
      const t = rng.range(0.35, 0.65), bump = rng.range(-0.06, 0.06) * Math.hypot(b[0] - a[0], b[1] - a[1]);
      const nx = -(b[1] - a[1]), ny = b[0] - a[0], nl = Math.hypot(nx, ny);
      out.push(roundPt([a[0] + (b[0] - a[0]) * t + (nx / nl) * bump, a[1] + (b[1] - a[1]) * t + (ny / nl) * bump], 1));
    }
  }
  return out;
}

export function buildPlanShapes(outline: CountyOutline, seed: number): PlanShape[] {
  const rng = stream(seed, 'plan-features');
  const shapes: PlanShape[] = [];
  const il = { period: PERIOD, illustrative: true };
  const ilr = { illustrative: true }; // rights carry no planning period

  // 专栏5 — two geothermal key exploration zones in 米沙子, under the city-level zone.
  const parentZone = '公主岭-九台地热资源重点勘查区（市规划）';
  shapes.push(
    { layer: 'key-exploration-zones', ring: blob(kmToGK(-22, -38.6), 3100, rng, { irregularity: 0.15, stretch: 1.25, angle: 0.9, vertices: 40 }), townships: ['米沙子镇'],
      props: { code: 'ZK-DH-01', name: '米沙子地热资源重点勘查区（一）', mineral: '地热', parent_zone: parentZone, ...il } },
    { layer: 'key-exploration-zones', ring: blob(kmToGK(-12.6, -28.6), 2300, rng, { irregularity: 0.15, stretch: 1.2, angle: 0.4, vertices: 36 }), townships: ['米沙子镇'],
      props: { code: 'ZK-DH-02', name: '米沙子地热资源重点勘查区（二）', mineral: '地热', parent_zone: parentZone, ...il } },
  );

  // 专栏6 / 专栏4 — the mineral-water key mining zone and the industry area around it.
  shapes.push(
    { layer: 'key-mining-zones', ring: blob(kmToGK(32, 0.8), 2500, rng, { irregularity: 0.12, stretch: 1.45, angle: -0.95, vertices: 40 }), townships: ['大青嘴镇', '大房身镇'],
      props: { code: 'ZC-DH-01', name: '大青咀—大房身镇矿泉水资源重点开采区', mineral: '矿泉水', ...il } },
    { layer: 'key-development-areas', ring: blob(kmToGK(30, 1), 6500, rng, { irregularity: 0.12, stretch: 1.2, angle: -0.6, vertices: 72 }), townships: ['大青嘴镇', '大房身镇'], clipToTownships: true,
      props: { code: 'ZF-DH-01', name: '大房身—大青咀镇矿泉水资源产业重点发展区域', mineral: '矿泉水', key_mining_zone: '大青咀—大房身镇矿泉水资源重点开采区', mining_rights: '矿泉水：2', ...il } },
  );

  // 专栏7 — exploration blocks carried over from the city plan: 地热 普查 at 米沙子,
  // 矿泉水 详查 at 达家沟/大房身/菜园子.
  const eb = (code: string, name: string, mineral: string, stage: string, township: string, ring: Ring, extra: Record<string, unknown> = {}, deliberate?: Deliberate[]): PlanShape => ({
    layer: 'exploration-blocks', ring, townships: [township], deliberate,
    props: { code, name, mineral, stage, setting_type: '新设', source_plan: CITY_PLAN, ...extra, ...il },
  });
  shapes.push(
    eb('KT-DH-01', '米沙子镇地热普查区块（一）', '地热', '普查', '米沙子镇', graticuleRect([-23.2, -39.4], 4, 2), { parent_zone: '米沙子地热资源重点勘查区（一）' }),
    eb('KT-DH-02', '米沙子镇地热普查区块（二）', '地热', '普查', '米沙子镇', graticuleRect([-20.7, -37.4], 3, 2), { parent_zone: '米沙子地热资源重点勘查区（一）' }),
    eb('KT-DH-03', '米沙子镇地热普查区块（三）', '地热', '普查', '米沙子镇', graticuleRect([-12.6, -28.4], 4, 2), { parent_zone: '米沙子地热资源重点勘查区（二）' }),
    eb('KT-DH-04', '达家沟镇矿泉水详查区块（一）', '矿泉水', '详查', '达家沟镇', graticuleRect([18.5, -8], 2, 1)),
    eb('KT-DH-05', '达家沟镇矿泉水详查区块（二）', '矿泉水', '详查', '达家沟镇', graticuleRect([15.1, -4.6], 3, 2), {}, ['b']),
    eb('KT-DH-06', '大房身镇矿泉水详查区块', '矿泉水', '详查', '大房身镇', graticuleRect([25.5, 9.5], 2, 2)),
    eb('KT-DH-07', '菜园子镇矿泉水详查区块（一）', '矿泉水', '详查', '菜园子镇', graticuleRect([43.6, 6.4], 2, 1)),
    eb('KT-DH-08', '菜园子镇矿泉水详查区块（二）', '矿泉水', '详查', '菜园子镇', graticuleRect([44, 14.2], 3, 2), {}, ['c']),
  );

  // 专栏8 — 建筑用砂 mining blocks at 松花江镇 (非河沙).
  const mb = (code: string, name: string, ring: Ring, scale: string, deliberate?: Deliberate[]): PlanShape => ({
    layer: 'mining-blocks', ring, townships: ['松花江镇'], deliberate,
    props: { code, name, mineral: '建筑用砂', setting_type: '新设', scale, remark: '非河沙', ...il },
  });
  shapes.push(
    mb('CK-DH-01', '松花江镇建筑用砂开采规划区块（一）', cornerPolygon([35, 20.6], 1100, 800, 25, rng, 2), '中'),
    mb('CK-DH-02', '松花江镇建筑用砂开采规划区块（二）', cornerPolygon([26.8, 22.4], 900, 700, -10, rng, 1), '小'),
    mb('CK-DH-03', '松花江镇建筑用砂开采规划区块（三）', cornerPolygon([31.6, 24.7], 1000, 700, 35, rng, 1), '小', ['d']),
    mb('CK-DH-04', '松花江镇建筑用砂开采规划区块（四）', riverEdgeBlock(outline, [33.2, 27.6], 900, 520, 0.15, rng), '小', ['e']),
  );

  // 专栏2 — the three mines of 2020: 陶粒页岩 (medium, 杨树) and two small mineral-water mines.
  shapes.push(
    { layer: 'mining-rights', ring: cornerPolygon([6.2, -13.6], 950, 620, 15, rng, 2), townships: ['朱城子镇'], deliberate: ['a'],
      props: { licence_no: 'C2201832009067130012345', name: '德惠市杨树陶粒页岩矿', holder: '德惠市杨树陶粒建材有限公司', mineral: '陶粒页岩', scale: '中', locality: '杨树', mining_method: '露天开采', design_capacity: 85.6, capacity_unit: '万吨/年', valid_from: '2019-06-18', valid_to: '2024-06-17', status: '停产', ...ilr } },
    { layer: 'mining-rights', ring: cornerPolygon([30.4, 3.3], 320, 240, -20, rng, 1), townships: ['大房身镇'], deliberate: ['f'],
      props: { licence_no: 'C2201832011087130118764', name: '德惠市大房身矿泉水矿', holder: '德惠市泉润矿泉水有限公司', mineral: '矿泉水', scale: '小', locality: '大房身', mining_method: '地下开采（井采）', design_capacity: 3.6, capacity_unit: '万立方米/年', valid_from: '2021-09-01', valid_to: '2026-08-31', status: '生产', ...ilr } },
    { layer: 'mining-rights', ring: cornerPolygon([33.3, -1.6], 280, 260, 10, rng, 1), townships: ['大青嘴镇'], deliberate: ['f'],
      props: { licence_no: 'C2201832014037130131502', name: '德惠市大青咀矿泉水矿', holder: '吉林省青咀山泉饮品有限公司', mineral: '矿泉水', scale: '小', locality: '大青咀', mining_method: '地下开采（井采）', design_capacity: 2.6, capacity_unit: '万立方米/年', valid_from: '2019-03-20', valid_to: '2027-03-19', status: '生产', ...ilr } },
  );
  return shapes;
}

/**
 * The block that deliberately crosses the county line (situation e): a rectangle laid along the
 * river bank near `nearKm`, with about `outsideShare` of its depth beyond the boundary.
 */
function riverEdgeBlock(outline: CountyOutline, nearKm: Pt, length: number, depth: number, outsideShare: number, rng: Rng): Ring {
  const line = sectionLine(outline, 'songhua');
  const cum = arcLengths(line);
  const s = nearestArc(line, kmToGK(...nearKm));
  const p = pointAt(line, cum, s);
  const a = pointAt(line, cum, s - 600), b = pointAt(line, cum, s + 600);
  const ang = Math.atan2(b[1] - a[1], b[0] - a[0]);
  const inward: Pt = [-Math.sin(ang), Math.cos(ang)]; // left of the CCW ring = inside
  const off = depth * (0.5 - outsideShare);
  const c: Pt = [p[0] + inward[0] * off, p[1] + inward[1] * off];
  return rotatedRect(c, length, depth, (ang * 180) / Math.PI, rng, 15).map((q) => roundPt(q, 1));
}
