/**
 * The 20 township-level units of 德惠市 (domain.md §1) and the seed points their synthetic
 * boundaries grow from. Seeds are km east/north of the county seat; a township may own several
 * seeds so that its Voronoi-based outline is not a single convex cell. Positions are rough
 * guesses at the real layout (米沙子/万宝 south-west towards Changchun, 松花江/菜园子 on the
 * river, 大青嘴 south-east, 大房身 north of it, the 街道 around the seat), not survey data.
 */
import type { Pt } from './planar.ts';

export type TownshipType = '街道' | '镇' | '乡';

export interface TownshipDef {
  code: string;
  name: string;
  type: TownshipType;
  /** Code not printed in the source: invented and flagged. */
  illustrative: boolean;
  /** km from the seat; the first is the township centre. */
  seeds: Pt[];
}

export const TOWNSHIPS: TownshipDef[] = [
  { code: '220183001', name: '胜利街道', type: '街道', illustrative: false, seeds: [[0.2, 1.8]] },
  { code: '220183002', name: '建设街道', type: '街道', illustrative: false, seeds: [[-2.3, -0.6]] },
  { code: '220183003', name: '惠发街道', type: '街道', illustrative: false, seeds: [[1.6, -2.4]] },
  { code: '220183004', name: '夏家店街道', type: '街道', illustrative: false, seeds: [[5.5, 3.5]] },
  { code: '220183100', name: '大青嘴镇', type: '镇', illustrative: false, seeds: [[36, -3], [28, -7]] },
  { code: '220183101', name: '郭家镇', type: '镇', illustrative: false, seeds: [[-3, 19], [-6, 13]] },
  { code: '220183102', name: '松花江镇', type: '镇', illustrative: false, seeds: [[29, 22], [36, 19]] },
  { code: '220183103', name: '达家沟镇', type: '镇', illustrative: false, seeds: [[19, -4], [17, -10]] },
  { code: '220183104', name: '大房身镇', type: '镇', illustrative: false, seeds: [[30, 7], [24, 5]] },
  { code: '220183105', name: '岔路口镇', type: '镇', illustrative: false, seeds: [[-9, -17], [-4, -15]] },
  { code: '220183106', name: '朱城子镇', type: '镇', illustrative: false, seeds: [[8, -11], [10, -6]] },
  { code: '220183107', name: '布海镇', type: '镇', illustrative: false, seeds: [[5, 29], [0, 31]] },
  { code: '220183108', name: '天台镇', type: '镇', illustrative: false, seeds: [[-14, 7], [-19, 5]] },
  { code: '220183109', name: '菜园子镇', type: '镇', illustrative: false, seeds: [[43, 10], [47, 4]] },
  { code: '220183110', name: '米沙子镇', type: '镇', illustrative: true, seeds: [[-19, -34], [-22, -40], [-14, -30]] },
  { code: '220183111', name: '万宝镇', type: '镇', illustrative: true, seeds: [[-26, -19], [-29, -12]] },
  { code: '220183200', name: '同太乡', type: '乡', illustrative: false, seeds: [[-22, -3], [-27, 0]] },
  { code: '220183201', name: '边岗乡', type: '乡', illustrative: false, seeds: [[-11, -5], [-14, -10]] },
  { code: '220183202', name: '五台乡', type: '乡', illustrative: false, seeds: [[17, 20], [12, 24]] },
  { code: '220183203', name: '朝阳乡', type: '乡', illustrative: false, seeds: [[10, 10], [14, 13]] },
];
