/**
 * Runs every dataset invariant on the files in `geoDir` (loaded into `db`) and throws with the
 * full list of problems if any fails. Used by the generator right after writing; the vitest
 * file calls the same building blocks one assertion at a time.
 */
import type { FeatureCollection } from 'geojson';
import { LAYERS, LAYER_IDS } from './catalog.ts';
import type { SqlClient } from './db.ts';
import * as inv from './invariants.ts';
import { PLAN_BBOX, OFFICIAL_AREA_KM2 } from './outline.ts';
import { loadDataset, tableName as T } from './pg-tables.ts';
import { findSituations, unintendedConflicts, type Situation } from './situations.ts';
import { TOWNSHIPS } from './townships.ts';

/** Intended members of each situation, by code (blocks) or licence number (rights). */
export const EXPECTED_SITUATIONS: Record<Situation['key'], string[]> = {
  a: ['C2201832009067130012345'],
  b: ['KT-DH-05'],
  c: ['KT-DH-08'],
  d: ['CK-DH-03'],
  e: ['CK-DH-04'],
  f: ['C2201832011087130118764', 'C2201832014037130131502'],
};

export interface CheckResult {
  countyAreaKm2: number;
  coverage: inv.CoverageReport;
  layerAreasKm2: Record<string, number>;
  situations: Situation[];
  collections: Map<string, FeatureCollection>;
}

export async function runAllChecks(db: SqlClient, geoDir: string): Promise<CheckResult> {
  const problems: string[] = [];
  const need = (ok: boolean, msg: string): void => { if (!ok) problems.push(msg); };
  const collections = await loadDataset(db, geoDir, LAYER_IDS);

  for (const layer of LAYERS) {
    const fc = collections.get(layer.id)!;
    problems.push(...inv.duplicateIds(fc).map((d) => `${layer.id}: duplicate id ${d}`));
    problems.push(...inv.geometryFormProblems(fc).map((p) => `${layer.id}: ${p}`));
    problems.push(...inv.attributeProblems(layer, fc));
  }
  need(LAYER_IDS.length === 13 && new Set(LAYER_IDS).size === 13, 'layers.json must list 13 distinct layers');

  const countyAreaKm2 = await inv.countyAreaKm2(db);
  need(Math.abs(countyAreaKm2 - OFFICIAL_AREA_KM2) / OFFICIAL_AREA_KM2 <= 0.02, `county area ${countyAreaKm2} km² not within 2 % of ${OFFICIAL_AREA_KM2}`);
  const ext = await db.query<{ x0: number; y0: number; x1: number; y1: number }>(`SELECT ST_XMin(e) x0, ST_YMin(e) y0, ST_XMax(e) x1, ST_YMax(e) y1 FROM (SELECT ST_Extent(geom) e FROM ${T('admin-county')}) s`);
  const e = ext.rows[0];
  need(e.x0 >= PLAN_BBOX.west && e.x1 <= PLAN_BBOX.east && e.y0 >= PLAN_BBOX.south && e.y1 <= PLAN_BBOX.north, `county extent ${JSON.stringify(e)} outside the published extent`);

  const coverage = await inv.townshipCoverage(db);
  need(coverage.count === 20, `expected 20 townships, got ${coverage.count}`);
  need(JSON.stringify(coverage.codes) === JSON.stringify(TOWNSHIPS.map((t) => t.code).sort()), 'township codes differ from domain.md');
  need(coverage.unionRelDiff < 1e-6, `township union differs from county by ${coverage.unionRelDiff}`);
  need(coverage.maxPairOverlapM2 <= 1, `townships overlap by ${coverage.maxPairOverlapM2} m²`);
  need(coverage.gapOrSpillM2 <= 1, `townships leave gaps/spill of ${coverage.gapOrSpillM2} m²`);
  need(coverage.invalidEdges === 0, `${coverage.invalidEdges} invalid coverage edges`);

  problems.push(...(await inv.invalidFeatures(db, LAYER_IDS)).map((x) => `invalid geometry ${x}`));
  const outside = await inv.featuresOutsideCounty(db, LAYER_IDS);
  const pfCount = collections.get('permanent-farmland')!.features.length;
  need(pfCount >= 20000, `only ${pfCount} farmland parcels`);
  const overlaps = await inv.overlappingPairs(db, 'permanent-farmland');
  need(overlaps.length === 0, `overlapping farmland parcels: ${overlaps.slice(0, 5).join('; ')}`);
  const uncovered = await db.query<{ n: number }>(`SELECT count(*)::int n FROM ${T('permanent-farmland')} p WHERE NOT EXISTS (SELECT 1 FROM ${T('cultivated-land')} c WHERE ST_Covers(c.geom, p.geom))`);
  need(uncovered.rows[0].n === 0, `${uncovered.rows[0].n} farmland parcels not inside a cultivated block`);

  const layerAreasKm2: Record<string, number> = {};
  for (const id of LAYER_IDS) layerAreasKm2[id] = (await inv.layerAreaM2(db, id)) / 1e6;
  need(layerAreasKm2['cultivated-land'] > layerAreasKm2['permanent-farmland'], 'cultivated area must exceed farmland area');

  const situations = await findSituations(db);
  for (const s of situations) {
    const got = s.hits.map((h) => h.code).sort();
    need(JSON.stringify(got) === JSON.stringify([...EXPECTED_SITUATIONS[s.key]].sort()), `situation (${s.key}) found ${JSON.stringify(got)}, expected ${JSON.stringify(EXPECTED_SITUATIONS[s.key])}`);
  }
  const eIds = situations.find((s) => s.key === 'e')!.hits.map((h) => `${h.layer}:${h.id}`);
  need(JSON.stringify(outside) === JSON.stringify(eIds), `features outside the county: ${outside.join(', ')}`);
  problems.push(...(await unintendedConflicts(db)).map((c) => `unplanned conflict ${c}`));

  if (problems.length) throw new Error(`dataset invariants failed:\n  - ${problems.join('\n  - ')}`);
  return { countyAreaKm2, coverage, layerAreasKm2, situations, collections };
}
