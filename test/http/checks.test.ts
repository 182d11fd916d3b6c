/** POST /api/checks and friends over HTTP (app.inject), on the checks fixture. */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countChecks } from '../../server/checks/check-service.js';
import { seedDataset } from '../../server/layers/seed.js';
import { gkRect } from '../fixtures/checks/make.js';
import { buildTestApp } from '../helpers/test-app.js';
import { ROOT } from '../helpers/templates.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/checks');
const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };
const MAX_VERTICES = 500;
const polygon = (r: number[]) => ({ type: 'Polygon', coordinates: [gkRect(r)] });
/** a lon/lat ring of `teeth` teeth, each from −179° to 179° of longitude: few vertices, a huge boundary */
const comb = (teeth: number) => {
  const ring: number[][] = [];
  for (let i = 0; i < teeth; i++) {
    const y = -60 + i * 2;
    ring.push([-179, y], [179, y], [179, y + 1], [-179, y + 1]);
  }
  ring.push([-179.5, 60], [-179.5, -60], [-179, -60]);
  return ring;
};

/** A Dehui parcel in the 部标 TXT format (zone 42): the redline-crossing 2 km × 1 km block. */
const TXT = `[属性描述]
坐标系=2000国家大地坐标系
几度分带=3
投影类型=高斯克吕格
计量单位=米
带号=42
[地块坐标]
5,200.0000,KC-T1,测试地块,面,,,,@
J1,1,4912000.000,42491000.000
J2,1,4912000.000,42493000.000
J3,1,4913000.000,42493000.000
J4,1,4913000.000,42491000.000
`; // ring not closed: the parser closes it with a warning

describe(`/api/checks over HTTP (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  let app: FastifyInstance;
  let viewer: Record<string, string>;
  beforeAll(async () => {
    db = await openTestDb('empty');
    await seedDataset(db.kysely, FIXTURE, 'checks-fixture');
    app = await buildTestApp(db, { limits: { bodyBytes: 1 << 22, uploadBytes: 1 << 20, maxVertices: MAX_VERTICES, maxFeatures: 1000, itemsLimitMax: 50 } });
    const minted = await app.inject({ method: 'POST', url: '/api/tokens', headers: ADMIN, payload: { name: '查看', role: 'viewer' } });
    viewer = { authorization: `Bearer ${minted.json().token}` };
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  const post = (payload: unknown, headers: Record<string, string> = ADMIN) => app.inject({ method: 'POST', url: '/api/checks', headers, payload: payload as object });

  it('rules are data, readable by anyone, one per row of domain.md §2', async () => {
    const r = await app.inject({ url: '/api/rules' });
    expect(r.statusCode).toBe(200);
    const ids = r.json().rules.map((x: { id: string }) => x.id);
    expect(ids).toEqual(expect.arrayContaining(['redline-mining', 'redline-exploration', 'farmland-mining', 'clay-on-cultivated-land', 'clay-off-cultivated-land', 'existing-mining-right', 'existing-exploration-right', 'inside-mining-block', 'inside-exploration-block', 'key-exploration-zone', 'key-mining-zone', 'minimum-scale', 'outside-county', 'urban-boundary']));
    expect(r.json().verdicts).toEqual({ prohibited: '禁止', review: '需论证', notice: '提示', pass: '符合' });
  });

  it('checks need a planner: 401 without a token, 403 for a viewer, and nothing is stored', async () => {
    const body = { geometry: polygon([4.5, 4.5, 5.5, 5.5]), crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂' };
    expect((await post(body, {})).statusCode).toBe(401);
    expect((await post(body, viewer)).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/checks/plan-audit', headers: viewer })).statusCode).toBe(403);
    expect(await countChecks(db.kysely)).toBe(0);
  });

  it('a JSON check is stored and readable as JSON, GeoJSON and a printable page', async () => {
    const r = await post({ geometry: polygon([11, 12, 13, 13]), crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂', name: '<b>红线</b>测试' });
    expect(r.statusCode).toBe(201);
    const report = r.json();
    expect(r.headers.location).toBe(`/api/checks/${report.id}`);
    expect(report).toMatchObject({ verdict: 'prohibited', verdictLabel: '禁止', createdBy: 'admin (ADMIN_TOKEN)', activity: 'mining' });
    expect(report.findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(['redline-mining', 'inside-mining-block']);

    const again = await app.inject({ url: `/api/checks/${report.id}` });
    expect(again.json()).toEqual(report);

    const geo = await app.inject({ url: `/api/checks/${report.id}/overlaps.geojson` });
    expect(geo.headers['content-type']).toMatch(/application\/geo\+json/);
    const roles = geo.json().features.map((f: { properties: { ruleId: string; role: string } }) => `${f.properties.ruleId}:${f.properties.role}`);
    expect(roles).toEqual(expect.arrayContaining(['redline-mining:union', 'redline-mining:feature', 'inside-mining-block:outside']));

    const html = await app.inject({ url: `/api/checks/${report.id}/report.html` });
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    const page = html.body;
    expect(page).toContain('<svg');
    expect(page).toContain('点号');
    expect(page).toContain('生态保护红线');
    expect(page).toContain('禁止');
    expect(page).toContain(report.findings[0].citation);
    expect(page).toContain('4912000.000'); // X (northing) of the corner, GK zone 42
    expect(page).toContain('42491000.000'); // Y (easting, zone-prefixed)
    expect(page).toContain('@page');
    // found by a walkthrough: the time was UTC ISO text and the layers were named by their ids
    const beijing = new Date(Date.parse(report.createdAt) + 8 * 3600_000);
    expect(page).toContain(`${beijing.getUTCFullYear()}年${beijing.getUTCMonth() + 1}月${beijing.getUTCDate()}日`);
    expect(page).toContain('（北京时间）');
    expect(page).not.toContain(report.createdAt);
    for (const [id, v] of Object.entries(report.layerVersions as Record<string, number>)) {
      const title = (await app.inject({ url: `/api/layers/${id}` })).json().title as string;
      expect(page).toContain(`${title}（${id}）第 ${v} 版`);
    }
    expect(page).toMatch(/<td>J01<\/td>/);
    expect(report.passedRules.length).toBeGreaterThan(0);
    expect(page).toContain(`已检查、未发现冲突的规则（${report.passedRules.length} 条）`);
    for (const p of report.passedRules) expect(page).toContain(p.title);
    expect(page).toContain('&lt;b&gt;红线&lt;/b&gt;测试');
    expect(page).not.toContain('<b>红线');
    expect(page).not.toMatch(/https?:/);
  });

  it('a boundary-coordinate TXT, pasted or uploaded, is checked with its declared area and the parser’s warnings', async () => {
    const r = await post({ coordinates: TXT, activity: 'exploration', mineral: '地热' });
    expect(r.statusCode).toBe(201);
    const report = r.json();
    expect(report.input.declaredArea.ha).toBe(200);
    expect(report.block.area.ha).toBeCloseTo(200, 1);
    expect(report.warnings.some((w: { line?: number; message: string }) => /未闭合/.test(w.message) && w.line === 12)).toBe(true);
    expect(report.findings.find((f: { ruleId: string }) => f.ruleId === 'redline-exploration')).toMatchObject({ verdict: 'review' });

    const boundary = '----checks';
    const parts = [
      ['activity', 'exploration'], ['mineral', '地热'],
    ].map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
    const payload = Buffer.concat([
      Buffer.from(parts.join('')),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="parcel.txt"\r\nContent-Type: text/plain\r\n\r\n`),
      fs.readFileSync(path.join(FIXTURE, 'pengbu-zone40.txt')),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const up = await app.inject({ method: 'POST', url: '/api/checks', headers: { ...ADMIN, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expect(up.statusCode).toBe(201);
    // the file declares 5.7089 公顷 (test/db/checks.test.ts computes the area independently to the m²)
    expect(up.json().block.area.ha).toBeCloseTo(5.7089, 3);
    expect(up.json().input.declaredArea.ha).toBe(5.7089);
  });

  // found by a walkthrough: a GeoJSON file was read as a TXT ("no [地块坐标] section")
  it('a GeoJSON file is checked as its polygons (several: one block, with a warning), in the crs its legacy crs member names', async () => {
    const boundary = '----geojson';
    const send = (name: string, data: string, fields: [string, string][] = []) =>
      app.inject({
        method: 'POST',
        url: '/api/checks',
        headers: { ...ADMIN, 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: Buffer.concat([
          Buffer.from([['activity', 'mining'], ['mineral', '建筑用砂'], ...fields].map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('')),
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/geo+json\r\n\r\n${data}\r\n--${boundary}--\r\n`),
        ]),
      });
    const a = polygon([4.5, 4.5, 5.5, 5.5]);
    const b = polygon([11, 12, 13, 13]);
    const fc = { type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4530' } }, features: [a, b].map((geometry, i) => ({ type: 'Feature', properties: { name: `块${i}` }, geometry })) };
    const file = await send('block.geojson', JSON.stringify(fc));
    expect(file.statusCode, file.body).toBe(201);
    const json = await post({ geometry: { type: 'MultiPolygon', coordinates: [a.coordinates, b.coordinates] }, crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂' });
    expect(file.json().block.area.m2).toBeCloseTo(json.json().block.area.m2, 2);
    expect(file.json().findings.map((f: { ruleId: string }) => f.ruleId).sort()).toEqual(json.json().findings.map((f: { ruleId: string }) => f.ruleId).sort());
    expect(file.json().warnings).toContainEqual(expect.objectContaining({ field: 'file', message: expect.stringContaining('合为一个区块') }));
    // one bare geometry, named .json, with crs given in the request
    const one = await send('block.json', JSON.stringify(a), [['crs', 'EPSG:4530']]);
    expect(one.statusCode, one.body).toBe(201);
    // (found by a review) GDAL's CRS84 member is lon/lat, and a line among the polygons is said to be left out
    const lonLat = { type: 'Polygon', coordinates: [[[125.60, 44.40], [125.61, 44.40], [125.61, 44.41], [125.60, 44.41], [125.60, 44.40]]] };
    const crs84 = { type: 'FeatureCollection', crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:OGC:1.3:CRS84' } }, features: [
      { type: 'Feature', properties: {}, geometry: lonLat },
      { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [[125.6, 44.4], [125.7, 44.5]] } },
      { type: 'Feature', properties: {}, geometry: { ...lonLat, coordinates: [lonLat.coordinates[0].map(([x, y]) => [x + 0.02, y])] } },
    ] };
    const gdal = await send('gdal.geojson', JSON.stringify(crs84));
    expect(gdal.statusCode, gdal.body).toBe(201);
    expect(gdal.json().warnings.map((w: { message: string }) => w.message)).toEqual(expect.arrayContaining([expect.stringContaining('2 个面要素合为一个区块'), expect.stringContaining('1 个非面要素')]));
    const odd = await send('odd.geojson', JSON.stringify({ ...crs84, crs: { type: 'name', properties: { name: 'EPSG:2000' } } }));
    expect([odd.statusCode, odd.json().details.parameter]).toEqual([400, 'file']);
    // broken JSON, or nothing with area: a 400 naming the file
    for (const bad of ['{"type": "FeatureCollection", "features": [', JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [125.7, 44.5] } }] })]) {
      const r = await send('bad.geojson', bad);
      expect(r.statusCode).toBe(400);
      expect(r.json().details).toMatchObject({ parameter: 'file' });
    }
  });

  // found by a review: a multipart field was cut at 1 MB without an error, and the cut TXT was checked as it was
  it('a pasted TXT field larger than the bound is a 413 naming the field, never cut silently', async () => {
    const boundary = 'fieldsize';
    const form = (coordinates: string) =>
      Buffer.from(
        [['activity', 'mining'], ['mineral', '建筑用砂'], ['coordinates', coordinates]].map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join('') + `--${boundary}--\r\n`,
      );
    const send = (coordinates: string) => app.inject({ method: 'POST', url: '/api/checks', headers: { ...ADMIN, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: form(coordinates) });
    const before = await countChecks(db.kysely);
    // 1.5 MB of blank lines before the parcel (this app's bound: uploadBytes, 1 MB)
    const [head, body] = TXT.split('[地块坐标]\n');
    const long = await send(`${head}${'\n'.repeat(1_500_000)}[地块坐标]\n${body}`);
    expect(long.statusCode, long.body.slice(0, 300)).toBe(413);
    expect(long.json().details).toMatchObject({ limit: 'uploadBytes', max: 1 << 20, parameter: 'coordinates' });
    // fields together are bounded too (each under the bound, together over it)
    const many = Buffer.from(
      [['activity', 'mining'], ['mineral', '建筑用砂'], ['name', 'x'.repeat(600_000)], ['coordinates', `${TXT}${' '.repeat(600_000)}`]]
        .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
        .join('') + `--${boundary}--\r\n`,
    );
    const both = await app.inject({ method: 'POST', url: '/api/checks', headers: { ...ADMIN, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: many });
    expect(both.statusCode).toBe(413);
    expect(both.json().details).toMatchObject({ limit: 'uploadBytes', parameter: 'coordinates' });
    // under the bound, the same padding is read whole
    const padded = await send(`${head}${'\n'.repeat(900_000)}[地块坐标]\n${body}`);
    expect(padded.statusCode, padded.body.slice(0, 300)).toBe(201);
    expect(await countChecks(db.kysely)).toBe(before + 1);
  });

  it('every bad input is a 4xx naming the field, line or limit, and stores nothing', async () => {
    const before = await countChecks(db.kysely);
    const good = { geometry: polygon([4.5, 4.5, 5.5, 5.5]), crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂' };
    const cases: [unknown, number, Record<string, unknown>][] = [
      [{ ...good, activity: 'quarrying' }, 400, { parameter: 'activity' }],
      [{ ...good, mineral: '金' }, 400, { parameter: 'mineral' }],
      [{ ...good, crs: 'EPSG:2000' }, 400, { parameter: 'crs' }],
      [{ ...good, scale: { value: -1, unit: '万吨/年' } }, 400, { parameter: 'scale.value' }],
      [{ activity: 'mining', mineral: '建筑用砂' }, 400, { parameter: 'geometry' }],
      [{ ...good, geometry: { type: 'Point', coordinates: [125.8, 44.3] }, crs: undefined }, 422, { problems: [{ field: 'geometry.type' }] }],
      [{ ...good, geometry: { type: 'Polygon', coordinates: [] }, crs: undefined }, 422, { problems: [{ field: 'geometry.coordinates' }] }],
      [{ ...good, geometry: { type: 'Polygon', coordinates: [[[44.3, 125.8], [44.31, 125.8], [44.31, 125.81], [44.3, 125.8]]] }, crs: undefined }, 422, { problems: [{ field: 'geometry.coordinates' }] }],
      [{ ...good, crs: 'EPSG:4529' }, 422, { problems: [{ field: 'crs' }] }], // zone 41 code, zone 42 eastings
      // outside the projection's domain (the transform failed: a 500, found by a review)
      [{ ...good, crs: 'EPSG:4549', geometry: { type: 'Polygon', coordinates: [[[1e8, 4.9e6], [1e8 + 100, 4.9e6], [1e8 + 100, 4.9e6 + 100], [1e8, 4.9e6]]] } }, 422, { problems: [{ field: 'geometry.coordinates' }] }],
      [{ ...good, crs: 'EPSG:4530', geometry: { type: 'Polygon', coordinates: [[[42.5e6, 1e12], [42.5e6 + 100, 1e12], [42.5e6 + 100, 1e12 + 100], [42.5e6, 1e12]]] } }, 422, { problems: [{ field: 'geometry.coordinates' }] }],
      [{ ...good, crs: 'EPSG:3857', geometry: { type: 'Polygon', coordinates: [[[1e12, 0], [1e12 + 100, 0], [1e12 + 100, 100], [1e12, 0]]] } }, 422, { problems: [{ field: 'geometry.coordinates' }] }],
      [{ ...good, geometry: { type: 'Polygon', coordinates: [Array.from({ length: MAX_VERTICES + 1 }, (_, i) => [125.8 + Math.cos(i) / 100, 44.3 + Math.sin(i) / 100])] }, crs: undefined }, 413, { limit: 'maxVertices', max: MAX_VERTICES }],
      [{ activity: 'mining', mineral: '建筑用砂', coordinates: TXT.replace('J3,1,4913000.000', 'J3,1,49l3000.000') }, 422, { problems: [{ line: 11, field: 'X' }] }],
      // found by a review: a comb of a few hundred vertices spanning the globe densified to ~10⁸ points (5xx or a frozen PGlite)
      [{ ...good, crs: undefined, geometry: { type: 'Polygon', coordinates: [comb(60)] } }, 413, { limit: 'blockPerimeterDeg', max: 100, field: 'geometry' }],
    ];
    for (const [payload, status, details] of cases) {
      const r = await post(payload);
      expect({ status: r.statusCode, payload }).toMatchObject({ status, payload });
      expect(r.json().details).toMatchObject(details);
      expect(r.json().message).toEqual(expect.any(String));
    }
    expect(await countChecks(db.kysely)).toBe(before);
  });

  // found by a review: a block no GK zone can hold (checked, with a warning) made report.html a 500
  it('a block far from China is checked with a warning and its printable report is drawn in lon/lat', async () => {
    const far = { type: 'Polygon', coordinates: [[[-10, 0], [-9.99, 0], [-9.99, 0.01], [-10, 0.01], [-10, 0]]] };
    const r = await post({ activity: 'exploration', mineral: '地热', geometry: far });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().warnings).toContainEqual(expect.objectContaining({ message: expect.stringContaining('吉林省以外') }));
    const html = await app.inject({ url: `/api/checks/${r.json().id}/report.html` });
    expect(html.statusCode, html.body.slice(0, 300)).toBe(200);
    expect(html.body).toContain('EPSG:4490');
    expect(html.body).toMatch(/-10\.0000000/);
  });

  it('an unknown check id is a 404', async () => {
    expect((await app.inject({ url: '/api/checks/00000000-0000-4000-8000-000000000000' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/checks/not-a-uuid/report.html' })).statusCode).toBe(404);
  });

  it('the plan audit reports every planning feature with its findings', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/checks/plan-audit', headers: ADMIN });
    expect(r.statusCode).toBe(200);
    const audit = r.json();
    expect(audit.summary.features).toBe(7);
    expect(audit.features.find((f: { id: string }) => f.id === 'KT-01').findings[0]).toMatchObject({ ruleId: 'key-exploration-zone', verdict: 'notice' });
  });
});
