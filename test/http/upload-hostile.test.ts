/**
 * Hostile and broken files: each is refused with a 4xx quickly, nothing is written (layer
 * version and row counts identical before and after), and no file is left outside a temp
 * folder. Limits are configured small so the bounds are reached with small inputs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { TEMP_PREFIX } from '../../server/ingest/upload-receive.js';
import { testConfig } from '../helpers/test-app.js';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { usingPostgres } from '../helpers/test-db.js';
import { collection, feature, hasOgr, multipart, parcels, shapefileParts, square, zipEntries } from '../fixtures/uploads/upload-files.js';
import { polygonContent, polygonShp, squareRing } from '../fixtures/uploads/shp-bytes.js';
import { writeZip } from '../fixtures/uploads/zip-writer.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };
const LAYER = 'permanent-farmland';
const UPLOAD_BYTES = 128 * 1024; // → zipUncompressedBytes = 1.25 MiB
const MAX_VERTICES = 1_000;

describe(`hostile uploads (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini', { limits: { ...testConfig().limits, uploadBytes: UPLOAD_BYTES, maxVertices: MAX_VERTICES } });

  async function snapshot() {
    const v = await sql<{ version: number }>`select version from layers where id = ${LAYER}`.execute(fx.db.kysely);
    const rows = await sql<{ n: number }>`select count(*)::int as n from features`.execute(fx.db.kysely);
    const versions = await sql<{ n: number }>`select count(*)::int as n from layer_versions`.execute(fx.db.kysely);
    return { version: v.rows[0].version, rows: rows.rows[0].n, versions: versions.rows[0].n };
  }
  const tempDirs = () => new Set(fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith(TEMP_PREFIX)));

  /** upload, expect `status`, and prove that nothing changed and no temp folder is left */
  async function refused(name: string, data: Buffer | string, status: number, fields: Record<string, string> = {}) {
    const before = await snapshot();
    const dirsBefore = tempDirs();
    const body = await multipart({ name, data }, fields);
    const r = await fx.app.inject({ method: 'POST', url: `/api/layers/${LAYER}/uploads`, headers: { ...ADMIN, ...body.headers }, payload: body.payload });
    expect(r.statusCode, r.body).toBe(status);
    expect(await snapshot()).toEqual(before);
    // Other test files may upload at the same moment: wait for every folder new since we began to go.
    await expect.poll(() => [...tempDirs()].filter((d) => !dirsBefore.has(d)).length, { timeout: 5_000 }).toBe(0);
    return r.json();
  }

  it('random bytes', async () => {
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    expect((await refused('data.zip', bytes, 422)).error).toBe('unprocessable');
  });

  it('a GeoJSON larger than uploadBytes → 413 naming the limit', async () => {
    const big = JSON.stringify(collection(parcels(1000)));
    expect(big.length).toBeGreaterThan(UPLOAD_BYTES);
    expect((await refused('big.geojson', big, 413)).details).toMatchObject({ limit: 'uploadBytes', max: UPLOAD_BYTES });
  });

  it('a ring with more vertices than maxVertices → 413 naming the limit', async () => {
    const n = MAX_VERTICES + 10;
    const ring = Array.from({ length: n }, (_, i) => [125.7 + 0.001 * Math.cos((2 * Math.PI * i) / n), 44.5 + 0.001 * Math.sin((2 * Math.PI * i) / n)].map((v) => +v.toFixed(6)));
    ring.push(ring[0]);
    const data = JSON.stringify(collection([feature('V', {}, { type: 'Polygon', coordinates: [ring] })]));
    expect(data.length).toBeLessThan(UPLOAD_BYTES);
    expect((await refused('v.geojson', data, 413)).details).toMatchObject({ limit: 'maxVertices', max: MAX_VERTICES, feature: 0 });
  });

  it.skipIf(!hasOgr)('a shapefile ring over maxVertices → 413 from the .shx, before parsing', async () => {
    const n = MAX_VERTICES + 50;
    const ring = Array.from({ length: n }, (_, i) => [125.7 + 0.001 * Math.cos((2 * Math.PI * i) / n), 44.5 + 0.001 * Math.sin((2 * Math.PI * i) / n)]);
    ring.push(ring[0]);
    const zip = zipEntries(shapefileParts(collection([feature(null, { 图斑编号: 'V' }, { type: 'Polygon', coordinates: [ring] })])), 'v');
    expect((await refused('v.zip', zip, 413)).details).toMatchObject({ limit: 'maxVertices', max: MAX_VERTICES, feature: 0 });
  });

  it.skipIf(!hasOgr)('a .shp record claiming more points than maxVertices, with no .shx to contradict it → 413 naming the feature', async () => {
    const parts = shapefileParts(collection([feature(null, { 图斑编号: 'V' }, square(125.7, 44.5, 0.001))]), { omit: ['shx'] });
    const [x, y] = [42_500_000, 4_930_000];
    const claimed = MAX_VERTICES * 5;
    const content = Buffer.concat([polygonContent([squareRing(x, y, 100)], claimed), Buffer.alloc(claimed * 16)]); // zeros: tiny once zipped
    parts.shp = polygonShp([content], [x, y, x + 100, y + 100]);
    expect((await refused('v.zip', zipEntries(parts, 'v'), 413)).details).toMatchObject({ limit: 'maxVertices', max: MAX_VERTICES, actual: claimed, feature: 0 });
  });

  it.skipIf(!hasOgr)('a .shp record declaring a length past the end of the file → 422 naming the record', async () => {
    const parts = shapefileParts(collection([feature(null, { 图斑编号: 'V' }, square(125.7, 44.5, 0.001))]), { omit: ['shx'] });
    const [x, y] = [42_500_000, 4_930_000];
    parts.shp = polygonShp([polygonContent([squareRing(x, y, 100)], 62_000_000)], [x, y, x + 100, y + 100], [1_000_000_000]);
    const json = await refused('v.zip', zipEntries(parts, 'v'), 422);
    expect(json.details).toMatchObject({ feature: 0 });
    expect(json.details.problems[0]).toMatchObject({ field: 'shp' });
  });

  // found by a review: JSON.stringify of a deeply nested coordinate in the error message overflowed the stack (a 500)
  it('a GeoJSON position nested thousands deep, or a property nested so → 4xx naming the feature', async () => {
    const deepArray = '['.repeat(20_000) + '1' + ']'.repeat(20_000);
    const point = `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"图斑编号":"D"},"geometry":{"type":"Point","coordinates":[${deepArray},44.5]}}]}`;
    const json = await refused('deep.geojson', point, 422);
    expect(JSON.stringify(json.details)).toContain('"feature":0');
    const property = `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"图斑编号":${deepArray}},"geometry":{"type":"Point","coordinates":[125.7,44.5]}}]}`;
    expect((await refused('deep-property.geojson', property, 422)).details.problems).toContainEqual(expect.objectContaining({ feature: 0, field: '图斑编号' }));
  });

  it('a query parameter given twice (?crs=4530&crs=4531) → 400 naming it, nothing stored', async () => {
    const before = await snapshot();
    const body = await multipart({ name: 'p.geojson', data: JSON.stringify(collection(parcels(2))) });
    const r = await fx.app.inject({ method: 'POST', url: `/api/layers/${LAYER}/uploads?crs=4530&crs=4531`, headers: { ...ADMIN, ...body.headers }, payload: body.payload });
    expect(r.statusCode, r.body).toBe(400);
    expect(r.json().details).toMatchObject({ parameter: 'crs' });
    expect(await snapshot()).toEqual(before);
  });

  it('malformed JSON names the line', async () => {
    const json = await refused('bad.geojson', '{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature",,}\n]}', 422);
    expect(json.details.problems[0]).toMatchObject({ line: 3 });
  });

  it('zip-slip names (../x.shp) are refused', async () => {
    const zip = writeZip([{ name: '../evil.shp', data: 'x' }, { name: '../evil.dbf', data: 'y' }]);
    expect((await refused('slip.zip', zip, 422)).message).toMatch(/unsafe path/);
    expect(fs.existsSync(path.join(os.tmpdir(), 'evil.shp'))).toBe(false);
  });

  it('a zip inside the zip is refused', async () => {
    const inner = writeZip([{ name: 'a.shp', data: 'x' }]);
    expect((await refused('nested.zip', writeZip([{ name: 'inner.zip', data: inner }]), 422)).message).toMatch(/nested archive/);
  });

  it('a zip bomb (declared sizes) → 413 zipUncompressedBytes before inflating', async () => {
    const zeros = Buffer.alloc(2 * 1024 * 1024);
    const zip = writeZip([{ name: 'b.shp', data: zeros }, { name: 'b.dbf', data: zeros }]);
    expect(zip.length).toBeLessThan(UPLOAD_BYTES);
    expect((await refused('bomb.zip', zip, 413)).details).toMatchObject({ limit: 'zipUncompressedBytes' });
  });

  it('a zip bomb that lies about its sizes is stopped while inflating', async () => {
    const zeros = Buffer.alloc(2 * 1024 * 1024);
    const zip = writeZip([{ name: 'b.shp', data: zeros, declaredSize: 100 }, { name: 'b.dbf', data: zeros, declaredSize: 100 }]);
    await refused('liar.zip', zip, 422);
  });

  it.skipIf(!hasOgr)('an entry that inflates to fewer bytes than its header declares is refused as damaged', async () => {
    // an otherwise good shapefile set: only the .prj's declared size lies (yauzl itself refuses
    // a stored entry whose two sizes differ, when listing; a deflated one is counted as it inflates)
    const parts = shapefileParts(collection(parcels(3)));
    const zip = (method: 0 | 8) =>
      writeZip(Object.entries(parts).map(([ext, data]) => ({ name: `short.${ext}`, data, method, ...(ext === 'prj' ? { declaredSize: data.length + 10 } : {}) })));
    expect((await refused('short.zip', zip(8), 422)).message).toMatch(/damaged zip: "short\.prj" inflates to \d+ bytes, its header says \d+/);
    expect((await refused('short.zip', zip(0), 422)).message).toMatch(/damaged zip/);
  });

  it('an entry compressed otherwise than stored or deflated (bzip2, method 12) is refused naming it', async () => {
    const zip = writeZip([{ name: 'b.shp', data: 'x'.repeat(100) }, { name: 'b.dbf', data: 'y'.repeat(100) }]);
    // the method as the central directory gives it (yauzl reads it there), for b.dbf
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 4);
    zip.writeUInt16LE(12, central + 10);
    expect((await refused('bzip2.zip', zip, 422)).message).toMatch(/damaged zip: unsupported compression method 12 of "b\.dbf"/);
  });

  it.skipIf(!hasOgr)('a .dbf that lies about its size, or whose compressed bytes are damaged, is refused', async () => {
    const parts = shapefileParts(collection(parcels(40)));
    const zip = (declared: number) =>
      writeZip(Object.entries(parts).map(([ext, data]) => ({ name: `d.${ext}`, data, ...(ext === 'dbf' ? { declaredSize: data.length + declared } : {}) })));
    // longer than declared: stopped as it inflates; shorter: found at its end
    expect((await refused('long.zip', zip(-10), 422)).message).toMatch(/damaged zip: "d\.dbf" inflates to \d+ bytes, its header says \d+/);
    expect((await refused('short.zip', zip(10), 422)).message).toMatch(/damaged zip: "d\.dbf" inflates to \d+ bytes, its header says \d+/);
    // damaged deflate data in the middle of the .dbf's entry
    const good = zip(0);
    const at = good.indexOf(Buffer.from('d.dbf')) + 'd.dbf'.length;
    const bad = Buffer.from(good);
    const size = bad.readUInt32LE(at - 'd.dbf'.length - 30 + 18);
    bad.fill(0xff, at + Math.floor(size / 2), at + Math.floor(size / 2) + 16);
    expect((await refused('bad.zip', bad, 422)).message).toMatch(/damaged zip/);
  });

  it('too many zip entries → 413 zipEntries', async () => {
    const zip = writeZip(Array.from({ length: 1001 }, (_, i) => ({ name: `${i}`, data: '', method: 0 as const })));
    expect(zip.length).toBeLessThan(UPLOAD_BYTES);
    expect((await refused('many.zip', zip, 413)).details).toMatchObject({ limit: 'zipEntries' });
  });

  it.skipIf(!hasOgr)('several layers in one zip → 422 listing them; `layer` picks one', async () => {
    const a = shapefileParts(collection(parcels(2)));
    const b = shapefileParts(collection(parcels(2, 10)));
    const zip = writeZip([...Object.entries(a).map(([e, d]) => ({ name: `甲.${e}`, data: d })), ...Object.entries(b).map(([e, d]) => ({ name: `乙.${e}`, data: d }))]);
    expect((await refused('two.zip', zip, 422)).details.layers.sort()).toEqual(['乙', '甲'].sort());
    const body = await multipart({ name: 'two.zip', data: zip }, { layer: '乙', dryRun: 'true' });
    const r = await fx.app.inject({ method: 'POST', url: `/api/layers/${LAYER}/uploads`, headers: { ...ADMIN, ...body.headers }, payload: body.payload });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().source.layer).toBe('乙');
  });

  it.skipIf(!hasOgr)('a truncated .shp is refused', async () => {
    const parts = shapefileParts(collection(parcels(20)));
    parts.shp = parts.shp.subarray(0, parts.shp.length - 100);
    expect((await refused('cut.zip', zipEntries(parts, 'cut'), 422)).message).toMatch(/truncated/);
  });

  it.skipIf(!hasOgr)('.dbf and .shp with different record counts are refused', async () => {
    const parts = shapefileParts(collection(parcels(20)));
    const fewer = shapefileParts(collection(parcels(19)));
    expect((await refused('mismatch.zip', zipEntries({ ...parts, dbf: fewer.dbf }, 'm'), 422)).message).toMatch(/mismatch/);
    // and without a .shx to compare with, the mismatch is found while reading
    const noShx: Record<string, Buffer> = { ...parts, dbf: fewer.dbf };
    delete noShx.shx;
    expect((await refused('mismatch2.zip', zipEntries(noShx, 'm'), 422)).message).toMatch(/mismatch/);
  });

  it.skipIf(!hasOgr)('a shapefile whose .prj is Xian 1980 is refused unless towgs84 is given', async () => {
    const parts = shapefileParts(collection([feature(null, { 图斑编号: 'X1' }, square(125.7, 44.5))]), { epsg: 2366 });
    const json = await refused('xian.zip', zipEntries(parts, 'xian'), 422);
    expect(json.message).toMatch(/towgs84/);
    const body = await multipart({ name: 'xian.zip', data: zipEntries(parts, 'xian') }, { towgs84: '15,-120,-50,0,0,0,0', dryRun: 'true', mode: 'append' });
    const r = await fx.app.inject({ method: 'POST', url: `/api/layers/${LAYER}/uploads`, headers: { ...ADMIN, ...body.headers }, payload: body.payload });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().source.crs).toMatch(/七参数/);
  });

  it('metres declared as lon/lat are refused with the bounds', async () => {
    const fc = collection([feature('G', {}, { type: 'Polygon', coordinates: [[[42540000, 4930000], [42540100, 4930000], [42540100, 4930100], [42540000, 4930000]]] })]);
    expect((await refused('gk.geojson', JSON.stringify(fc), 422, { crs: '4490' })).details.problems[0].field).toBe('crs');
  });

  it('a broken feature among good ones is reported by index, with the rest unwritten', async () => {
    const fc = collection([
      feature('OK1', {}, square(125.7, 44.5)),
      feature('BAD', {}, { type: 'Polygon', coordinates: [[[125.7, 44.5], [125.71, 44.5], [125.7, 44.51]]] }),
      feature('OK1', {}, square(125.72, 44.5)),
    ]);
    const json = await refused('mixed.geojson', JSON.stringify(fc), 422);
    expect(json.details.problems.map((p: { feature: number; field: string }) => [p.feature, p.field])).toEqual([
      [1, 'geometry'],
      [2, 'id'],
    ]);
  });
});
