/**
 * The synthetic county outline of 德惠市, in Gauss-Kruger metres (EPSG:4551).
 *
 * Hand-drawn control polygon (km east/north of the county seat at 125.70°E 44.53°N), roughened
 * with midpoint displacement (meanders on river sections, field-road zigzag on land sections),
 * then scaled about the seat so the area equals the published 3322.24 km². It is NOT the real
 * boundary: only its broad layout follows the plan's description (第一章第一节).
 */
import { fractalize, signedArea, type Pt, type Ring } from './planar.ts';
import { gkScaleFactor, toGK } from './projection.ts';
import { stream } from './prng.ts';

export const SEAT_LONLAT: Pt = [125.7, 44.53];
export const OFFICIAL_AREA_KM2 = 3322.24;
/** Published extent: E125°14′–126°24′, N44°02′–44°53′. */
export const PLAN_BBOX = { west: 125 + 14 / 60, east: 126 + 24 / 60, south: 44 + 2 / 60, north: 44 + 53 / 60 };

const KM_PER_DEG_LON = 111.32 * Math.cos((SEAT_LONLAT[1] * Math.PI) / 180);
const KM_PER_DEG_LAT = 111.13;

/** km offsets from the seat → GK metres (only used to place hand-drawn control points). */
export function kmToGK(x: number, y: number): Pt {
  return toGK(SEAT_LONLAT[0] + x / KM_PER_DEG_LON, SEAT_LONLAT[1] + y / KM_PER_DEG_LAT);
}

export type SectionKind = 'land' | 'river';
interface SectionDef {
  id: string;
  name: string;
  kind: SectionKind;
  /** Control points (km from the seat), in counter-clockwise ring order. */
  points: Pt[];
}

// Counter-clockwise: south (九台, 雾开河) → east (松花江, facing 榆树/扶余) → north-west
// (饮马河, 伊通河, facing 农安) → west (农安, 长春新区) → back to the south-west tip.
const SECTIONS: SectionDef[] = [
  { id: 'south-west', name: '长春新区界', kind: 'land', points: [[-24, -45], [-20, -44], [-16, -40], [-12, -33], [-8, -26]] },
  { id: 'wukai', name: '雾开河', kind: 'river', points: [[-8, -26], [-2, -22], [4, -19], [10, -17]] },
  { id: 'south-east', name: '九台区界', kind: 'land', points: [[10, -17], [14, -12], [20, -13], [26, -11], [30, -6], [38, -3], [45, -2.5]] },
  { id: 'songhua', name: '松花江', kind: 'river', points: [[45, -2.5], [53, 2], [50, 9], [46, 16], [41, 23], [33, 27.5], [22, 30], [12, 33], [4, 37.5]] },
  { id: 'yinma', name: '饮马河', kind: 'river', points: [[4, 37.5], [0, 32], [-2, 27], [-5, 22], [-8, 17], [-13, 13.5]] },
  { id: 'yitong', name: '伊通河', kind: 'river', points: [[-13, 13.5], [-19, 11], [-25, 7]] },
  { id: 'west', name: '农安县界', kind: 'land', points: [[-25, 7], [-29, 3], [-33, -2], [-31, -9], [-34, -16], [-33, -24], [-30, -32], [-28, -40], [-24, -45]] },
];

export interface Section {
  id: string;
  name: string;
  kind: SectionKind;
  /** Scaled control polyline, GK metres. */
  control: Pt[];
  /** The roughened boundary of this section: ring[start..end] (inclusive, wraps for the last). */
  start: number;
  end: number;
}

export interface CountyOutline {
  /** Open CCW ring, GK metres, rounded to the centimetre. */
  ring: Ring;
  sections: Section[];
  seat: Pt;
  scale: number;
}

/** Approximate ellipsoidal area (m²) of a GK ring: planar area / k² at the centroid. */
export function approxEllipsoidalArea(ring: readonly Pt[]): number {
  let sx = 0, sy = 0;
  for (const p of ring) { sx += p[0]; sy += p[1]; }
  const k = gkScaleFactor(sx / ring.length);
  return Math.abs(signedArea(ring)) / (k * k);
}

/** Builds the county outline. Deterministic for a given seed. */
export function buildCountyOutline(seed: number): CountyOutline {
  const rng = stream(seed, 'county-outline');
  const seat = toGK(SEAT_LONLAT[0], SEAT_LONLAT[1]);
  const raw: Pt[] = [];
  const marks: { start: number; end: number }[] = [];
  for (const s of SECTIONS) {
    const ctrl = s.points.map(([x, y]) => kmToGK(x, y));
    const start = raw.length;
    for (let i = 1; i < ctrl.length; i++) {
      // Rivers meander (rougher, finer); land boundaries follow field roads (gentler zigzag).
      const pieces = s.kind === 'river'
        ? fractalize(ctrl[i - 1], ctrl[i], 160, (len) => (len > 2500 ? 0.13 : 0.2), rng)
        : fractalize(ctrl[i - 1], ctrl[i], 260, (len) => (len > 2500 ? 0.05 : 0.12), rng);
      raw.push(...pieces);
    }
    marks.push({ start, end: raw.length });
  }
  const area = approxEllipsoidalArea(raw);
  const scale = Math.sqrt((OFFICIAL_AREA_KM2 * 1e6) / area);
  const sc = (p: Pt): Pt => [seat[0] + (p[0] - seat[0]) * scale, seat[1] + (p[1] - seat[1]) * scale];
  const ring = raw.map((p) => {
    const q = sc(p);
    return [Math.round(q[0] * 100) / 100, Math.round(q[1] * 100) / 100] as Pt;
  });
  const sections: Section[] = SECTIONS.map((s, i) => ({
    id: s.id,
    name: s.name,
    kind: s.kind,
    control: s.points.map(([x, y]) => sc(kmToGK(x, y))),
    start: marks[i].start,
    end: marks[i].end % ring.length,
  }));
  return { ring, sections, seat, scale };
}

/** The roughened boundary of one section as an open polyline (GK metres). */
export function sectionLine(outline: CountyOutline, id: string): Pt[] {
  const s = outline.sections.find((x) => x.id === id);
  if (!s) throw new Error(`unknown section ${id}`);
  const n = outline.ring.length;
  const out: Pt[] = [];
  for (let i = s.start; ; i = (i + 1) % n) {
    out.push(outline.ring[i]);
    if (i === s.end) break;
  }
  return out;
}
