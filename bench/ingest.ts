/**
 * npm run bench:ingest — DATABASE_URL=postgres://… (PostGIS) required.
 *
 * A 100 000-feature shapefile (GeoJSON → ogr2ogr: EPSG:4530, GBK .dbf, .prj, .cpg; zipped)
 * uploaded through the API on a real port (multipart streamed from disk), against
 * `ogr2ogr -f PostgreSQL` of the same .shp into the same server as the baseline. Prints both
 * times, their ratio and this process's peak RSS (the server runs in it). Goal: ≤ 2× ogr2ogr,
 * peak RSS < 500 MB.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../server/app.js';
import { loadConfig } from '../server/config.js';
import { createLayer } from '../server/layers/layer-create.js';
import { writeZip } from '../test/fixtures/uploads/zip-writer.js';
import { benchDatabase, prng, time } from './lib.js';

const FEATURES = Number(process.env.BENCH_FEATURES ?? 100_000);
const TOKEN = 'bench-admin-token-0123456789';
const LAYER = 'bench-parcels';

function generate(dir: string): { zip: string; shp: string } {
  const rand = prng(5);
  const side = 0.0004; // ~30 m squares, 5 vertices, a little jitter so no two are alike
  const features = Array.from({ length: FEATURES }, (_, i) => {
    const x = 125.5 + (i % 400) * 0.0005 + rand() * 0.00005;
    const y = 44.35 + Math.floor(i / 400) * 0.0005 + rand() * 0.00005;
    return {
      type: 'Feature',
      properties: { 图斑编号: `B-${String(i).padStart(6, '0')}`, 所在乡镇: ['米沙子镇', '大房身镇', '菜园子镇'][i % 3], 地类: '水田', 面积: +(side * side * 1e4).toFixed(4) },
      geometry: { type: 'Polygon', coordinates: [[[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]] },
    };
  });
  const src = path.join(dir, 'in.geojson');
  fs.writeFileSync(src, JSON.stringify({ type: 'FeatureCollection', features }));
  const shp = path.join(dir, 'parcels.shp');
  execFileSync('ogr2ogr', ['-f', 'ESRI Shapefile', '-lco', 'ENCODING=GBK', '-t_srs', 'EPSG:4530', shp, src]);
  const entries = ['shp', 'shx', 'dbf', 'prj', 'cpg'].map((ext) => ({ name: `永久基本农田.${ext}`, data: fs.readFileSync(path.join(dir, `parcels.${ext}`)) }));
  const zip = path.join(dir, 'parcels.zip');
  fs.writeFileSync(zip, writeZip(entries));
  return { zip, shp };
}

/** POST the zip as multipart, streamed from disk (the client holds no copy in memory). */
function upload(port: number, file: string): Promise<{ status: number; body: string }> {
  const boundary = `----bench${Date.now()}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="mode"\r\n\r\nreplace\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="parcels.zip"\r\nContent-Type: application/zip\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = head.length + fs.statSync(file).size + tail.length;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { port, host: '127.0.0.1', method: 'POST', path: `/api/layers/${LAYER}/uploads`, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length } },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.write(head);
    const rs = fs.createReadStream(file);
    rs.on('end', () => req.end(tail));
    rs.pipe(req, { end: false });
  });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dehui-bench-ingest-'));
  const { db, url } = await benchDatabase('dehui_bench_ingest');
  try {
    const [{ zip, shp }, genMs] = await time(async () => generate(dir));
    console.log(`generated ${FEATURES} features in ${(genMs / 1000).toFixed(1)} s; zip ${(fs.statSync(zip).size / 1e6).toFixed(1)} MB`);
    await createLayer(db.kysely, {
      id: LAYER,
      title: '基准测试图斑',
      kind: 'constraint',
      geometryType: 'Polygon',
      attributes: [
        { name: 'code', label: '图斑编号', type: 'string', required: true },
        { name: 'township', label: '所在乡镇', type: 'string' },
        { name: 'area_km2', label: '面积', type: 'number' },
      ],
    });
    const u = new URL(url);
    const pgConn = `PG:dbname=${u.pathname.slice(1)} host=${u.hostname} port=${u.port || 5432} user=${decodeURIComponent(u.username) || 'postgres'}`;
    const [, ogrMs] = await time(async () => execFileSync('ogr2ogr', ['-f', 'PostgreSQL', pgConn, shp, '-nln', 'ogr_baseline', '-overwrite', '-lco', 'GEOMETRY_NAME=geom']));
    console.log(`ogr2ogr -f PostgreSQL: ${(ogrMs / 1000).toFixed(2)} s`);

    const config = loadConfig({ LOG_LEVEL: 'silent', SEED: 'none', ADMIN_TOKEN: TOKEN, STATEMENT_TIMEOUT_MS: '600000' });
    const app = await buildApp(config, db);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const rssBefore = process.resourceUsage().maxRSS / 1024;
    const [res, apiMs] = await time(() => upload(port, zip));
    await app.close();
    if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${res.body.slice(0, 500)}`);
    const r = JSON.parse(res.body);
    const peak = process.resourceUsage().maxRSS / 1024;
    console.log(`API upload: ${(apiMs / 1000).toFixed(2)} s → version ${r.version}, ${r.featureCount} features, ${r.warnings.length} warnings listed`);
    console.log(`ratio API / ogr2ogr: ${(apiMs / ogrMs).toFixed(2)}× (goal ≤ 2×)`);
    console.log(`peak RSS: ${peak.toFixed(0)} MB (before upload ${rssBefore.toFixed(0)} MB; goal < 500 MB)`);
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
