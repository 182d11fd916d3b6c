/**
 * npm run bench:tiles — DATABASE_URL=postgres://… (PostGIS) required.
 * Builds the Dehui dataset plus a scaled-up farmland layer (~200,000 parcels), then for a fixed
 * tile list at z8/z10/z12/z14 measures, in one run:
 *   raw      the canonical ST_AsMVT query (the database's limit), sequential
 *   service  the HTTP service with its cache off (uncached), sequential — ratio service/raw
 *   cached   the HTTP service answering versioned (immutable) URLs from its LRU, autocannon 32 conns
 * and tile sizes per zoom. Figures drift between machines: read the ratios.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { generateFarmlandParcels } from './dataset/farmland.js';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { insertLayer } from '../server/layers/layer-registry.js';
import { writeLayerVersion } from '../server/layers/layer-writes.js';
import { benchDatabase, percentile, tileList, time } from './lib.js';

const PARCELS = Number(process.env.BENCH_PARCELS ?? 200_000);
const LAYER = 'farmland-scaled';

const { db, reused } = await benchDatabase('dehui_bench_tiles');

/** Shrunk synthetic parcels can self-intersect after rounding; the store refuses those, so drop them here. */
async function validOnly<T extends { geometry: unknown }>(features: T[]): Promise<T[]> {
  const bad = new Set<number>();
  for (let i = 0; i < features.length; i += 20_000) {
    const batch = JSON.stringify(features.slice(i, i + 20_000).map((f) => f.geometry));
    const r = await sql<{ i: number }>`select (g.ordinality - 1)::int as i from jsonb_array_elements(${batch}::jsonb) with ordinality g
      where not ST_IsValid(ST_GeomFromGeoJSON(g.value))`.execute(db.kysely);
    for (const row of r.rows) bad.add(i + row.i);
  }
  if (bad.size) console.log(`dropped ${bad.size} invalid synthetic parcels`);
  return features.filter((_, i) => !bad.has(i));
}
const loaded = await db.kysely.selectFrom('layers').select('id').where('id', '=', LAYER).executeTakeFirst();
if (!(reused && loaded)) {
  if (loaded) await db.kysely.deleteFrom('layers').where('id', '=', LAYER).execute();
  console.log(`seeded; generating ${PARCELS} parcels …`);
  await insertLayer(db.kysely, {
    id: LAYER,
    title: `永久基本农田（扩充至${PARCELS}图斑，基准测试）`,
    kind: 'constraint',
    geometryType: 'Polygon',
    attributes: [
      { name: 'land_code', label: '地类编码', type: 'string' },
      { name: 'township', label: '所在乡镇', type: 'string' },
    ],
  });
  const parcels = await validOnly(generateFarmlandParcels(PARCELS, 42));
  const [, loadMs] = await time(() =>
    writeLayerVersion(db.kysely, { layerId: LAYER, mode: 'replace', features: parcels.map((f, i) => ({ ...f, id: `S${i + 1}` })), author: 'bench' }),
  );
  await sql`analyze features`.execute(db.kysely);
  console.log(`loaded ${parcels.length} parcels in ${(loadMs / 1000).toFixed(1)} s`);
}

const extent = await sql<{ b: string }>`select ST_Extent(geom)::text as b from features where layer_id = ${LAYER} and valid_to is null`.execute(db.kysely);
const bbox = extent.rows[0].b.match(/-?\d+(\.\d+)?/g)!.map(Number) as [number, number, number, number];
const tiles = tileList(bbox);

// 1. raw: the canonical query (docs/performance.md), serial plans.
const raw = new Map<number, { ms: number[]; bytes: number[] }>();
for (const t of tiles) {
  const [r, ms] = await time(() =>
    sql<{ mvt: Buffer }>`select ST_AsMVT(q, ${LAYER}, 4096, 'geom', 'mvt_id') as mvt from (
      select f.id as mvt_id, f.fid, f.properties->>'land_code' as land_code, f.properties->>'township' as township, ST_AsMVTGeom(f.geom_3857, ST_TileEnvelope(${t.z}::int, ${t.x}::int, ${t.y}::int), 4096, 64, true) as geom
      from features f where f.layer_id = ${LAYER} and f.valid_to is null
        and f.geom_3857 && ST_TileEnvelope(${t.z}::int, ${t.x}::int, ${t.y}::int, margin => ${64 / 4096}::float8)) q`.execute(db.kysely),
  );
  const e = raw.get(t.z) ?? { ms: [], bytes: [] };
  e.ms.push(ms);
  e.bytes.push(r.rows[0]?.mvt?.length ?? 0);
  raw.set(t.z, e);
}

// 2. the service, uncached (cache off) and cached.
const config = loadConfig({ LOG_LEVEL: 'silent', SEED: 'none' });
const uncachedApp = await buildApp({ ...config, tileCacheBytes: 0 }, db);
const uncachedBase = await uncachedApp.listen({ port: 0, host: '127.0.0.1' });
const service = new Map<number, number[]>();
for (const t of tiles) {
  const [, ms] = await time(async () => {
    const r = await fetch(`${uncachedBase}/tiles/${LAYER}/${t.z}/${t.x}/${t.y}.pbf`);
    await r.arrayBuffer();
  });
  service.set(t.z, [...(service.get(t.z) ?? []), ms]);
}
await uncachedApp.close();

const cachedApp = await buildApp(config, db);
const cachedBase = await cachedApp.listen({ port: 0, host: '127.0.0.1' });
const version = (await db.kysely.selectFrom('layers').select('version').where('id', '=', LAYER).executeTakeFirstOrThrow()).version;
const paths = tiles.filter((t) => t.z >= 10).map((t) => `/tiles/${LAYER}/${t.z}/${t.x}/${t.y}.pbf?v=${version}`);
for (const p of paths) await (await fetch(cachedBase + p)).arrayBuffer(); // warm
const pathsFile = path.join(os.tmpdir(), 'bench-tile-paths.json');
fs.writeFileSync(pathsFile, JSON.stringify(paths));
// async: the server answering the load lives in this process's event loop
const worker = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/load-worker.ts', cachedBase, '32', '10', pathsFile]);
const load = JSON.parse(worker.stdout) as { rps: number; p50: number; p99: number; errors: number };
await cachedApp.close();

console.log(`\nTiles: ${LAYER} (${PARCELS} parcels), ${tiles.length} tiles; engine on PostgreSQL = ST_AsMVT`);
console.log('zoom  tiles  raw p50 ms  raw p95 ms  svc p50 ms  svc p95 ms  svc/raw p50  bytes p50  bytes max');
for (const z of [8, 10, 12, 14]) {
  const r = raw.get(z)!;
  const s = service.get(z)!;
  const row = [
    `z${z}`.padEnd(4),
    String(r.ms.length).padStart(5),
    percentile(r.ms, 50).toFixed(1).padStart(11),
    percentile(r.ms, 95).toFixed(1).padStart(11),
    percentile(s, 50).toFixed(1).padStart(11),
    percentile(s, 95).toFixed(1).padStart(11),
    (percentile(s, 50) / percentile(r.ms, 50)).toFixed(2).padStart(12),
    String(percentile(r.bytes, 50)).padStart(10),
    String(Math.max(...r.bytes)).padStart(10),
  ];
  console.log(row.join(' '));
}
console.log(`cached (z10–z14 list, autocannon in its own process, 32 connections, 10 s): ${Math.round(load.rps)} tiles/s, p50 ${load.p50} ms, p99 ${load.p99} ms, errors ${load.errors}`);
await db.close();
