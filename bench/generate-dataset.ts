/**
 * Generates the synthetic dataset under data/ (see data/README.md). Deterministic: every run
 * writes byte-identical files. Usage: `npm run data:generate`.
 *
 * Pipeline: pure-TS shapes in Gauss-Kruger metres (EPSG:4551) → township coverage in PostGIS
 * (PGlite) → features rounded to 7 decimals in EPSG:4490 → areas/townships computed on the
 * rounded geometry → files written → files reloaded and every invariant checked.
 */
import { writeFileSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLayers } from './dataset/build-layers.ts';
import { buildTownshipCoverage } from './dataset/build-townships.ts';
import { LAYERS, LAYER_IDS } from './dataset/catalog.ts';
import { DATASET_SEED, FARMLAND_PARCELS } from './dataset/config.ts';
import { openPglite } from './dataset/db.ts';
import { deriveAttributes } from './dataset/derive.ts';
import { farmContext, selectFarmland } from './dataset/farmland.ts';
import { writeFeatureCollection } from './dataset/geojson.ts';
import { buildIndicators } from './dataset/indicators.ts';
import { runAllChecks } from './dataset/check-all.ts';
import { renderReadme } from './dataset/readme.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.join(root, 'data');
const geoDir = path.join(dataDir, 'geojson');

async function main(): Promise<void> {
  const t0 = Date.now();
  const log = (msg: string): void => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}`);
  const ctx = farmContext();
  const farm = selectFarmland(ctx, FARMLAND_PARCELS, DATASET_SEED);
  log(`shapes and ${FARMLAND_PARCELS} farmland parcels laid out (area scale ${farm.areaScale})`);
  const db = await openPglite('dehui-dataset-gen');
  try {
    log('PGlite + PostGIS ready');
    const cov = await buildTownshipCoverage(db, ctx.outline, DATASET_SEED);
    const { layers, farmIndex } = await buildLayers(db, ctx, cov, farm);
    const derived = await deriveAttributes(db, layers, farmIndex);
    log(`layers built (${derived.droppedParcels.length} parcels dropped by the safety filter)`);

    mkdirSync(geoDir, { recursive: true });
    for (const id of LAYER_IDS) writeFeatureCollection(path.join(geoDir, `${id}.geojson`), layers[id]);
    writeFileSync(path.join(geoDir, 'layers.json'), JSON.stringify(LAYERS, null, 2) + '\n');
    log('GeoJSON written; reloading and checking');

    const checks = await runAllChecks(db, geoDir);
    const counts = {
      explorationBlocks: ['地热', '矿泉水'].map((m) => ({ mineral: m, stage: m === '地热' ? '普查' : '详查', count: layers['exploration-blocks'].filter((f) => f.properties!.mineral === m).length })),
      miningBlocks: [{ mineral: '建筑用砂', count: layers['mining-blocks'].length }],
      keyExplorationZones: layers['key-exploration-zones'].map((f) => ({ name: String(f.properties!.name), area_km2: Number(f.properties!.area_km2) })),
      keyMiningZones: layers['key-mining-zones'].map((f) => ({ name: String(f.properties!.name), area_km2: Number(f.properties!.area_km2) })),
    };
    writeFileSync(path.join(dataDir, 'indicators.json'), JSON.stringify(buildIndicators(counts), null, 2) + '\n');
    writeFileSync(path.join(dataDir, 'deliberate-cases.json'), JSON.stringify(checks.situations, null, 2) + '\n');
    const layerStats = LAYER_IDS.map((id) => ({ id, features: layers[id].length, bytes: statSync(path.join(geoDir, `${id}.geojson`)).size, areaKm2: checks.layerAreasKm2[id] }));
    writeFileSync(path.join(dataDir, 'README.md'), renderReadme({
      seed: DATASET_SEED, countyAreaKm2: checks.countyAreaKm2, coverage: checks.coverage, layerStats, situations: checks.situations,
      droppedParcels: derived.droppedParcels, farmlandShareOfCounty: checks.layerAreasKm2['permanent-farmland'] / checks.countyAreaKm2,
      cultivatedShareOfCounty: checks.layerAreasKm2['cultivated-land'] / checks.countyAreaKm2,
    }));
    for (const s of layerStats) log(`${s.id.padEnd(22)} ${String(s.features).padStart(6)} features ${(s.bytes / 1024).toFixed(0).padStart(7)} KB ${s.areaKm2.toFixed(2).padStart(9)} km²`);
    log(`county ${checks.countyAreaKm2.toFixed(2)} km²; coverage: ${JSON.stringify({ ...checks.coverage, codes: undefined })}`);
    for (const s of checks.situations) log(`(${s.key}) ${s.title}: ${s.hits.map((h) => h.id).join(', ')}`);
    log('done');
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
