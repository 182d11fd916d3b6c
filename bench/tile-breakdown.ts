/**
 * npm run bench:tile-breakdown — DATABASE_URL=postgres://… (PostGIS) required; run bench:tiles
 * once first (it loads the 200k-parcel layer; this reuses its database, dehui_bench_tiles).
 * Where an uncached tile's time goes, without HTTP, for the zoom BENCH_ZOOM (default 14) of
 * bench:tiles' fixed list, interleaved per tile for ROUNDS rounds (default 10):
 *   raw          the canonical ST_AsMVT query (the ratio's denominator in bench:tiles)
 *   prepared     PostgisTileEngine.renderCurrent: the service's one statement, prepared, generic plan (z ≥ 12)
 *   unprepared   the same statement through kysely (parsed and planned each time)
 *   service      TileService.tile (cache off): the above plus the service's own work
 *   bare http    TileService.tile behind a bare node:http server (204 or the body), over one
 *                keep-alive connection from this process: the cost of the HTTP hop itself
 *   app http     the real app (buildApp, cache off, logging off) over the same kind of connection:
 *                minus "bare http", what Fastify, the routes and the hooks add
 *   app lean     the same app through bench/lib.ts's LeanHttpClient (bench:tiles' client)
 *   select 1     one round trip to the database
 * each p50 over all tiles, and over the tiles with features and the empty ones apart (by the raw
 * query's answer): at z14 about half the list is empty, so the p50 of all falls between the two
 * groups and swings with either.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { PostgisTileEngine } from '../server/tiles/engine-postgis.js';
import type { TileCoord } from '../server/tiles/tile-math.js';
import { TileService } from '../server/tiles/tile-service.js';
import { benchDatabase, LeanHttpClient, percentile, tileList, time } from './lib.js';

process.env.BENCH_REUSE = '1';
const LAYER = 'farmland-scaled';
const Z = Number(process.env.BENCH_ZOOM ?? 14);
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const { db } = await benchDatabase('dehui_bench_tiles');
const extent = await sql<{ b: string | null }>`select ST_Extent(geom)::text as b from features where layer_id = ${LAYER} and valid_to is null`.execute(db.kysely);
if (!extent.rows[0]?.b) throw new Error(`no layer ${LAYER}: run npm run bench:tiles first`);
const bbox = extent.rows[0].b.match(/-?\d+(\.\d+)?/g)!.map(Number) as [number, number, number, number];
const tiles = tileList(bbox).filter((t) => t.z === Z);
const service = new TileService(db, { cacheBytes: 0 });
const [source] = await service.sources([LAYER]);
const shape = (service as unknown as { layerMeta: Map<string, Parameters<PostgisTileEngine['renderCurrent']>[2]> }).layerMeta.get(LAYER)!;
const prepared = service.primary as PostgisTileEngine;
const unprepared = new PostgisTileEngine(db.kysely);
const raw = (t: TileCoord) =>
  sql`select ST_AsMVT(q, ${LAYER}, 4096, 'geom', 'mvt_id') as mvt from (
    select f.id as mvt_id, f.fid, f.properties->>'land_code' as land_code, f.properties->>'township' as township, ST_AsMVTGeom(f.geom_3857, ST_TileEnvelope(${t.z}::int, ${t.x}::int, ${t.y}::int), 4096, 64, true) as geom
    from features f where f.layer_id = ${LAYER} and f.valid_to is null
      and f.geom_3857 && ST_TileEnvelope(${t.z}::int, ${t.x}::int, ${t.y}::int, margin => ${64 / 4096}::float8)) q`.execute(db.kysely);
const bare = http.createServer((req, res) => {
  const [z, x, y] = req.url!.split('/').slice(1).map(Number);
  service.tile([LAYER], { z, x, y }).then(
    (t) => {
      if (!t.body.length) res.writeHead(204).end();
      else res.writeHead(200, { 'content-type': 'application/vnd.mapbox-vector-tile' }).end(t.body);
    },
    () => res.writeHead(500).end(),
  );
});
await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
const barePort = (bare.address() as AddressInfo).port;
const app = await buildApp({ ...loadConfig({ LOG_LEVEL: 'silent', SEED: 'none' }), tileCacheBytes: 0 }, db);
const appBase = await app.listen({ port: 0, host: '127.0.0.1' });
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const lean = new LeanHttpClient(appBase);
const get = (url: string) =>
  new Promise<void>((resolve, reject) =>
    http.get(url, { agent }, (res) => res.on('data', () => {}).on('end', resolve).on('error', reject)).on('error', reject),
  );
const steps: [string, (t: TileCoord) => Promise<unknown>][] = [
  ['raw', raw],
  ['prepared', (t) => prepared.renderCurrent(source, t, shape)],
  ['unprepared', (t) => unprepared.renderCurrent(source, t, shape)],
  ['service', (t) => service.tile([LAYER], t)],
  ['bare http', (t) => get(`http://127.0.0.1:${barePort}/${t.z}/${t.x}/${t.y}`)],
  ['app http', (t) => get(`${appBase}/tiles/${LAYER}/${t.z}/${t.x}/${t.y}.pbf`)],
  ['app lean', (t) => lean.get(`/tiles/${LAYER}/${t.z}/${t.x}/${t.y}.pbf`)],
  ['select 1', () => sql`select 1`.execute(db.kysely)],
];
const ms = new Map<string, number[]>(steps.map(([name]) => [name, []]));
const empty: boolean[] = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const t of tiles) {
    for (const [name, step] of steps) {
      const [result, took] = await time(() => step(t));
      ms.get(name)!.push(took);
      if (name === 'raw') empty.push(!(result as { rows: { mvt: Buffer | null }[] }).rows[0]?.mvt?.length);
    }
  }
}
console.log(`z${Z}: ${tiles.length} tiles × ${ROUNDS} rounds, interleaved per tile (ms); empty: ${empty.filter(Boolean).length / ROUNDS} tiles`);
console.log(`${''.padEnd(13)}${['all', 'with features', 'empty'].map((h) => h.padStart(22)).join('')}`);
const groups = [() => true, (i: number) => !empty[i], (i: number) => empty[i]];
const rawP50 = groups.map((keep) => percentile(ms.get('raw')!.filter((_, i) => keep(i)), 50));
for (const [name, xs] of ms) {
  const cells = groups.map((keep, g) => {
    const p50 = percentile(xs.filter((_, i) => keep(i)), 50);
    return `${p50.toFixed(3)} (${(p50 / rawP50[g]).toFixed(2)}×)`.padStart(22);
  });
  console.log(`${name.padEnd(13)}${cells.join('')}`);
}
lean.close();
agent.destroy();
bare.close();
await app.close();
await db.close();
