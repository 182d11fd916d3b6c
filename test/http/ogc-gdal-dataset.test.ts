/**
 * GDAL's OAPIF driver copies the big layer of the real dataset — 24,000 permanent-farmland
 * parcels — completely through paging, on a real port. Skipped where ogr2ogr is not installed.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/test-app.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

const run = promisify(execFile);
const hasGdal = (process.env.PATH ?? '').split(path.delimiter).some((d) => fs.existsSync(path.join(d, 'ogr2ogr')));

describe.skipIf(!hasGdal)(`GDAL copies the Dehui farmland layer (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  let app: FastifyInstance;
  let base: string;
  let tmp: string;
  let pages = 0;
  beforeAll(async () => {
    db = await openTestDb('dehui');
    app = await buildTestApp(db);
    app.server.on('request', (req: { url?: string }) => {
      if (req.url?.startsWith('/ogc/collections/permanent-farmland/items')) pages++;
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gdal-farmland-'));
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('ogr2ogr copies every parcel, page by page, with the Chinese attributes intact', async () => {
    const expected = (await (await fetch(`${base}/api/layers/permanent-farmland`)).json()).featureCount as number;
    expect(expected).toBeGreaterThanOrEqual(20_000);
    const out = path.join(tmp, 'farmland.geojson');
    await run('ogr2ogr', ['-f', 'GeoJSON', out, `OAPIF:${base}/ogc`, 'permanent-farmland', '-oo', 'PAGE_SIZE=2000'], {
      timeout: 300_000,
      maxBuffer: 64 << 20,
      env: { ...process.env, GDAL_HTTP_TIMEOUT: '120' },
    });
    const copied = JSON.parse(fs.readFileSync(out, 'utf8')) as { features: Array<{ properties: Record<string, unknown> }> };
    expect(copied.features).toHaveLength(expected);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(expected / 2000));
    const townships = new Set(copied.features.map((f) => f.properties.township));
    expect([...townships].some((t) => typeof t === 'string' && /[镇乡街道]$/.test(t))).toBe(true);
  }, 320_000);
});
