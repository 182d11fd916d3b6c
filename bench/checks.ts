/**
 * Conflict-check benchmark: a 10 km² and a 100 km² block (GK zone 42 squares centred near the
 * county seat) through runCheck (the service function: parse, repair, all rules, store), against
 * (1) the seeded Dehui dataset and (2) the same with permanent-farmland replaced by ~200 000
 * generated parcels. Baseline, same run: the bare PostGIS overlap query (GiST && + ST_Intersects,
 * per-layer sum of ST_Area(ST_Intersection(…)::geography)) over the same layers. Prints p50/p95 and
 * the ratio service / baseline.
 *
 *   npm run bench:checks                      # embedded PGlite (fresh temp directory)
 *   DATABASE_URL=postgres://… npm run bench:checks   # a throw-away database on that server
 *   PARCELS=50000 RUNS=5 npm run bench:checks
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { generateFarmlandParcels } from './dataset/farmland.ts';
import { percentile, time } from './lib.ts';
import { parseCheckRequest } from '../server/checks/check-request.ts';
import { runCheck } from '../server/checks/check-service.ts';
import { RULES } from '../server/checks/rules.ts';
import { connect, type Db } from '../server/db/connect.ts';
import { migrate } from '../server/db/migrate.ts';
import { lonLatToGaussKruger } from '../server/ingest/gauss-kruger.ts';
import { writeLayerVersion } from '../server/layers/layer-writes.ts';
import { DEHUI_DATASET_DIR, seedDataset } from '../server/layers/seed.ts';

const RUNS = Number(process.env.RUNS ?? 10);
const PARCELS = Number(process.env.PARCELS ?? 200_000);
const CENTRE = lonLatToGaussKruger(125.75, 44.45, 42, true); // farmland country south-east of the seat

async function openDb(): Promise<{ db: Db; cleanup: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-checks-'));
    const db = await connect({ databaseUrl: null, dataDir: dir, statementTimeoutMs: 600_000 });
    return { db, cleanup: async () => { await db.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
  }
  const name = `dehui_bench_checks_${process.pid}`;
  const admin = async (text: string) => { const c = new pg.Client({ connectionString: url }); await c.connect(); await c.query(text); await c.end(); };
  await admin(`create database "${name}"`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const db = await connect({ databaseUrl: u.toString(), dataDir: '', statementTimeoutMs: 600_000 });
  return { db, cleanup: async () => { await db.close(); await admin(`drop database if exists "${name}" with (force)`); } };
}

/** A square of `km2` km² in GK zone 42 (EPSG:4530), as GeoJSON. */
function square(km2: number) {
  const h = (Math.sqrt(km2) * 1000) / 2;
  const [e, n] = CENTRE;
  return { type: 'Polygon', coordinates: [[[e - h, n - h], [e + h, n - h], [e + h, n + h], [e - h, n + h], [e - h, n - h]]] };
}

const overlapLayers = [...new Set(RULES.flatMap((r) => (r.kind === 'overlap' ? [r.layer] : [])))];

/** The bare overlap query: what any GIS would run, without rules, unions, containment or storage. */
async function rawOverlap(db: Db, geometry: object): Promise<number> {
  const r = await sql<{ layer_id: string; area: number }>`
    with b as (select ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(geometry)}), 4530), 4490) as g)
    select f.layer_id, sum(ST_Area(ST_Intersection(f.geom, b.g)::geography)) as area
    from features f, b where f.layer_id in (${sql.join(overlapLayers)}) and f.valid_to is null and f.geom && b.g and ST_Intersects(f.geom, b.g)
    group by f.layer_id`.execute(db.kysely);
  return r.rows.length;
}

async function measure(db: Db, label: string): Promise<void> {
  for (const km2 of [10, 100]) {
    const geometry = square(km2);
    const input = parseCheckRequest({ geometry, crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂' });
    const svc: number[] = [];
    const raw: number[] = [];
    let findings = '';
    for (let i = 0; i < RUNS + 1; i++) {
      const [report, ms] = await time(() => runCheck(db.kysely, input, { actor: 'bench', role: 'planner', maxVertices: 200_000 }));
      const [, rawMs] = await time(() => rawOverlap(db, geometry));
      if (i === 0) { findings = report.findings.map((f) => `${f.ruleId}:${f.featureCount}`).join(' '); continue; } // warm-up
      svc.push(ms);
      raw.push(rawMs);
    }
    const [s50, s95, r50, r95] = [percentile(svc, 50), percentile(svc, 95), percentile(raw, 50), percentile(raw, 95)];
    console.log(`${label.padEnd(28)} ${String(km2).padStart(4)} km²  service p50 ${s50.toFixed(0).padStart(6)} ms p95 ${s95.toFixed(0).padStart(6)} ms | raw p50 ${r50.toFixed(0).padStart(6)} ms p95 ${r95.toFixed(0).padStart(6)} ms | ratio p50 ${(s50 / r50).toFixed(2)}`);
    console.log(`${''.padEnd(35)} findings: ${findings}`);
  }
}

/** Replace permanent-farmland; parcels PostGIS finds invalid (the generator's rare self-intersections at this density) are dropped first. */
async function writeValid(db: Db, parcels: ReturnType<typeof generateFarmlandParcels>): Promise<number> {
  const bad = new Set<number>();
  for (let from = 0; from < parcels.length; from += 20_000) {
    const chunk = JSON.stringify(parcels.slice(from, from + 20_000).map((p) => p.geometry));
    const r = await sql<{ i: number }>`select (t.ord - 1)::int as i from jsonb_array_elements(${chunk}::jsonb) with ordinality as t(g, ord) where not ST_IsValid(ST_GeomFromGeoJSON(t.g::text))`.execute(db.kysely);
    for (const row of r.rows) bad.add(from + row.i);
  }
  const features = parcels.filter((_, i) => !bad.has(i));
  if (bad.size) console.log(`  dropped ${bad.size} invalid generated parcels`);
  await writeLayerVersion(db.kysely, { layerId: 'permanent-farmland', mode: 'replace', features, author: 'bench', note: `bench: ${features.length} parcels` });
  return features.length;
}

async function main(): Promise<void> {
  const { db, cleanup } = await openDb();
  try {
    await migrate(db);
    const dataset = fs.existsSync(path.join(DEHUI_DATASET_DIR, 'layers.json')) ? DEHUI_DATASET_DIR : path.resolve('test/fixtures/checks');
    const seeded = await seedDataset(db.kysely, dataset, 'bench');
    console.log(`${db.kind}: seeded ${seeded.features} features from ${path.relative(process.cwd(), dataset)} in ${(seeded.ms / 1000).toFixed(1)} s; ${RUNS} runs per case`);
    await measure(db, 'seeded dataset');
    const [parcels, genMs] = await time(async () => generateFarmlandParcels(PARCELS, 20210101));
    const [written, writeMs] = await time(() => writeValid(db, parcels));
    await sql`analyze features`.execute(db.kysely);
    console.log(`permanent-farmland replaced by ${written} parcels (generated ${(genMs / 1000).toFixed(1)} s, written ${(writeMs / 1000).toFixed(1)} s)`);
    await measure(db, `farmland ${written} parcels`);
  } finally {
    await cleanup();
  }
}

await main();
