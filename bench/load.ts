/**
 * npm run bench:load — DATABASE_URL=postgres://… (PostGIS) required.
 * The service as a real server process on 127.0.0.1 over the Dehui dataset, under a mixed load
 * from autocannon in its own process (bench/load-mix-worker.ts), 64 connections for 60 s:
 *   tiles   28 conns  z10–z14 tiles of farmland and of rights (composite), half versioned `?v=` URLs
 *   items   14 conns  OGC items pages, bbox and CQL2-filtered (S_INTERSECTS) queries
 *   checks   8 conns  POST /api/checks, ~1 km² blocks across the county
 *   upload   6 conns  POST …/uploads, 50-feature GeoJSONs replacing a layer (12 variants)
 *   flood    8 conns  one token hammering /api/layers: the only class whose 429s are intended
 * Legitimate classes use one token per connection; the flood one token for all its connections.
 * Baseline, measured in the same run: each class alone for 10 s (rate limiting off); the mix
 * reports p99 against it. Then a 5 s calibration mix (limiting off) measures the per-connection rate
 * under saturation, and the server restarts with a rate limit of three times the fastest legitimate
 * connection's rate (per 10 s per token; LOAD_RATE_LIMIT overrides): no legitimate token reaches it,
 * the flood's token (8 connections) passes it. The server's RSS is sampled every second.
 * Pass: zero errors (socket errors, timeouts, 5xx, any 4xx, 429 outside `flood`), RSS steady
 * (after the first 10 s, the second half's mean within 10 % of the first half's), /readyz 200 after.
 * LOAD_SECONDS (60) and LOAD_BASELINE_SECONDS (10) shorten a trial run.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { startChildServer, type ExitStatus } from '../test/helpers/child-server.js';
import { benchDatabase, prng, tileList } from './lib.js';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const BASELINE_SECONDS = Number(process.env.LOAD_BASELINE_SECONDS ?? 10);
const CALIBRATION_SECONDS = 5;
const RATE_WINDOW_MS = 10_000;
const ADMIN_TOKEN = 'bench-load-admin-token-0123456789';
const UPLOAD_LAYER = 'load-test-blocks';

const { db, url } = await benchDatabase('dehui_bench_load');
const extentRow = await sql<{ extent: number[] }>`select lv.extent from layers l join layer_versions lv on lv.layer_id = l.id and lv.version = l.version where l.id = 'permanent-farmland'`.execute(db.kysely);
const bbox = extentRow.rows[0].extent as [number, number, number, number];
await db.close();

// ---- the server, a child process ------------------------------------------------------------
/** where the current server listens (a restart gets a new port; tokens live in the database) */
let base = '';
interface Server {
  pid: number;
  output: () => string;
  /** SIGTERM; resolves to the exit code */
  stop: () => Promise<ExitStatus>;
}
async function startServer(rateLimit: number): Promise<Server> {
  const server = await startChildServer({
    env: { DATABASE_URL: url, SEED: 'none', ADMIN_TOKEN, LOG_LEVEL: 'error', RATE_LIMIT_MAX: String(rateLimit), RATE_LIMIT_WINDOW_MS: String(RATE_WINDOW_MS) },
    keepChars: 100_000,
  });
  base = server.base;
  return { pid: server.child.pid!, output: server.output, stop: () => server.stop() };
}
let server = await startServer(0);

const api = async (method: string, p: string, body?: unknown, token = ADMIN_TOKEN) => {
  const r = await fetch(base + p, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
  return r.json();
};
const mint = async (role: string, n: number) => Promise.all(Array.from({ length: n }, (_, i) => api('POST', '/api/tokens', { name: `load ${role} ${i}`, role }).then((t) => `Bearer ${t.token}`)));
// One token per connection for the legitimate classes (a token's rate is one connection's), one
// token over all the flood's connections (its rate is theirs together).
const [viewers, readers, planners, editors, [flooder]] = await Promise.all([mint('viewer', 28), mint('viewer', 14), mint('planner', 8), mint('editor', 6), mint('viewer', 1)]);
await api('POST', '/api/layers', {
  id: UPLOAD_LAYER,
  title: '负载测试区块',
  kind: 'block',
  geometryType: 'Polygon',
  attributes: [{ name: 'code', label: '区块编号', type: 'string' }],
}).catch((err) => {
  if (!String(err).includes('409')) throw err;
});

// ---- the request mix -------------------------------------------------------------------------
type Req = { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string };
const rand = prng(64);
const at = (i: number, list: string[]) => list[i % list.length];
const rightsVersions = await Promise.all(['permanent-farmland', 'mining-rights'].map(async (id) => (await api('GET', `/api/layers/${id}`)).version as number));
const tiles: Req[] = tileList(bbox)
  .filter((t) => t.z >= 10)
  .flatMap((t, i) => [
    { method: 'GET' as const, path: `/tiles/permanent-farmland/${t.z}/${t.x}/${t.y}.pbf${i % 2 ? `?v=${rightsVersions[0]}` : ''}`, headers: { authorization: at(i, viewers) } },
    { method: 'GET' as const, path: `/tiles/mining-rights,exploration-rights/${t.z}/${t.x}/${t.y}.pbf`, headers: { authorization: at(i + 1, viewers) } },
  ]);
const lon = (f: number) => bbox[0] + f * (bbox[2] - bbox[0]);
const lat = (f: number) => bbox[1] + f * (bbox[3] - bbox[1]);
const items: Req[] = Array.from({ length: 60 }, (_, i) => {
  const kind = i % 3;
  const x = lon(rand() * 0.9);
  const y = lat(rand() * 0.9);
  const qs =
    kind === 0
      ? `limit=100&offset=${Math.floor(rand() * 200) * 100}`
      : kind === 1
        ? `limit=200&bbox=${x.toFixed(4)},${y.toFixed(4)},${(x + 0.05).toFixed(4)},${(y + 0.05).toFixed(4)}`
        : `limit=100&filter=${encodeURIComponent(`S_INTERSECTS(geometry, BBOX(${x.toFixed(4)}, ${y.toFixed(4)}, ${(x + 0.1).toFixed(4)}, ${(y + 0.1).toFixed(4)}))`)}`;
  return { method: 'GET' as const, path: `/ogc/collections/permanent-farmland/items?${qs}`, headers: { authorization: at(i, readers) } };
});
const square = (x: number, y: number, d: number) => ({ type: 'Polygon', coordinates: [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]] });
const checks: Req[] = Array.from({ length: 24 }, (_, i) => ({
  method: 'POST' as const,
  path: '/api/checks',
  headers: { authorization: at(i, planners), 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify({ geometry: square(lon(0.1 + rand() * 0.8), lat(0.1 + rand() * 0.8), 0.012), activity: i % 2 ? 'mining' : 'exploration', mineral: '建筑用砂', name: `负载测试 ${i}` })).toString('base64'),
}));
async function uploadRequest(variant: number): Promise<Req> {
  const features = Array.from({ length: 50 }, (_, k) => ({ type: 'Feature', id: `L-${k}`, properties: { code: `L-${k}-${variant}` }, geometry: square(lon(0.3) + (k % 10) * 0.003, lat(0.3) + Math.floor(k / 10) * 0.003, 0.002) }));
  const form = new FormData();
  form.append('mode', 'replace');
  form.append('note', `load test ${variant}`);
  form.append('file', new Blob([JSON.stringify({ type: 'FeatureCollection', features })]), `blocks-${variant}.geojson`);
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return {
    method: 'POST',
    path: `/api/layers/${UPLOAD_LAYER}/uploads`,
    headers: { authorization: editors[variant % editors.length], 'content-type': request.headers.get('content-type')! },
    body: Buffer.from(await request.arrayBuffer()).toString('base64'),
  };
}
const uploads = await Promise.all(Array.from({ length: 12 }, (_, v) => uploadRequest(v)));
const flood: Req[] = [{ method: 'GET', path: '/api/layers', headers: { authorization: flooder } }];

const classes = [
  { name: 'tiles', connections: 28, requests: tiles },
  { name: 'items', connections: 14, requests: items },
  { name: 'checks', connections: 8, requests: checks },
  { name: 'upload', connections: 6, requests: uploads },
  { name: 'flood', connections: 8, requests: flood },
];

// ---- runs -------------------------------------------------------------------------------------
interface ClassResult {
  name: string;
  connections: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  socketErrors: number;
  timeouts: number;
}
const specFile = path.join(os.tmpdir(), `bench-load-spec-${process.pid}.json`);
const run = async (seconds: number, only?: string): Promise<ClassResult[]> => {
  fs.writeFileSync(specFile, JSON.stringify({ base, seconds, classes }));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bench/load-mix-worker.ts', specFile, ...(only ? [only] : [])], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
};
const rssMb = () => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

const baseline = new Map<string, ClassResult>();
for (const c of classes) {
  baseline.set(c.name, (await run(BASELINE_SECONDS, c.name))[0]);
}
// The limit, from a short calibration mix with limiting off: under a saturating mix every connection
// gets about the same rate, so a legitimate token (one connection) runs at r and the flood's token
// (8 connections) at about 8r. Three times the fastest legitimate connection's rate sits between.
const calibration = await run(CALIBRATION_SECONDS);
const perConnection = calibration.filter((r) => r.name !== 'flood').map((r) => r.rps / r.connections);
const rateLimit = Number(process.env.LOAD_RATE_LIMIT) || Math.ceil(3 * Math.max(...perConnection) * (RATE_WINDOW_MS / 1000));
await server.stop();
server = await startServer(rateLimit);
console.log(`server pid ${server.pid} at ${base}, PostgreSQL database dehui_bench_load; rate limit ${rateLimit} per ${RATE_WINDOW_MS / 1000} s per token`);
const rssBefore = rssMb();
const samples: number[] = [];
const sampler = setInterval(() => samples.push(rssMb()), 1000);
const mix = await run(SECONDS);
clearInterval(sampler);
const ready = await fetch(`${base}/readyz`);

// ---- report ------------------------------------------------------------------------------------
const errorsOf = (r: ClassResult) =>
  r.socketErrors + r.timeouts + Object.entries(r.statuses).reduce((n, [status, count]) => n + (Number(status) >= 400 && !(status === '429' && r.name === 'flood') ? count : 0), 0);
console.log(`\nmixed load: ${classes.reduce((n, c) => n + c.connections, 0)} connections for ${SECONDS} s (autocannon in its own process); baseline = the class alone, ${BASELINE_SECONDS} s`);
console.log('class    conns  requests    req/s   p50 ms   p99 ms   max ms   alone p99   p99 mix/alone   statuses                     errors');
for (const r of mix) {
  const alone = baseline.get(r.name);
  console.log(
    [
      r.name.padEnd(8),
      String(r.connections).padStart(5),
      String(r.requests).padStart(9),
      r.rps.toFixed(0).padStart(8),
      String(r.p50).padStart(8),
      String(r.p99).padStart(8),
      String(r.max).padStart(8),
      (alone ? String(alone.p99) : '—').padStart(11),
      (alone ? (r.p99 / Math.max(alone.p99, 1)).toFixed(2) : '—').padStart(15),
      ('   ' + JSON.stringify(r.statuses)).padEnd(31),
      String(errorsOf(r)).padStart(6),
    ].join(' '),
  );
}
const total = mix.reduce((n, r) => n + r.requests, 0);
const errors = mix.reduce((n, r) => n + errorsOf(r), 0);
const intended429 = mix.find((r) => r.name === 'flood')?.statuses['429'] ?? 0;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
// steady: after a 10 s warm-up (JIT, pools, the tile LRU taking the working set), no growth
const warm = samples.slice(10);
const [firstHalf, secondHalf] = [mean(warm.slice(0, Math.floor(warm.length / 2))), mean(warm.slice(Math.floor(warm.length / 2)))];
const growth = (secondHalf - firstHalf) / firstHalf;
console.log(`total ${total} requests, ${(total / SECONDS).toFixed(0)} req/s; errors ${errors}; intended 429s (flood) ${intended429}`);
console.log(`server RSS: ${rssBefore.toFixed(0)} MB before the mix; during it min ${Math.min(...samples).toFixed(0)}, max ${Math.max(...samples).toFixed(0)} MB; after 10 s, mean of the first half ${firstHalf.toFixed(0)} MB, of the second half ${secondHalf.toFixed(0)} MB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %)`);
console.log(`/readyz after the run: ${ready.status}`);
const steady = growth < 0.1;
console.log(errors === 0 && steady && ready.status === 200 ? 'PASS: zero errors other than intended 429s, memory steady' : `FAIL: ${errors} errors; memory ${steady ? 'steady' : 'growing'}; ready ${ready.status}`);

const code = await server.stop();
fs.rmSync(specFile, { force: true });
if (code !== 0) console.log(`server exited with ${code}:\n${server.output().slice(-2000)}`);
process.exit(errors === 0 && steady ? 0 : 1);
