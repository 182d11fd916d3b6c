/**
 * npm run bench:upload-file -- <file> — DATABASE_URL=postgres://… (PostGIS) required.
 * Uploads one file (any supported format) through the real server (child process) into a fresh
 * Polygon layer of a bench database, and prints the answer, the time, the server's peak RSS
 * (VmHWM) and the slowest /healthz answer while the upload ran (polled every 50 ms) — how the
 * GeoPackage and KML bounds in server/ingest/ingest-limits.ts were measured. Files for it:
 * `ogr2ogr -f GPKG out.gpkg <source>`, `ogr2ogr -f KML out.kml <source> -t_srs EPSG:4326 -limit N`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { sql } from 'kysely';
import { createLayer } from '../server/layers/layer-create.js';
import { startChildServer } from '../test/helpers/child-server.js';
import { benchDatabase } from './lib.js';

const file = process.argv[2];
if (!file || !fs.existsSync(file)) throw new Error('usage: npm run bench:upload-file -- <file>');
const LAYER = 'bench-upload-file';
const TOKEN = 'bench-admin-token-0123456789';
const { db, url } = await benchDatabase('dehui_bench_upload_file');
await sql`delete from layers where id = ${LAYER}`.execute(db.kysely);
await createLayer(db.kysely, { id: LAYER, title: '上传测试', kind: 'constraint', geometryType: 'Polygon', attributes: [{ name: 'code', label: '编号', type: 'string' }] });
await db.close();
const server = await startChildServer({
  env: { DATABASE_URL: url, SEED: 'none', ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'warn', STATEMENT_TIMEOUT_MS: '600000', MAX_FEATURES: '1000000', MAX_UPLOAD_BYTES: String(2 ** 31) },
  keepChars: 10_000,
});
const peakRss = () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.child.pid}/status`, 'utf8'))![1]) / 1024;
try {
  const before = peakRss();
  let slowest = 0;
  let polls = 0;
  let done = false;
  const poller = (async () => {
    while (!done) {
      const t = performance.now();
      await (await fetch(`http://127.0.0.1:${server.port}/healthz`)).arrayBuffer();
      slowest = Math.max(slowest, performance.now() - t);
      polls++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const started = performance.now();
  const out = await new Promise<string>((resolve, reject) =>
    execFile('curl', ['-s', '-w', '\n%{http_code}', '-H', `Authorization: Bearer ${TOKEN}`, '-F', `file=@${file}`, `http://127.0.0.1:${server.port}/api/layers/${LAYER}/uploads`], { maxBuffer: 64 << 20 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    ),
  );
  const ms = performance.now() - started;
  done = true;
  await poller;
  const status = out.slice(out.lastIndexOf('\n') + 1);
  console.log(`HTTP ${status}: ${out.slice(0, 240).replace(/\n/g, ' ')}`);
  console.log(`${file}: ${(fs.statSync(file).size / 1e6).toFixed(1)} MB uploaded in ${(ms / 1000).toFixed(2)} s; server peak RSS ${peakRss().toFixed(0)} MB (${before.toFixed(0)} MB before); /healthz during the upload: ${polls} answers, slowest ${slowest.toFixed(0)} ms`);
} finally {
  await server.stop();
}
