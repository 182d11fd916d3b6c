/**
 * npm run bench:tiles — DATABASE_URL=postgres://… (PostGIS) required.
 * Builds the Dehui dataset plus a scaled-up farmland layer (~200,000 parcels), then for a fixed
 * tile list at z8/z10/z12/z14 measures, in one run:
 *   raw      the canonical ST_AsMVT query (no generalisation: the issue's reference), sequential
 *   engines  each engine's render of the same tiles, generalised (server/tiles/README.md): PostGIS
 *            (the statement the service runs) and geojson-vt (index built first, timed apart) —
 *            the figures that choose POSTGIS_MIN_ZOOM
 *   service  the HTTP service with its cache off (uncached), sequential, each tile right after its
 *            raw query (same machine load) — ratios service/raw; then per zoom under load: wrk with
 *            2 connections against the raw query on 2 concurrent connections, tiles/s each
 *   cached   the HTTP service answering versioned (immutable) URLs from its LRU, 32 connections from
 *            wrk (autocannon without it: bench/http-load.ts), for the z10–z14 list and for z12 and z14
 *            alone, against a bare node:http server with the same bytes (the least a Node server does)
 * and tile sizes per zoom, and the largest z8 tile of every layer. Figures drift between machines:
 * read the ratios.
 */
import http from 'node:http';
import os from 'node:os';
import { sql } from 'kysely';
import { generateFarmlandParcels } from './dataset/farmland.js';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { insertLayer } from '../server/layers/layer-registry.js';
import { writeLayerVersion } from '../server/layers/layer-writes.js';
import { TileService } from '../server/tiles/tile-service.js';
import { tileAt, type TileCoord } from '../server/tiles/tile-math.js';
import type { TileEngine } from '../server/tiles/tile-source.js';
import { httpLoad, type LoadResult } from './http-load.js';
import { benchDatabase, LeanHttpClient, percentile, tileList, time } from './lib.js';

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

// The scaled farmland is a bulk layer like permanent-farmland: a per-layer setting (migration 005).
await sql`insert into tile_generalisation (layer_id, policy) values (${LAYER}, 'bulk')
  on conflict (layer_id) do update set policy = excluded.policy`.execute(db.kysely);

const extent = await sql<{ b: string }>`select ST_Extent(geom)::text as b from features where layer_id = ${LAYER} and valid_to is null`.execute(db.kysely);
const bbox = extent.rows[0].b.match(/-?\d+(\.\d+)?/g)!.map(Number) as [number, number, number, number];
const tiles = tileList(bbox);

// 1. raw: the canonical query (docs/performance.md), and 3. the HTTP service with its cache off,
// one after the other for each tile, so both see the same machine load (other work shares it).
// Two clients, each tile right after its raw query: LeanHttpClient (bench/lib.ts: one socket, no
// more than HTTP/1.1 needs), whose figure is the server's time — the ratio's numerator — and Node's
// keep-alive http client, printed beside it: ~0.3 ms of its own per request, measured here.
const config = loadConfig({ LOG_LEVEL: 'silent', SEED: 'none', ...(process.env.POSTGIS_MIN_ZOOM ? { POSTGIS_MIN_ZOOM: process.env.POSTGIS_MIN_ZOOM } : {}) });
const uncachedApp = await buildApp({ ...config, tileCacheBytes: 0 }, db);
const uncachedBase = await uncachedApp.listen({ port: 0, host: '127.0.0.1' });
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const nodeGet = (url: string) =>
  new Promise<number>((resolve, reject) =>
    http.get(url, { agent }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length)).on('end', () => resolve(n)).on('error', reject);
    }).on('error', reject),
  );
const lean = new LeanHttpClient(uncachedBase);
const raw = new Map<number, { ms: number[]; bytes: number[] }>();
/** per zoom, per tile in list order: the lean client's time and status, Node's client's time */
const service = new Map<number, { ms: number[]; status: number[]; nodeMs: number[] }>();
/** the canonical query of one tile (docs/performance.md): the issue's "raw PostGIS query" */
const rawTile = (t: TileCoord) =>
  sql<{ mvt: Buffer }>`select ST_AsMVT(q, ${LAYER}, 4096, 'geom', 'mvt_id') as mvt from (
    select f.id as mvt_id, f.fid, f.properties->>'land_code' as land_code, f.properties->>'township' as township, ST_AsMVTGeom(f.geom_3857, ST_TileEnvelope(${t.z}::int, ${t.x}::int, ${t.y}::int), 4096, 64, true) as geom
    from features f where f.layer_id = ${LAYER} and f.valid_to is null
      and f.geom_3857 && ST_TileEnvelope(${t.z}::int, ${t.x}::int, ${t.y}::int, margin => ${64 / 4096}::float8)) q`.execute(db.kysely);
// BENCH_ROUNDS passes over the list (default 3): at z14 about half the tiles are empty, and a p50
// of all of them falls between the two groups; the paired figure (the median of each tile's
// service/raw, both measured back to back) does not depend on where that boundary falls.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
for (let round = 0; round < ROUNDS; round++) for (const t of tiles) {
  const [r, ms] = await time(() => rawTile(t));
  const e = raw.get(t.z) ?? { ms: [], bytes: [] };
  e.ms.push(ms);
  e.bytes.push(r.rows[0]?.mvt?.length ?? 0);
  raw.set(t.z, e);
  const path = `/tiles/${LAYER}/${t.z}/${t.x}/${t.y}.pbf`;
  const [answer, svcMs] = await time(() => lean.get(path));
  if (answer.status !== 200 && answer.status !== 204) throw new Error(`${path}: ${answer.status}`);
  const [, nodeMs] = await time(() => nodeGet(uncachedBase + path));
  const s = service.get(t.z) ?? { ms: [], status: [], nodeMs: [] };
  s.ms.push(svcMs);
  s.status.push(answer.status);
  s.nodeMs.push(nodeMs);
  service.set(t.z, s);
}
lean.close();
// 1b. uncached under load, per zoom: the service (cache off) driven by wrk with UNCACHED_CONNECTIONS
// connections, against the raw query run by as many concurrent workers — tiles/s each, so the
// fixed cost of an HTTP request is weighed as a throughput, not a single client's wait.
const UNCACHED_CONNECTIONS = Number(process.env.BENCH_UNCACHED_CONNECTIONS ?? 2);
const UNCACHED_SECONDS = 10;
async function rawThroughput(list: TileCoord[]): Promise<number> {
  let done = 0;
  let next = 0;
  const started = performance.now();
  const until = started + UNCACHED_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: UNCACHED_CONNECTIONS }, async () => {
      while (performance.now() < until) {
        await rawTile(list[next++ % list.length]);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}
const uncachedLoad: { z: number; raw: number; svc: LoadResult }[] = [];
for (const z of [10, 12, 14]) {
  const list = tiles.filter((t) => t.z === z);
  const rawRps = await rawThroughput(list);
  const svc = await httpLoad(uncachedBase, list.map((t) => `/tiles/${LAYER}/${t.z}/${t.x}/${t.y}.pbf`), { connections: UNCACHED_CONNECTIONS, seconds: UNCACHED_SECONDS });
  uncachedLoad.push({ z, raw: rawRps, svc });
}
agent.destroy();
await uncachedApp.close();

// 2. cached: the service answering versioned URLs from its LRU (first, before the geojson-vt index
// fills this process's heap and its garbage collection slows the server).
const cachedApp = await buildApp(config, db);
const cachedBase = await cachedApp.listen({ port: 0, host: '127.0.0.1' });
const version = (await db.kysely.selectFrom('layers').select('version').where('id', '=', LAYER).executeTakeFirstOrThrow()).version;
const paths = tiles.filter((t) => t.z >= 10).map((t) => `/tiles/${LAYER}/${t.z}/${t.x}/${t.y}.pbf?v=${version}`);
for (const p of paths) await (await fetch(cachedBase + p)).arrayBuffer(); // warm
// The baseline for a cached tile: a bare node:http server in this same process answering the same
// paths with the same bytes from a Map — the least any Node server can do per tile.
const bodies = new Map<string, Buffer>();
for (const p of paths) bodies.set(p, Buffer.from(await (await fetch(cachedBase + p)).arrayBuffer()));
const bare = http.createServer((req, res) => {
  const body = bodies.get(req.url ?? '');
  if (!body) return void res.writeHead(404).end();
  if (body.length === 0) return void res.writeHead(204).end();
  res.writeHead(200, { 'content-type': 'application/vnd.mapbox-vector-tile', 'content-length': body.length }).end(body);
});
await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
const bareBase = `http://127.0.0.1:${(bare.address() as import('node:net').AddressInfo).port}`;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
type Load = LoadResult;
const runLoad = (target: string, list: string[], gzip = false): Promise<Load> => httpLoad(target, list, { connections: CONNECTIONS, seconds: 10, gzip });
const load = await runLoad(cachedBase, paths);
const loadBare = await runLoad(bareBase, paths);
const loadGzip = await runLoad(cachedBase, paths, true); // the first pass compressed every tile in the background
// per zoom: z14 tiles are small (request overhead dominates), z12 ones large (bytes dominate)
const loadPerZoom: [number, Load, Load][] = [];
for (const z of [12, 14]) {
  const list = paths.filter((p) => p.startsWith(`/tiles/${LAYER}/${z}/`));
  loadPerZoom.push([z, await runLoad(cachedBase, list), await runLoad(bareBase, list)]);
}
bare.close();
await cachedApp.close();
const settings = await sql<{ jit: string; par: string }>`select current_setting('jit') as jit, current_setting('max_parallel_workers_per_gather') as par`.execute(db.kysely);


// 4. the largest z8 tile of every layer over the whole county (the 500 KB goal), as served.
const z8Max: { layer: string; tiles: number; bytes: number; merged: string }[] = [];
{
  const layers = await sql<{ id: string; extent: number[] | null }>`select l.id, lv.extent from layers l
    left join layer_versions lv on lv.layer_id = l.id and lv.version = l.version order by l.sort_order, l.id`.execute(db.kysely);
  const sized = new TileService(db, { cacheBytes: 0, postgisMinZoom: config.postgisMinZoom });
  for (const l of layers.rows) {
    if (!l.extent) continue;
    const a = tileAt(l.extent[0], l.extent[3], 8);
    const b = tileAt(l.extent[2], l.extent[1], 8);
    let bytes = 0;
    let merged = '';
    let n = 0;
    for (let x = a.x; x <= b.x; x++) {
      for (let y = a.y; y <= b.y; y++) {
        const r = await sized.tile([l.id], { z: 8, x, y });
        n++;
        if (r.body.length >= bytes) [bytes, merged] = [r.body.length, r.merged ?? ''];
      }
    }
    z8Max.push({ layer: l.id, tiles: n, bytes, merged });
  }
}

// 5. both engines, generalised, called directly (no HTTP): the figures that choose the engine per zoom.
// Last, because the geojson-vt index of 200k parcels takes GBs of this process's heap.
const tileService = new TileService(db, { cacheBytes: 0 });
const sources = await tileService.sources([LAYER]);
const engineMs = new Map<string, Map<number, number[]>>();
const engineBytes = new Map<number, number[]>();
const heapBefore = process.memoryUsage().heapUsed;
const [, indexMs] = await time(() => tileService.memory.render(sources, { z: 0, x: 0, y: 0 }));
const indexHeapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
const engines: TileEngine[] = tileService.primary === tileService.memory ? [tileService.memory] : [tileService.primary, tileService.memory];
for (const engine of engines) {
  const perZoom = new Map<number, number[]>();
  for (const t of tiles) {
    const [r, ms] = await time(() => engine.render(sources, t));
    perZoom.set(t.z, [...(perZoom.get(t.z) ?? []), ms]);
    if (engine === tileService.primary) engineBytes.set(t.z, [...(engineBytes.get(t.z) ?? []), r.body.length]);
  }
  engineMs.set(engine.name, perZoom);
}
// geojson-vt keeps every tile it cut: measured once, a second cut of the same tiles is cheaper; only the first counts.
const indexHeapAfterMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;

const f1 = (v: number) => v.toFixed(1);
const p50 = (v: number[] | undefined) => (v && v.length ? percentile(v, 50) : NaN);
const p95 = (v: number[] | undefined) => (v && v.length ? percentile(v, 95) : NaN);
console.log(`\nTiles: ${LAYER} (${PARCELS} parcels, policy bulk), ${tiles.length} tiles × ${ROUNDS} rounds; PostgreSQL; POSTGIS_MIN_ZOOM=${config.postgisMinZoom}`);
console.log(`pool settings (raw and service alike): jit=${settings.rows[0].jit}, max_parallel_workers_per_gather=${settings.rows[0].par}; load average ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);
console.log('raw = canonical ST_AsMVT, exact; postgis / geojson-vt = each engine, generalised, called directly; svc = HTTP, uncached (lean client; node = Node\'s http client)');
console.log('zoom tiles  raw p50  raw p95  postgis p50  p95  gvt p50   p95   svc p50  svc p95  svc/raw  paired  svc/postgis  node p50 node/raw  raw KB p50/max  served KB p50/max');
for (const z of [8, 10, 12, 14]) {
  const r = raw.get(z)!;
  const s = service.get(z)!.ms;
  const node = service.get(z)!.nodeMs;
  const pg = engineMs.get('postgis')?.get(z);
  const gv = engineMs.get('geojson-vt')?.get(z);
  const eb = engineBytes.get(z)!;
  console.log(
    [
      `z${z}`.padEnd(4),
      String(r.ms.length / ROUNDS).padStart(5),
      f1(p50(r.ms)).padStart(8),
      f1(p95(r.ms)).padStart(8),
      f1(p50(pg)).padStart(12),
      f1(p95(pg)).padStart(6),
      f1(p50(gv)).padStart(8),
      f1(p95(gv)).padStart(6),
      f1(p50(s)).padStart(9),
      f1(p95(s)).padStart(8),
      (p50(s) / p50(r.ms)).toFixed(2).padStart(8),
      p50(s.map((v, i) => v / r.ms[i])).toFixed(2).padStart(7),
      (p50(s) / p50(pg)).toFixed(2).padStart(12),
      f1(p50(node)).padStart(9),
      (p50(node) / p50(r.ms)).toFixed(2).padStart(8),
      `${f1(p50(r.bytes) / 1024)}/${f1(Math.max(...r.bytes) / 1024)}`.padStart(15),
      `${f1(p50(eb) / 1024)}/${f1(Math.max(...eb) / 1024)}`.padStart(18),
    ].join(' '),
  );
}
// The ratio over the tiles with something in them alone, and over the empty ones (204), per zoom.
for (const z of [12, 14]) {
  const r = raw.get(z)!;
  const s = service.get(z)!;
  for (const [label, keep] of [['with features', 200], ['empty (204)', 204]] as const) {
    const idx = s.status.flatMap((st, i) => (st === keep ? [i] : []));
    if (!idx.length) continue;
    const rs = idx.map((i) => r.ms[i]);
    const ss = idx.map((i) => s.ms[i]);
    console.log(`  z${z} ${label}: ${idx.length / ROUNDS} tiles, raw p50 ${p50(rs).toFixed(2)} ms, svc p50 ${p50(ss).toFixed(2)} ms → ${(p50(ss) / p50(rs)).toFixed(2)}×`);
  }
}
console.log(`geojson-vt index of ${LAYER}: built in ${f1(indexMs)} ms, heap +${f1(indexHeapMb)} MB (+${f1(indexHeapAfterMb)} MB after cutting the list)`);
// The engine per zoom: geojson-vt serves the zooms below POSTGIS_MIN_ZOOM, so it can only take a low
// range — the measured zooms, from z8 up, where it is faster (p50) than ST_AsMVT.
const zooms = [8, 10, 12, 14];
const gvtWins = (z: number) => engineMs.has('geojson-vt') && p50(engineMs.get('geojson-vt')?.get(z)) < p50(engineMs.get('postgis')?.get(z));
let minZoom = 0;
for (const [i, z] of zooms.entries()) {
  if (!gvtWins(z)) break;
  minZoom = zooms[i + 1] ?? 23;
}
console.log(`geojson-vt is faster than ST_AsMVT below z${minZoom} only → POSTGIS_MIN_ZOOM=${minZoom} (plus its index build and memory above)`);
console.log('largest z8 tile per layer (served, generalised):');
for (const l of z8Max) console.log(`  ${l.layer.padEnd(24)} ${f1(l.bytes / 1024).padStart(8)} KB over ${l.tiles} tile(s)${l.merged ? `  merged ${l.merged}` : ''}`);
for (const u of uncachedLoad) {
  console.log(
    `uncached under load, z${u.z} (${u.svc.tool}, ${UNCACHED_CONNECTIONS} connections, ${UNCACHED_SECONDS} s): service ${Math.round(u.svc.rps)} tiles/s (p50 ${u.svc.p50} ms, p99 ${u.svc.p99} ms, errors ${u.svc.errors}); raw query, ${UNCACHED_CONNECTIONS} concurrent: ${Math.round(u.raw)} tiles/s → time per tile svc/raw ${(u.raw / u.svc.rps).toFixed(2)}`,
  );
}
const zoomLoads = loadPerZoom.map(([z, l, b]) => [`identity, z${z} only (${paths.filter((p) => p.startsWith(`/tiles/${LAYER}/${z}/`)).length} tiles)`, l, b] as const);
for (const [label, l, b] of [['identity, z10–z14 list', load, loadBare], ['gzip (Accept-Encoding as a browser), z10–z14 list', loadGzip, null], ...zoomLoads] as const) {
  const baseline = b ? `; bare node:http with the same bytes ${Math.round(b.rps)}/s → service/bare ${(l.rps / b.rps).toFixed(2)}` : '';
  console.log(`cached, ${label} (${l.tool}, ${CONNECTIONS} connections, 10 s): ${Math.round(l.rps)} tiles/s, ${l.mbPerSecond.toFixed(0)} MB/s, p50 ${l.p50} ms, p99 ${l.p99} ms, errors ${l.errors}${baseline}`);
}
await db.close();
