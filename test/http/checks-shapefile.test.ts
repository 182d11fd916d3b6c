/**
 * POST /api/checks with a zipped shapefile as the multipart `file`, on the checks fixture.
 * Shapefiles are written by ogr2ogr (GBK .dbf with .cpg, .prj of CGCS2000 GK zone 42); expected
 * areas come from the same polygon checked as JSON, and from PostGIS on the fixture's rectangles.
 * Hostile archives get the upload path's 4xx and store nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { countChecks } from '../../server/checks/check-service.js';
import { gaussKrugerToLonLat } from '../../server/ingest/gauss-kruger.js';
import { TEMP_PREFIX } from '../../server/ingest/upload-receive.js';
import { gkRect } from '../fixtures/checks/make.js';
import { collection, feature, hasOgr, multipart, shapefileParts, shapefileZip, zipEntries } from '../fixtures/uploads/upload-files.js';
import { writeZip } from '../fixtures/uploads/zip-writer.js';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { testConfig } from '../helpers/test-app.js';
import { usingPostgres } from '../helpers/test-db.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };
const UPLOAD_BYTES = 128 * 1024; // → zipUncompressedBytes = 1.25 MiB
/** lon/lat (EPSG:4490) polygon of a GK zone-42 rectangle of the fixture (km offsets) */
const lonLat = (r: number[]) => ({ type: 'Polygon' as const, coordinates: [gkRect(r).map(([e, n]) => gaussKrugerToLonLat(e, n, 42))] });
const RED_LINE_BLOCK = [11, 12, 13, 13]; // 2 km², half of it on the red line (x 10–12)

describe.skipIf(!hasOgr)(`checks with a zipped shapefile (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('checks', { limits: { ...testConfig().limits, uploadBytes: UPLOAD_BYTES, maxVertices: 1_000 } });

  const fields = { activity: 'mining', mineral: '建筑用砂' };
  async function post(name: string, data: Buffer | string, extra: Record<string, string> = {}) {
    const body = await multipart({ name, data }, { ...fields, ...extra });
    return fx.app.inject({ method: 'POST', url: '/api/checks', headers: { ...ADMIN, ...body.headers }, payload: body.payload });
  }
  const tempDirs = () => new Set(fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith(TEMP_PREFIX)));
  /** expect `status`, nothing stored, no temp folder left behind */
  async function refused(name: string, data: Buffer | string, status: number) {
    const before = await countChecks(fx.db.kysely);
    const dirsBefore = tempDirs();
    const r = await post(name, data);
    expect(r.statusCode, r.body).toBe(status);
    expect(await countChecks(fx.db.kysely)).toBe(before);
    await expect.poll(() => [...tempDirs()].filter((d) => !dirsBefore.has(d)).length, { timeout: 5_000 }).toBe(0);
    return r.json();
  }

  it('one polygon in GK zone 42 with GBK attributes is the block: same areas as the JSON check, named by its 名称', async () => {
    const zip = shapefileZip(collection([feature(null, { 名称: '松花江镇拟设采矿区', 备注: '测试' }, lonLat(RED_LINE_BLOCK))]), { epsg: 4530, baseName: '拟设区块' });
    const r = await post('拟设区块.zip', zip);
    expect(r.statusCode, r.body).toBe(201);
    const report = r.json();
    expect(report.input.format).toBe('shapefile');
    expect(report.input.crs).toMatch(/4530|42/);
    expect(report.name).toBe('松花江镇拟设采矿区'); // decoded from the GBK .dbf
    const json = await fx.app.inject({ method: 'POST', url: '/api/checks', headers: ADMIN, payload: { geometry: lonLat(RED_LINE_BLOCK), ...fields } });
    expect(json.statusCode).toBe(201);
    expect(Math.abs(report.block.area.m2 - json.json().block.area.m2)).toBeLessThan(0.5);
    expect(report.block.area.m2).toBeCloseTo(2_000_000, -3);
    const red = report.findings.find((f: { ruleId: string }) => f.ruleId === 'redline-mining');
    expect(red).toMatchObject({ verdict: 'prohibited', featureCount: 1 });
    expect(Math.abs(red.area.m2 - json.json().findings.find((f: { ruleId: string }) => f.ruleId === 'redline-mining').area.m2)).toBeLessThan(0.5);
    expect(red.sharePercent).toBeCloseTo(50, 1);
    expect((await fx.app.inject({ url: report.links.overlaps })).statusCode).toBe(200);
  });

  it('several polygons become one MultiPolygon block, with a warning naming the count', async () => {
    const a = [4.5, 4.5, 5.5, 5.5]; // inside sand block KC-01: clean
    const b = [11, 12, 12, 13]; // wholly on the red line
    const zip = shapefileZip(collection([feature(null, { 名称: '甲' }, lonLat(a)), feature(null, { 名称: '乙' }, lonLat(b))]), { epsg: 4530 });
    const r = await post('two.zip', zip);
    expect(r.statusCode, r.body).toBe(201);
    const report = r.json();
    expect(report.name).toBeNull(); // two features: no single name
    expect(report.warnings.some((w: { message: string }) => /含2个面/.test(w.message))).toBe(true);
    expect(report.block.area.m2).toBeCloseTo(2_000_000, -3);
    const red = report.findings.find((f: { ruleId: string }) => f.ruleId === 'redline-mining');
    expect(red.sharePercent).toBeCloseTo(50, 1);
    const outside = report.findings.find((f: { ruleId: string }) => f.ruleId === 'inside-mining-block');
    expect(outside.sharePercent).toBeCloseTo(50, 1); // b lies outside every sand block
  });

  it('a `crs` field overrides the .prj, as for uploads', async () => {
    const zip = shapefileZip(collection([feature(null, { 名称: '经纬度' }, lonLat(RED_LINE_BLOCK))]), { epsg: 4490 });
    const r = await post('geo.zip', zip);
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().block.area.m2).toBeCloseTo(2_000_000, -3);
    // the same lon/lat numbers declared as GK metres land nowhere near Jilin: refused by the bounds check
    const wrong = await post('geo.zip', zip, { crs: 'EPSG:4530' });
    expect(wrong.statusCode).toBeGreaterThanOrEqual(400);
    expect(wrong.statusCode).toBeLessThan(500);
  });

  it('a point shapefile is refused naming the feature; a bare .shp asks for the zip', async () => {
    const points = shapefileZip(collection([feature(null, { 名称: '点' }, { type: 'Point', coordinates: [125.8, 44.3] })]), { epsg: 4530 });
    expect((await refused('points.zip', points, 422)).message).toMatch(/Point/);
    const parts = shapefileParts(collection([feature(null, { 名称: '甲' }, lonLat(RED_LINE_BLOCK))]));
    expect((await refused('block.shp', parts.shp, 400)).details).toMatchObject({ parameter: 'file' });
  });

  it('hostile or broken archives get the upload path’s 4xx and store nothing', async () => {
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    expect((await refused('data.zip', bytes, 422)).error).toBe('unprocessable');
    const parts = shapefileParts(collection([feature(null, { 名称: '甲' }, lonLat(RED_LINE_BLOCK))]));
    const whole = zipEntries(parts, 'cut');
    expect((await refused('cut.zip', whole.subarray(0, Math.floor(whole.length / 2)), 422)).error).toBe('unprocessable');
    expect((await refused('slip.zip', writeZip([{ name: '../evil.shp', data: 'x' }, { name: '../evil.dbf', data: 'y' }]), 422)).message).toMatch(/unsafe path/);
    expect((await refused('nested.zip', writeZip([{ name: 'inner.zip', data: writeZip([{ name: 'a.shp', data: 'x' }]) }]), 422)).message).toMatch(/nested archive/);
    const zeros = Buffer.alloc(2 * 1024 * 1024);
    expect((await refused('bomb.zip', writeZip([{ name: 'b.shp', data: zeros }, { name: 'b.dbf', data: zeros }]), 413)).details).toMatchObject({ limit: 'zipUncompressedBytes' });
    const shorter = { ...parts, shp: parts.shp.subarray(0, parts.shp.length - 20) };
    expect((await refused('short.zip', zipEntries(shorter, 'short'), 422)).error).toBe('unprocessable');
  });
});

// A check's file is read into memory (a layer upload is streamed to disk): it is bounded by the
// request-body limit, not by the far larger upload limit (found by a review: 200 MiB per check).
describe(`a check's file is bounded like a request body (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const BODY_BYTES = 64 * 1024;
  const fx = useFixtureApp('checks', { limits: { ...testConfig().limits, bodyBytes: BODY_BYTES, uploadBytes: 1024 * 1024 } });

  it('a file over bodyBytes (and under uploadBytes) → 413, nothing stored', async () => {
    const before = await countChecks(fx.db.kysely);
    const body = await multipart({ name: 'big.txt', data: Buffer.alloc(BODY_BYTES * 2, 0x20) }, { activity: 'mining', mineral: '建筑用砂' });
    const r = await fx.app.inject({ method: 'POST', url: '/api/checks', headers: { ...ADMIN, ...body.headers }, payload: body.payload });
    expect(r.statusCode, r.body).toBe(413);
    expect(r.json().details).toMatchObject({ limit: 'bodyBytes', max: BODY_BYTES, parameter: 'file' });
    expect(await countChecks(fx.db.kysely)).toBe(before);
  });

  // found by a security review: the zip was bounded by the upload limit (10 × 200 MiB inflated)
  it.skipIf(!hasOgr)('a zip that inflates past ten times bodyBytes (and well under ten times uploadBytes) → 413 zipUncompressedBytes', async () => {
    const before = await countChecks(fx.db.kysely);
    const zeros = Buffer.alloc(2 * 1024 * 1024); // 4 MiB inflated: over 10 × 64 KiB, under 10 × 1 MiB
    const zip = writeZip([{ name: 'b.shp', data: zeros }, { name: 'b.dbf', data: zeros }]);
    expect(zip.length).toBeLessThan(BODY_BYTES);
    const body = await multipart({ name: 'bomb.zip', data: zip }, { activity: 'mining', mineral: '建筑用砂' });
    const r = await fx.app.inject({ method: 'POST', url: '/api/checks', headers: { ...ADMIN, ...body.headers }, payload: body.payload });
    expect(r.statusCode, r.body).toBe(413);
    expect(r.json().details).toMatchObject({ limit: 'zipUncompressedBytes', max: BODY_BYTES * 10 });
    expect(await countChecks(fx.db.kysely)).toBe(before);
  });

  it('a JSON body over bodyBytes → 413 naming the limit and its size, nothing stored', async () => {
    const before = await countChecks(fx.db.kysely);
    const payload = JSON.stringify({ activity: 'mining', mineral: '建筑用砂', name: 'x'.repeat(BODY_BYTES), geometry: lonLat(RED_LINE_BLOCK) });
    const r = await fx.app.inject({ method: 'POST', url: '/api/checks', headers: { ...ADMIN, 'content-type': 'application/json' }, payload });
    expect(r.statusCode, r.body).toBe(413);
    expect(r.json().details).toEqual({ limit: 'bodyBytes', max: BODY_BYTES });
    expect(await countChecks(fx.db.kysely)).toBe(before);
  });
});
