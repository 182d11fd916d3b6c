/**
 * bench:items — DATABASE_URL=postgres://… (PostGIS) required. OGC API Features items
 * throughput: every limit=1000 page of permanent-farmland (the Dehui dataset's ~24,000
 * parcels) through the HTTP service (app.inject: routing, parameter parsing, CQL2, links, JSON
 * assembly), against the raw SQL that produces the same GeoJSON page, measured in the same run.
 * Prints p50/p95 per page and the ratio service/raw. Also a CQL2-filtered variant.
 * Optional: BENCH_ROUNDS (default 3).
 */
import { sql } from 'kysely';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { benchDatabase, percentile, time } from './lib.js';

const LAYER = 'permanent-farmland';
const LIMIT = 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const { db } = await benchDatabase('dehui_bench_items');
const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent', SEED: 'none', DATABASE_URL: process.env.DATABASE_URL }), db);
const total = (await sql<{ n: number }>`select count(*)::int as n from features where layer_id = ${LAYER} and valid_to is null`.execute(db.kysely)).rows[0].n;
const pages = Math.ceil(total / LIMIT);
console.log(`${LAYER}: ${total} features, ${pages} pages of ${LIMIT}, ${ROUNDS} rounds (${db.kind})`);

/** the same page as GeoJSON text straight from PostgreSQL: the floor for any HTTP layer */
async function rawPage(offset: number, township?: string): Promise<number> {
  const where = township === undefined ? sql`true` : sql`f.properties->>'township' = ${township}`;
  const r = await sql<{ doc: string }>`
    with page as (
      select json_build_object('type', 'Feature', 'id', f.fid, 'geometry', ST_AsGeoJSON(f.geom, 9, 0)::json, 'properties', f.properties) as feature
      from features f where f.layer_id = ${LAYER} and f.valid_to is null and ${where}
      order by f.fid limit ${LIMIT} offset ${offset})
    select json_build_object('type', 'FeatureCollection',
      'numberMatched', (select count(*) from features f where f.layer_id = ${LAYER} and f.valid_to is null and ${where}),
      'features', coalesce((select json_agg(feature) from page), '[]'::json))::text as doc`.execute(db.kysely);
  return r.rows[0].doc.length;
}

async function servicePage(offset: number, filter?: string): Promise<number> {
  const q = new URLSearchParams({ limit: String(LIMIT), offset: String(offset), ...(filter ? { filter } : {}) });
  const res = await app.inject({ url: `/ogc/collections/${LAYER}/items?${q}` });
  if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${res.body.slice(0, 200)}`);
  return res.body.length;
}

interface Row {
  p50: number;
  p95: number;
}

function report(label: string, ms: number[], bytes: number): Row {
  const row = { p50: percentile(ms, 50), p95: percentile(ms, 95) };
  const perSec = Math.round((LIMIT * 1000) / row.p50);
  console.log(`${label.padEnd(28)} p50 ${row.p50.toFixed(1).padStart(7)} ms   p95 ${row.p95.toFixed(1).padStart(7)} ms   ${String(perSec).padStart(7)} features/s   ${Math.round(bytes / 1024)} KB/page`);
  return row;
}

/** raw and service alternate page by page, so cache warmth and machine load hit both alike */
async function compare(label: string, raw: (offset: number) => Promise<number>, svc: (offset: number) => Promise<number>, pageCount: number): Promise<[Row, Row]> {
  const [a, b]: [number[], number[]] = [[], []];
  let bytes = 0;
  await raw(0);
  await svc(0); // warm-up: plan cache, connections
  for (let round = 0; round < ROUNDS; round++) {
    for (let p = 0; p < pageCount; p++) {
      const [size, t1] = await time(() => raw(p * LIMIT));
      const [, t2] = await time(() => svc(p * LIMIT));
      a.push(t1);
      b.push(t2);
      bytes = Math.max(bytes, size);
    }
  }
  return [report(`raw SQL${label}`, a, bytes), report(`service /items${label}`, b, bytes)];
}

const [raw, svc] = await compare('', (o) => rawPage(o), (o) => servicePage(o), pages);
const township = '米沙子镇';
const matched = (await sql<{ n: number }>`select count(*)::int as n from features where layer_id = ${LAYER} and valid_to is null and properties->>'township' = ${township}`.execute(db.kysely)).rows[0].n;
const [rawF, svcF] = await compare(', CQL2 filter', (o) => rawPage(o, township), (o) => servicePage(o, `township = '${township}'`), Math.max(1, Math.ceil(matched / LIMIT)));

console.log(`\nratio service/raw   all pages: p50 ${(svc.p50 / raw.p50).toFixed(2)}×  p95 ${(svc.p95 / raw.p95).toFixed(2)}×`);
console.log(`ratio service/raw   filtered : p50 ${(svcF.p50 / rawF.p50).toFixed(2)}×  p95 ${(svcF.p95 / rawF.p95).toFixed(2)}×`);
await app.close();
await db.close();
