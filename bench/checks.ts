/**
 * Conflict-check benchmark: a 10 km² and a 100 km² block (GK zone 42 squares centred in farmland
 * country south-east of the county seat) through runCheck (the service function: parse, repair,
 * all rules, store), against (1) the seeded Dehui dataset and (2) the same with permanent-farmland
 * replaced by ~200 000 generated parcels. Baseline, same run: the bare PostGIS overlap query
 * (GiST && + ST_Intersects, per-layer sum of ST_Area(ST_Intersection(…)::geography)) over every
 * layer an overlap rule reads; beside it the same query over only the layers whose rules apply
 * to the benchmark's check (mining 建筑用砂). Prints p50/p95 and the ratios, the time the declared
 * coverages took to verify (once per layer version, coverage.ts), and the plan audit.
 *
 *   DATABASE_URL=postgres://… npm run bench:checks                # throw-away databases on that server
 *   DATABASE_URL=postgres://… BENCH_REUSE=1 npm run bench:checks  # keep dehui_bench_checks_{seeded,parcels}
 *   PARCELS=50000 RUNS=5 npm run bench:checks                     # embedded PGlite (fresh temp directories)
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
import { runPlanAudit } from '../server/checks/plan-audit.ts';
import { RULES, ruleApplies } from '../server/checks/rules.ts';
import { verifyDeclaredCoverage } from '../server/checks/coverage.ts';
import { connect, type Db } from '../server/db/connect.ts';
import { migrate } from '../server/db/migrate.ts';
import { lonLatToGaussKruger } from '../server/ingest/gauss-kruger.ts';
import { writeLayerVersion } from '../server/layers/layer-writes.ts';
import { DEHUI_DATASET_DIR, seedDataset } from '../server/layers/seed.ts';

const RUNS = Number(process.env.RUNS ?? 10);
const PARCELS = Number(process.env.PARCELS ?? 200_000);
const CENTRE = lonLatToGaussKruger(125.75, 44.45, 42, true); // farmland country south-east of the seat

async function openDb(suffix: string): Promise<{ db: Db; reused: boolean; cleanup: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-checks-'));
    const db = await connect({ databaseUrl: null, dataDir: dir, statementTimeoutMs: 600_000 });
    return { db, reused: false, cleanup: async () => { await db.close(); fs.rmSync(dir, { recursive: true, force: true }); } };
  }
  // BENCH_REUSE=1 keeps the databases between runs (writing 200k parcels takes minutes); else throw-away ones.
  const reuse = process.env.BENCH_REUSE === '1';
  const name = reuse ? `dehui_bench_checks_${suffix}` : `dehui_bench_checks_${suffix}_${process.pid}`;
  const admin = async (text: string) => { const c = new pg.Client({ connectionString: url }); await c.connect(); const r = await c.query(text); await c.end(); return r; };
  const exists = Boolean((await admin(`select 1 from pg_database where datname = '${name}'`)).rowCount);
  if (!exists) await admin(`create database "${name}"`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const db = await connect({ databaseUrl: u.toString(), dataDir: '', statementTimeoutMs: 600_000 });
  return { db, reused: exists, cleanup: async () => { await db.close(); if (!reuse) await admin(`drop database if exists "${name}" with (force)`); } };
}

/** A square of `km2` km² in GK zone 42 (EPSG:4530), as GeoJSON. */
function square(km2: number) {
  const h = (Math.sqrt(km2) * 1000) / 2;
  const [e, n] = CENTRE;
  return { type: 'Polygon', coordinates: [[[e - h, n - h], [e + h, n - h], [e + h, n + h], [e - h, n + h], [e - h, n - h]]] };
}

const overlapLayers = [...new Set(RULES.flatMap((r) => (r.kind === 'overlap' ? [r.layer] : [])))];
/** only the overlap layers whose rules apply to the benchmark's check (mining, 建筑用砂): a stricter baseline, printed beside */
const appliedLayers = [...new Set(RULES.flatMap((r) => (r.kind === 'overlap' && ruleApplies(r, 'mining', '建筑用砂') ? [r.layer] : [])))];

/**
 * The bare overlap query: what any GIS would run, without rules, unions, containment or storage —
 * on this store's one spatial index (migration 010): candidates by the EPSG:3857 box, then exact.
 */
async function rawOverlap(db: Db, geometry: object, layers = overlapLayers): Promise<number> {
  const r = await sql<{ layer_id: string; area: number }>`
    with b as (select s.g, ST_Transform(ST_Envelope(s.g), 3857) as box from (select ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(geometry)}), 4530), 4490) as g) s)
    select f.layer_id, sum(ST_Area(ST_Intersection(f.geom, b.g)::geography)) as area
    from features f, b where f.layer_id in (${sql.join(layers)}) and f.valid_to is null and f.geom_3857 && b.box and ST_Intersects(f.geom, b.g)
    group by f.layer_id`.execute(db.kysely);
  return r.rows.length;
}

async function measure(db: Db, label: string): Promise<void> {
  for (const km2 of [10, 100]) {
    const geometry = square(km2);
    const input = parseCheckRequest({ geometry, crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂' });
    const svc: number[] = [];
    const raw: number[] = [];
    const strict: number[] = [];
    let findings = '';
    for (let i = 0; i < RUNS + 1; i++) {
      const [report, ms] = await time(() => runCheck(db.kysely, input, { actor: 'bench', role: 'planner', maxVertices: 200_000, verifyCoverage: 'off' }));
      const [, rawMs] = await time(() => rawOverlap(db, geometry));
      const [, strictMs] = await time(() => rawOverlap(db, geometry, appliedLayers));
      if (i === 0) { findings = report.findings.map((f) => `${f.ruleId}:${f.featureCount}:${f.area?.m2 ?? ''}`).join(' '); continue; } // warm-up
      svc.push(ms);
      raw.push(rawMs);
      strict.push(strictMs);
    }
    const [s50, s95, r50, r95, t50] = [percentile(svc, 50), percentile(svc, 95), percentile(raw, 50), percentile(raw, 95), percentile(strict, 50)];
    console.log(`${label.padEnd(28)} ${String(km2).padStart(4)} km²  service p50 ${s50.toFixed(1).padStart(7)} ms p95 ${s95.toFixed(1).padStart(7)} ms | raw p50 ${r50.toFixed(1).padStart(7)} ms p95 ${r95.toFixed(1).padStart(7)} ms | ratio p50 ${(s50 / r50).toFixed(2)} | raw on the applied layers only p50 ${t50.toFixed(1)} ms, ratio ${(s50 / t50).toFixed(2)}`);
    console.log(`${''.padEnd(35)} findings (rule:features:m²): ${findings}`);
  }
}

/** Verify the declared coverages once per layer version (what the first check after an update starts in the background). */
async function coverage(db: Db, label: string): Promise<void> {
  const [verdicts, ms] = await time(() => verifyDeclaredCoverage(db.kysely));
  console.log(`${label.padEnd(28)} coverage verified in ${(ms / 1000).toFixed(1)} s: ${verdicts.map((v) => `${v.layer} ${v.disjoint ? 'disjoint' : `overlaps ${v.overlapPairs} pairs`} (${(v.ms / 1000).toFixed(1)} s)`).join(', ')}`);
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

async function seeded(db: Db): Promise<void> {
  await migrate(db);
  const dataset = fs.existsSync(path.join(DEHUI_DATASET_DIR, 'layers.json')) ? DEHUI_DATASET_DIR : path.resolve('test/fixtures/checks');
  const seed = await seedDataset(db.kysely, dataset, 'bench');
  if (seed.seeded) console.log(`${db.kind}: seeded ${seed.features} features from ${path.relative(process.cwd(), dataset)} in ${(seed.ms / 1000).toFixed(1)} s`);
}

/** The plan audit of the whole dataset (goal < 10 s). */
async function audit(db: Db, label: string): Promise<void> {
  const times: number[] = [];
  let summary = '';
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    const [report, ms] = await time(() => runPlanAudit(db.kysely));
    times.push(ms);
    summary = `${report.summary.features} features, ${JSON.stringify(report.summary.byVerdict)}`;
  }
  console.log(`${label.padEnd(28)} plan audit p50 ${percentile(times, 50).toFixed(0)} ms (${times.map((t) => t.toFixed(0)).join(', ')}): ${summary}`);
}

async function main(): Promise<void> {
  console.log(`${RUNS} runs per case (after one warm-up)`);
  const a = await openDb('seeded');
  try {
    await seeded(a.db);
    await sql`analyze features`.execute(a.db.kysely);
    await coverage(a.db, 'seeded dataset');
    await measure(a.db, 'seeded dataset');
    await audit(a.db, 'seeded dataset');
  } finally {
    await a.cleanup();
  }
  const b = await openDb('parcels');
  try {
    await seeded(b.db);
    const current = await sql<{ n: number }>`select count(*)::int as n from features where layer_id = 'permanent-farmland' and valid_to is null`.execute(b.db.kysely);
    let written = current.rows[0].n;
    if (written < PARCELS * 0.9) {
      const [parcels, genMs] = await time(async () => generateFarmlandParcels(PARCELS, 20210101));
      let writeMs: number;
      [written, writeMs] = await time(() => writeValid(b.db, parcels));
      console.log(`permanent-farmland replaced by ${written} parcels (generated ${(genMs / 1000).toFixed(1)} s, written ${(writeMs / 1000).toFixed(1)} s)`);
    } else console.log(`reusing permanent-farmland of ${written} parcels`);
    await sql`analyze features`.execute(b.db.kysely);
    await coverage(b.db, `farmland ${written} parcels`);
    await measure(b.db, `farmland ${written} parcels`);
    await audit(b.db, `farmland ${written} parcels`);
  } finally {
    await b.cleanup();
  }
}

await main();
