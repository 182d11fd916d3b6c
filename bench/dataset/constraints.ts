/**
 * Control-line shapes (生态保护红线, 城镇开发边界) and the unpublished ground features that only
 * shape the farmland (villages, railway, drainage channels, river channels), in GK metres.
 *
 * Pure TypeScript so the benchmark farmland generator can use them without PostGIS. Red-line
 * regions deliberately reach past the county line; the published layer is region ∩ county.
 */
import { kmToGK, sectionLine, type CountyOutline } from './outline.ts';
import { arcLengths, blob, fractalizeLine, nearestArc, offsetLine, smoothedSubline, type Pt, type Ring } from './planar.ts';
import { stream } from './prng.ts';

export interface RedlineDef {
  key: string;
  name: string;
  /** 生态功能类型 */
  category: string;
  /** 红线类型 (what is protected) */
  subtype: string;
  /** Polygons (outer rings, open, GK) whose union ∩ county is the feature. */
  regions: Ring[];
}

export interface UrbanDef {
  key: string;
  name: string;
  kind: 'city' | 'town';
  ring: Ring;
  /** Distance (m) within which cultivated land is reserved, not permanently protected. */
  reserve: number;
}

export interface Corridor {
  name: string;
  line: Pt[];
  /** Half width, metres. */
  halfWidth: number;
}

export interface ConstraintShapes {
  redline: RedlineDef[];
  urban: UrbanDef[];
  villages: Ring[];
  corridors: Corridor[];
}

/** Where the red line along the Songhua is interrupted (port, railway bridge, 松花江镇 town front). */
export const SONGHUA_GAP_KM: [Pt, Pt] = [[36.2, 25.6], [29.2, 28.4]];

/**
 * A band along one side of a roughened river section: from a smoothed copy of the river line
 * offset 4 km outwards (outside the county) to the same line offset `width` inwards.
 */
function riverBand(outline: CountyOutline, sectionId: string, s0: number, s1: number, width: [number, number], seed: number): Ring {
  const rng = stream(seed, `band:${sectionId}:${Math.round(s0)}`);
  const line = sectionLine(outline, sectionId);
  const centre = smoothedSubline(line, s0, s1, 250, 1800);
  const ws = centre.map((_, i) => i);
  const knots = Array.from({ length: Math.ceil(centre.length / 12) + 2 }, () => rng.range(width[0], width[1]));
  const w = (i: number): number => {
    const t = i / 12, k = Math.floor(t), f = t - k, g = f * f * (3 - 2 * f);
    return knots[k] * (1 - g) + knots[k + 1] * g;
  };
  // The ring runs counter-clockwise, so the county interior is on the left of the river line.
  const inner = fractalizeLine(offsetLine(centre, (i) => w(ws[i])), 120, 0.12, rng);
  const outer = offsetLine(centre, () => -4000);
  return [...outer, ...inner.reverse()];
}

export function buildConstraints(outline: CountyOutline, seed: number): ConstraintShapes {
  const rng = stream(seed, 'constraints');
  const songhua = sectionLine(outline, 'songhua');
  const shLen = arcLengths(songhua).at(-1)!;
  const gap0 = nearestArc(songhua, kmToGK(...SONGHUA_GAP_KM[0]));
  const gap1 = nearestArc(songhua, kmToGK(...SONGHUA_GAP_KM[1]));
  const yinma = sectionLine(outline, 'yinma');
  const yitong = sectionLine(outline, 'yitong');
  const wukai = sectionLine(outline, 'wukai');

  const redline: RedlineDef[] = [
    {
      key: 'songhua', name: '松花江（德惠段）河湖湿地生态保护红线', category: '水源涵养', subtype: '河流湿地',
      regions: [riverBand(outline, 'songhua', 2500, gap0, [1300, 2600], seed), riverBand(outline, 'songhua', gap1, shLen - 2500, [1300, 2600], seed)],
    },
    {
      key: 'yinma', name: '饮马河—伊通河河湖湿地生态保护红线', category: '水源涵养', subtype: '河流湿地',
      regions: [
        riverBand(outline, 'yinma', 3500, arcLengths(yinma).at(-1)!, [700, 1400], seed),
        riverBand(outline, 'yitong', 0, arcLengths(yitong).at(-1)! - 1500, [600, 1100], seed),
      ],
    },
    {
      key: 'wukai', name: '雾开河河岸带生态保护红线', category: '水土保持', subtype: '河流湿地',
      regions: [riverBand(outline, 'wukai', 1500, arcLengths(wukai).at(-1)! - 1500, [350, 650], seed)],
    },
    {
      key: 'forest', name: '大青嘴丘陵水源涵养林生态保护红线', category: '水源涵养', subtype: '森林',
      regions: [blob(kmToGK(40.6, -0.9), 1300, rng, { irregularity: 0.3, stretch: 1.4, angle: 0.5 })],
    },
    {
      key: 'wetland', name: '五台乡沼泽湿地生态保护红线', category: '生物多样性维护', subtype: '湖泊沼泽湿地',
      regions: [blob(kmToGK(14.5, 27.2), 1100, rng, { irregularity: 0.35, stretch: 1.3, angle: -0.3 })],
    },
  ];

  const urban: UrbanDef[] = [
    { key: 'city', name: '德惠市中心城区城镇开发边界', kind: 'city', ring: blob(kmToGK(0.8, 0.3), 3500, rng, { irregularity: 0.18, stretch: 1.15, angle: 0.6, vertices: 96 }), reserve: 2500 },
    { key: 'mishazi', name: '米沙子镇（米沙子工业集中区）城镇开发边界', kind: 'town', ring: blob(kmToGK(-17.4, -34.2), 1900, rng, { irregularity: 0.22, stretch: 1.3, angle: 0.9, vertices: 64 }), reserve: 1500 },
    { key: 'songhuajiang', name: '松花江镇城镇开发边界', kind: 'town', ring: blob(kmToGK(30.8, 25.2), 850, rng, { irregularity: 0.2, vertices: 40 }), reserve: 1200 },
    { key: 'buhai', name: '布海镇城镇开发边界', kind: 'town', ring: blob(kmToGK(4.5, 28.5), 750, rng, { irregularity: 0.2, vertices: 40 }), reserve: 1200 },
    { key: 'zhuchengzi', name: '朱城子镇城镇开发边界', kind: 'town', ring: blob(kmToGK(9.5, -8.5), 750, rng, { irregularity: 0.2, vertices: 40 }), reserve: 1200 },
    { key: 'dajiagou', name: '达家沟镇城镇开发边界', kind: 'town', ring: blob(kmToGK(20, -3), 650, rng, { irregularity: 0.2, vertices: 36 }), reserve: 1000 },
    { key: 'caiyuanzi', name: '菜园子镇城镇开发边界', kind: 'town', ring: blob(kmToGK(42, 10.5), 650, rng, { irregularity: 0.2, vertices: 36 }), reserve: 1000 },
  ];

  // Villages (自然屯) on a jittered 2.3 km lattice: holes in the farmland, not published.
  const vr = stream(seed, 'villages');
  const villages: Ring[] = [];
  for (let gx = -40; gx <= 58; gx += 2.3) {
    for (let gy = -48; gy <= 40; gy += 2.3) {
      const c = kmToGK(gx + vr.range(-0.8, 0.8), gy + vr.range(-0.8, 0.8));
      villages.push(blob(c, vr.range(110, 300), vr, { irregularity: 0.3, stretch: vr.range(1, 1.8), angle: vr.range(0, Math.PI), vertices: 14 }));
    }
  }

  const cr = stream(seed, 'corridors');
  const rough = (pts: Pt[]): Pt[] => fractalizeLine(pts.map(([x, y]) => kmToGK(x, y)), 300, 0.04, cr);
  const corridors: Corridor[] = [
    // 京哈铁路 / 长哈高速 run south-west → north-east through 米沙子, the seat and 松花江镇.
    { name: '京哈铁路', line: rough([[-27, -47], [-18, -35], [-9, -21], [-1, -2], [6, 8], [17, 18], [31.5, 27], [34, 31]]), halfWidth: 35 },
    { name: '长哈高速', line: rough([[-25, -48], [-15, -36], [-5, -20], [3, -3], [11, 9], [22, 20], [33, 26], [36, 30]]), halfWidth: 40 },
    { name: '排干渠（一）', line: rough([[-30, -8], [-20, -6], [-12, -10], [-4, -8]]), halfWidth: 30 },
    { name: '排干渠（二）', line: rough([[20, 15], [26, 12], [33, 12], [40, 16]]), halfWidth: 30 },
    { name: '排干渠（三）', line: rough([[-5, 30], [-4, 24], [2, 20], [8, 18]]), halfWidth: 30 },
  ];
  return { redline, urban, villages, corridors };
}
