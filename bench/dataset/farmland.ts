/**
 * Permanent farmland (永久基本农田) parcels and cultivated-land (耕地) blocks.
 *
 * `generateFarmlandParcels(count, seed)` is the benchmark entry point: pure TypeScript, no
 * PostGIS, deterministic, ~200 000 parcels in a few seconds. The published layer is the same
 * generator at FARMLAND_PARCELS with the dataset seed, then checked in PostGIS.
 */
import type { Feature, Polygon } from 'geojson';
import { DATASET_SEED } from './config.ts';
import { toLonLatRing } from './geojson.ts';
import { buildConstraints, type ConstraintShapes } from './constraints.ts';
import { areaBounds, blockParcels, blockTraits, generateFieldBlocks, LAND_CODE, type FieldBlock, type LandClass } from './field-blocks.ts';
import { buildFarmMask, FARM, type FarmMask } from './mask.ts';
import { buildCountyOutline, kmToGK, type CountyOutline } from './outline.ts';
import { buildPlanShapes, type PlanShape } from './plan-features.ts';
import { centroid, distToPolyline, signedArea, type Pt, type Ring } from './planar.ts';
import { gkScaleFactor } from './projection.ts';
import { TOWNSHIPS } from './townships.ts';

export interface FarmContext {
  outline: CountyOutline;
  constraints: ConstraintShapes;
  plan: PlanShape[];
  mask: FarmMask;
  /** Township seeds (GK) for a quick nearest-seed township name. */
  seeds: { p: Pt; name: string }[];
  /** Control lines of the big rivers: paddy fields cluster within 7 km of them. */
  rivers: Pt[][];
  /** Centroids of places where protected parcels are forced (situation a). */
  force: Pt[];
}

let cached: FarmContext | undefined;

/** The dataset's fixed ground: county, control lines, plan shapes, 50 m farmable mask. */
export function farmContext(): FarmContext {
  if (cached) return cached;
  const outline = buildCountyOutline(DATASET_SEED);
  const constraints = buildConstraints(outline, DATASET_SEED);
  const plan = buildPlanShapes(outline, DATASET_SEED);
  const mask = buildFarmMask(outline, constraints, plan, DATASET_SEED);
  const seeds = TOWNSHIPS.flatMap((t) => t.seeds.map(([x, y]) => ({ p: kmToGK(x, y), name: t.name })));
  const rivers = outline.sections.filter((s) => ['songhua', 'yinma', 'yitong'].includes(s.id)).map((s) => s.control);
  const force = plan.filter((p) => p.deliberate?.includes('a')).map((p) => centroid(p.ring));
  cached = { outline, constraints, plan, mask, seeds, rivers, force };
  return cached;
}

export interface SelectedBlock {
  block: FieldBlock;
  landClass: LandClass;
  grade: number;
  /** Parcels (GK rings); for a protected block, those published as permanent farmland. */
  parcels: Ring[];
  protected: boolean;
}

/**
 * Chooses protected blocks until `count` parcels are reached (the last block may contribute only
 * part of its parcels), preferring high-scoring, spatially coherent areas; reserve blocks near
 * towns are never protected. Shrinks parcels if the county cannot hold `count` at full size.
 */
export function selectFarmland(ctx: FarmContext, count: number, seed: number): { protectedBlocks: SelectedBlock[]; reserveBlocks: SelectedBlock[]; areaScale: number } {
  // First guess from the farmable area (about one candidate parcel per 3.9 ha of it at full
  // size), so large benchmark counts do not pay for a full-size pass that cannot hold them.
  const farmableHa = ctx.mask.data.reduce((n, v) => n + (v === FARM ? 1 : 0), 0) * (ctx.mask.cell * ctx.mask.cell) / 10000;
  let areaScale = Math.min(1, farmableHa / 3.9 / (count * 1.3));
  let blocks: FieldBlock[] = [];
  for (let attempt = 0; attempt < 6; attempt++) {
    blocks = generateFieldBlocks(ctx.mask, { seed, areaScale });
    const avail = blocks.reduce((s, b) => s + (b.reserve ? 0 : b.parcelCount), 0);
    if (avail >= count * 1.15) break;
    areaScale *= avail / (count * 1.3);
  }
  const traits = blocks.map((b) => {
    const nearRiver = ctx.rivers.some((r) => distToPolyline(b.centre, r) < 7000);
    const t = blockTraits(b, seed, nearRiver);
    const forced = ctx.force.some((f) => Math.hypot(f[0] - b.centre[0], f[1] - b.centre[1]) < 1200);
    return { ...t, score: t.score + (forced ? 10 : 0) };
  });
  const ranked = blocks.map((b, i) => i).filter((i) => !blocks[i].reserve).sort((a, b) => traits[b].score - traits[a].score || a - b);
  const chosen = new Map<number, number>(); // block index → parcels taken
  let left = count;
  for (const i of ranked) {
    if (left <= 0) break;
    const take = Math.min(left, blocks[i].parcelCount);
    chosen.set(i, take);
    left -= take;
  }
  if (left > 0) throw new RangeError(`only ${count - left} farmland parcels fit the county`);
  const protectedBlocks: SelectedBlock[] = [];
  const reserveBlocks: SelectedBlock[] = [];
  blocks.forEach((b, i) => {
    const t = traits[i];
    if (chosen.has(i)) {
      protectedBlocks.push({ block: b, landClass: t.landClass, grade: t.grade, parcels: blockParcels(b, seed).slice(0, chosen.get(i)), protected: true });
    } else if (b.reserve) {
      reserveBlocks.push({ block: b, landClass: t.landClass, grade: t.grade, parcels: [], protected: false });
    }
  });
  return { protectedBlocks, reserveBlocks, areaScale };
}

/** Quick ellipsoidal area (ha) of a GK ring: planar area / k², good to ~1e-6 here. */
export function quickAreaHa(ring: readonly Pt[]): number {
  const c = centroid(ring);
  const k = gkScaleFactor(c[0]);
  return Math.abs(signedArea(ring)) / (k * k) / 10000;
}

function nearestTownship(ctx: FarmContext, p: Pt): string {
  let best = '', bd = Infinity;
  for (const s of ctx.seeds) {
    const d = (s.p[0] - p[0]) ** 2 + (s.p[1] - p[1]) ** 2;
    if (d < bd) { bd = d; best = s.name; }
  }
  return best;
}

/**
 * `count` permanent-farmland parcels across the county (EPSG:4490 lon/lat, 7 decimals, CCW),
 * non-overlapping, 4–10 vertices, 0.5–6 ha while the county can hold them at that size (beyond
 * ~55 000 parcels they shrink uniformly; ~200 000 gives about 0.1–1.6 ha, mean 0.65). Properties as in the
 * published layer, except `township` is the nearest township centre (no PostGIS here) and
 * `area_ha` is the planar-GK/k² estimate. Deterministic in (count, seed).
 */
export function generateFarmlandParcels(count: number, seed: number): Feature<Polygon>[] {
  const ctx = farmContext();
  const { protectedBlocks } = selectFarmland(ctx, count, seed);
  const out: Feature<Polygon>[] = [];
  for (const b of protectedBlocks) {
    for (const ring of b.parcels) {
      out.push({
        type: 'Feature',
        id: `PF-${String(out.length + 1).padStart(6, '0')}`,
        properties: {
          land_code: LAND_CODE[b.landClass],
          land_class: b.landClass,
          township: nearestTownship(ctx, centroid(ring)),
          area_ha: Math.round(quickAreaHa(ring) * 100) / 100,
          quality_grade: b.grade,
        },
        geometry: { type: 'Polygon', coordinates: [toLonLatRing(ring, true)] },
      });
    }
  }
  return out;
}

export { areaBounds };
