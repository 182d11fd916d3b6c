/**
 * A real client: GDAL's OAPIF driver against the service on a real port. Skipped where
 * ogrinfo is not installed. GDAL 3.6 pushes -where to the server as CQL text (filter-lang
 * cql-text) only with its config option OGR_OAPIF_ALLOW_CQL_TEXT=YES, reading the queryables
 * from the collection's "queryables" link; newer GDAL uses cql2-text from the conformance
 * classes. Without the option GDAL 3.6 filters client-side — the results must agree.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertLayer } from '../../server/layers/layer-registry.js';
import { writeLayerVersion } from '../../server/layers/layer-writes.js';
import { seedDataset } from '../../server/layers/seed.js';
import { buildTestApp } from '../helpers/test-app.js';
import { ROOT } from '../helpers/templates.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

const run = promisify(execFile);
const hasGdal = (() => {
  try {
    return (process.env.PATH ?? '').split(path.delimiter).some((d) => fs.existsSync(path.join(d, 'ogrinfo')));
  } catch {
    return false;
  }
})();
const PARCELS = 3000; // 60 × 50 grid; with itemsLimitMax = 100 GDAL must follow 30 next links

describe.skipIf(!hasGdal)(`GDAL OAPIF client (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  let app: FastifyInstance;
  let url: string;
  let tmp: string;
  const requested: string[] = [];
  const gdal = async (cmd: string, args: string[], env: Record<string, string> = {}) =>
    (await run(cmd, args, { timeout: 90_000, maxBuffer: 64 << 20, env: { ...process.env, GDAL_HTTP_TIMEOUT: '60', ...env } })).stdout;

  beforeAll(async () => {
    db = await openTestDb('empty');
    await seedDataset(db.kysely, path.join(ROOT, 'test/fixtures/ogc'), 'ogc');
    await insertLayer(db.kysely, {
      id: 'cultivated-land',
      title: '耕地',
      kind: 'constraint',
      geometryType: 'Polygon',
      attributes: [{ name: 'code', label: '图斑编号', type: 'string' }, { name: 'row', label: '行', type: 'integer' }],
    });
    const features = Array.from({ length: PARCELS }, (_, n) => {
      const [i, j] = [n % 60, Math.floor(n / 60)];
      const [x, y] = [125.3 + i * 0.01, 44.1 + j * 0.01];
      return { id: `CL-${n + 1}`, properties: { code: `CL-${n + 1}`, row: j }, geometry: { type: 'Polygon', coordinates: [[[x, y], [x + 0.008, y], [x + 0.008, y + 0.008], [x, y + 0.008], [x, y]]] } };
    });
    await writeLayerVersion(db.kysely, { layerId: 'cultivated-land', mode: 'replace', features, author: 'test' });
    app = await buildTestApp(db, { limits: { bodyBytes: 1 << 20, uploadBytes: 1 << 20, maxVertices: 1000, maxFeatures: 1000, itemsLimitMax: 100 } });
    app.server.on('request', (req: { url?: string }) => requested.push(decodeURIComponent(req.url ?? '')));
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    url = `OAPIF:${address}/ogc`;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ogc-gdal-'));
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('ogrinfo lists every collection', async () => {
    const out = await gdal('ogrinfo', ['-ro', '-so', url]);
    for (const id of ['permanent-farmland', 'mining-rights', 'cultivated-land']) expect(out).toContain(id);
  });

  it('ogrinfo -al -so reports the feature count and the fields', async () => {
    const out = await gdal('ogrinfo', ['-ro', '-al', '-so', url, 'cultivated-land']);
    expect(out).toMatch(new RegExp(`Feature Count: ${PARCELS}\\b`));
    expect(out).toMatch(/code: String/);
  });

  it('ogr2ogr copies every feature, following next links page by page', async () => {
    const out = path.join(tmp, 'all.json');
    requested.length = 0;
    // GDAL asks for 1000 a page; the server clamps to itemsLimitMax (100) and GDAL follows next links
    await gdal('ogr2ogr', ['-f', 'GeoJSON', out, url, 'cultivated-land', '-oo', 'PAGE_SIZE=1000']);
    const fc = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(fc.features).toHaveLength(PARCELS);
    expect(new Set(fc.features.map((f: { properties: { code: string } }) => f.properties.code)).size).toBe(PARCELS);
    const pages = requested.filter((u) => u.startsWith('/ogc/collections/cultivated-land/items'));
    expect(pages.length).toBeGreaterThanOrEqual(PARCELS / 100);
    const params = pages.map((u) => new URL(u, 'http://x').searchParams);
    expect(params.some((q) => q.get('limit') === '100' && q.get('offset') === '2900')).toBe(true);
    // every page GDAL followed is on the version its first page was read at (next links pin it)
    const followed = params.filter((q) => q.has('offset'));
    expect(followed.length).toBeGreaterThan(20);
    expect(new Set(followed.map((q) => q.get('version')))).toEqual(new Set(['1']));
  });

  it('-spat gives the features the server selects by bbox', async () => {
    const out = path.join(tmp, 'spat.json');
    // columns i = 0..2 (125.300–125.328) and rows j = 0..1 (44.100–44.118): 6 parcels
    await gdal('ogr2ogr', ['-f', 'GeoJSON', out, url, 'cultivated-land', '-spat', '125.301', '44.101', '125.325', '44.115']);
    const codes = JSON.parse(fs.readFileSync(out, 'utf8')).features.map((f: { properties: { code: string } }) => f.properties.code).sort();
    expect(codes).toEqual(['CL-1', 'CL-2', 'CL-3', 'CL-61', 'CL-62', 'CL-63']);
    expect(requested.some((u) => u.includes('bbox='))).toBe(true);
  });

  it.each([
    ["township = '万宝镇'", 50],
    ["township = '万宝镇' AND area_ha < 30", 10],
    ['quality_grade <= 2 OR area_ha > 45', 27],
    ['area_ha BETWEEN 10 AND 12', 5],
    ["land_class LIKE '旱%'", 49],
  ])('-where %j gives the right features, evaluated by the server from the CQL text GDAL sends', async (where, expected) => {
    const out = path.join(tmp, 'where.json');
    fs.rmSync(out, { force: true });
    requested.length = 0;
    await gdal('ogr2ogr', ['-f', 'GeoJSON', out, url, 'permanent-farmland', '-where', where], { OGR_OAPIF_ALLOW_CQL_TEXT: 'YES' });
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).features).toHaveLength(expected);
    const sent = requested.filter((u) => u.includes('filter='));
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((u) => u.includes('/ogc/collections/permanent-farmland/items'))).toBe(true);
  });

  it('-where without the CQL option is filtered by GDAL itself, with the same result', async () => {
    const out = path.join(tmp, 'where-client.json');
    await gdal('ogr2ogr', ['-f', 'GeoJSON', out, url, 'permanent-farmland', '-where', "township = '万宝镇' AND area_ha < 30"]);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).features).toHaveLength(10);
  });
});
