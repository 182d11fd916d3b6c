/**
 * Uploads through the API, one per supported format, on the mini fixture (admin-county,
 * permanent-farmland). Every success is ONE new version with the file recorded in its source.
 */
import { sql } from 'kysely';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { listVersions } from '../../server/layers/versions.js';
import { ingestSlots } from '../../server/ingest/ingest-slots.js';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { usingPostgres } from '../helpers/test-db.js';
import { dbfBytes, polygonContent, polygonShp, squareRing } from '../fixtures/uploads/shp-bytes.js';
import { bowtie, collection, feature, hasOgr, multipart, parcelTxt, parcels, shapefileZip, square, zipEntries } from '../fixtures/uploads/upload-files.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };
const LAYER = 'permanent-farmland';

describe(`layer uploads (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini');

  async function upload(file: { name: string; data: Buffer | string } | null, fields: Record<string, string> = {}, layer = LAYER, headers: Record<string, string> = ADMIN) {
    const body = await multipart(file, fields);
    return fx.app.inject({ method: 'POST', url: `/api/layers/${layer}/uploads`, headers: { ...headers, ...body.headers }, payload: body.payload });
  }

  it('refuses anonymous users (401) and roles below editor (403)', async () => {
    const geo = { name: 'a.geojson', data: JSON.stringify(collection(parcels(1))) };
    expect((await upload(geo, {}, LAYER, {})).statusCode).toBe(401);
    const minted = await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: ADMIN, payload: { name: '规划科', role: 'planner' } });
    const planner = { authorization: `Bearer ${minted.json().token}` };
    expect((await upload(geo, {}, LAYER, planner)).statusCode).toBe(403);
  });

  it('a GeoJSON replace maps Chinese labels to schema names and makes one new version', async () => {
    const r = await upload({ name: '农田.geojson', data: JSON.stringify(collection(parcels(30))) }, { note: '测试替换' });
    expect(r.statusCode, r.body).toBe(201);
    const body = r.json();
    expect(body).toMatchObject({ version: 2, added: 30, removed: 100, changed: 0, featureCount: 30 });
    expect(body.fields).toMatchObject({ 图斑编号: 'code', 所在乡镇: 'township' });
    const item = await sql<{ fid: string; properties: Record<string, unknown> }>`
      select fid, properties from features where layer_id = ${LAYER} and valid_to is null order by fid limit 1`.execute(fx.db.kysely);
    // ids come from the unique, complete `code`; the unknown field 备注 is kept
    expect(item.rows[0]).toEqual({ fid: 'T-0', properties: { code: 'T-0', township: '米沙子镇', 备注: '第0块' } });
    const [v] = await listVersions(fx.db.kysely, LAYER);
    expect(v).toMatchObject({ version: 2, note: '测试替换', author: 'admin (ADMIN_TOKEN)' });
    expect(v.source).toMatchObject({ fileName: '农田.geojson', format: 'geojson', srid: 4490, encoding: 'utf-8', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('re-uploading the same file changes nothing but the version', async () => {
    const r = await upload({ name: '农田.geojson', data: JSON.stringify(collection(parcels(30))) });
    expect(r.json()).toMatchObject({ added: 0, removed: 0, changed: 0, featureCount: 30 });
  });

  it('append adds features; an id that already exists is a row error and nothing is written', async () => {
    const ok = await upload({ name: 'more.geojson', data: JSON.stringify(collection(parcels(5, 30))) }, { mode: 'append' });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ added: 5, removed: 0, featureCount: 35 });
    const versionBefore = ok.json().version;
    const clash = await upload({ name: 'clash.geojson', data: JSON.stringify(collection(parcels(2, 34))) }, { mode: 'append' });
    expect(clash.statusCode).toBe(422);
    expect(clash.json().details.problems).toEqual([expect.objectContaining({ feature: 0, field: 'id', severity: 'error' })]);
    expect((await listVersions(fx.db.kysely, LAYER))[0].version).toBe(versionBefore);
  });

  it('a repeated feature id is a row error for each repeat, naming the first; nothing is written', async () => {
    const before = await listVersions(fx.db.kysely, LAYER);
    const ids = ['A', 'B', 'A', 'C', 'B', 'A'];
    const file = collection(ids.map((id, i) => feature(id, { 图斑编号: `D-${i}` }, square(125.61 + i * 0.0015, 44.45))));
    const r = await upload({ name: 'dup.geojson', data: JSON.stringify(file) });
    expect(r.statusCode, r.body).toBe(422);
    const problems = (r.json().details.problems as { feature: number; field: string; message: string }[]).filter((p) => p.field === 'id');
    const pairs = problems.map((p) => [p.feature, Number(/与要素 (\d+) 相同/.exec(p.message)?.[1])]).sort((a, b) => a[0] - b[0]);
    expect(pairs).toEqual([
      [2, 0],
      [4, 1],
      [5, 0],
    ]);
    expect(await listVersions(fx.db.kysely, LAYER)).toEqual(before);
    // without ids of its own, a repeated code is no id at all: the features get generated ids
    const noIds = collection(ids.map((id, i) => feature(null, { 图斑编号: id }, square(125.61 + i * 0.0015, 44.45))));
    const dry = await upload({ name: 'codes.geojson', data: JSON.stringify(noIds) }, { dryRun: 'true' });
    expect(dry.statusCode, dry.body).toBeLessThan(300);
    expect(dry.json()).toMatchObject({ featureCount: 6 });
  });

  it('a dry run reports what would happen and writes nothing', async () => {
    const before = await listVersions(fx.db.kysely, LAYER);
    const r = await upload({ name: 'dry.geojson', data: JSON.stringify(collection(parcels(10))) }, { dryRun: 'true' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ dryRun: true, version: before[0].version + 1, removed: 25, featureCount: 10 });
    expect(await listVersions(fx.db.kysely, LAYER)).toEqual(before);
  });

  it('reports invalid geometry with its reason and location, and repairs it when asked', async () => {
    const fc = collection([feature('B1', { code: 'B1' }, bowtie(125.7, 44.5)), feature('B2', { code: 'B2' }, square(125.71, 44.5))]);
    const refused = await upload({ name: 'bow.geojson', data: JSON.stringify(fc) });
    expect(refused.statusCode).toBe(422);
    const [p] = refused.json().details.problems;
    expect(p).toMatchObject({ feature: 0, field: 'geometry', severity: 'error', location: [expect.closeTo(125.7005, 6), expect.closeTo(44.5005, 6)] });
    expect(p.message).toMatch(/Self-intersection/);
    // Polygon layer: the repaired bow-tie has two parts, so it still cannot be stored
    const repaired = await upload({ name: 'bow.geojson', data: JSON.stringify(fc) }, { repair: 'true' });
    expect(repaired.statusCode).toBe(422);
    expect(repaired.json().details.problems[0].message).toMatch(/MULTIPOLYGON.*2/);
  });

  // found by a review: ST_MakeValid of the whole feature cut out the area where two of its parts overlap
  it('repairs a feature whose parts overlap into their union: the shared area is kept, once', async () => {
    const [a, b] = [square(125.73, 44.5, 0.002), square(125.731, 44.501, 0.002)];
    const multi = { type: 'MultiPolygon', coordinates: [a.coordinates, b.coordinates] };
    const r = await upload({ name: 'overlap.geojson', data: JSON.stringify(collection([feature('OV1', { code: 'OV1' }, multi)])) }, { mode: 'append', repair: 'true' });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().warnings).toContainEqual(expect.objectContaining({ feature: 0, message: expect.stringMatching(/ST_MakeValid/) }));
    const areas = await sql<{ stored: number; union: number }>`select ST_Area(f.geom::geography) as stored,
        ST_Area(ST_Union(ST_GeomFromGeoJSON(${JSON.stringify(a)}), ST_GeomFromGeoJSON(${JSON.stringify(b)}))::geography) as union
      from features f where f.layer_id = ${LAYER} and f.fid = 'OV1' and f.valid_to is null`.execute(fx.db.kysely);
    expect(areas.rows[0].stored).toBeCloseTo(areas.rows[0].union, 0);
  });

  it('converts a single-part MultiPolygon into a Polygon layer with a warning; refuses a Point', async () => {
    const multi = { type: 'MultiPolygon', coordinates: [square(125.72, 44.5).coordinates] };
    const ok = await upload({ name: 'm.geojson', data: JSON.stringify(collection([feature('M1', { code: 'M1' }, multi)])) }, { mode: 'append' });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().warnings).toEqual([expect.objectContaining({ feature: 0, severity: 'warning', message: expect.stringMatching(/MULTIPOLYGON/) })]);
    const point = await upload({ name: 'p.geojson', data: JSON.stringify(collection([feature('P1', {}, { type: 'Point', coordinates: [125.7, 44.5] })])) }, { mode: 'append' });
    expect(point.statusCode).toBe(422);
  });

  it('warns about features outside the county', async () => {
    const r = await upload({ name: 'far.geojson', data: JSON.stringify(collection([feature('F1', { code: 'F1' }, square(120, 30))])) }, { mode: 'append', dryRun: 'true' });
    expect(r.statusCode).toBe(200);
    expect(r.json().warnings[0]).toMatchObject({ feature: 0, message: expect.stringMatching(/outside the county/) });
  });

  // found by a review: a bare geometry was wrapped without `type: "Feature"` and refused as "not a Feature"
  it('NUL characters in attribute values (padding from some .dbf writers) are dropped, not refused by jsonb', async () => {
    const features = parcels(3, 5000) as { properties: Record<string, unknown> }[];
    features[1].properties.备注 = '第5001\u0000块\u0000\u0000';
    const r = await upload({ name: 'nul.geojson', data: JSON.stringify(collection(features)) }, { mode: 'append' });
    expect(r.statusCode, r.body).toBe(201);
    const row = await sql<{ note: string }>`select properties->>'备注' as note from features
      where layer_id = ${LAYER} and valid_to is null and fid = 'T-5001'`.execute(fx.db.kysely);
    expect(row.rows).toEqual([{ note: '第5001块' }]);
  });

  it('a bare GeoJSON geometry is uploaded as one feature', async () => {
    const r = await upload({ name: 'bare.geojson', data: JSON.stringify(square(125.74, 44.5)) }, { mode: 'append', dryRun: 'true' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ dryRun: true, added: 1 });
  });

  it('a GeoJSON in EPSG:4530 (crs member) is transformed to EPSG:4490', async () => {
    const fc = collection([feature('G1', { code: 'G1' }, { type: 'Polygon', coordinates: [[[42540000, 4930000], [42540100, 4930000], [42540100, 4930100], [42540000, 4930100], [42540000, 4930000]]] })], {
      crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4530' } },
    });
    const r = await upload({ name: 'gk.json', data: JSON.stringify(fc) }, { mode: 'append' });
    expect(r.statusCode, r.body).toBe(201);
    const g = await sql<{ x: number; y: number }>`select ST_XMin(geom) as x, ST_YMin(geom) as y from features where layer_id = ${LAYER} and fid = 'G1' and valid_to is null`.execute(fx.db.kysely);
    expect(g.rows[0].x).toBeCloseTo(126.5, 1);
    expect(g.rows[0].y).toBeCloseTo(44.5, 1);
  });

  it('a boundary-coordinate TXT (GBK) becomes one feature per parcel with code, name, use', async () => {
    const txt = iconv.encode(parcelTxt(['KC-01', 'KC-02']), 'gbk');
    const r = await upload({ name: 'parcels.txt', data: txt }, { mode: 'append' });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ added: 2, source: { format: 'txt', encoding: 'gbk', srid: 4530 } });
    const row = await sql<{ properties: Record<string, unknown> }>`select properties from features where layer_id = ${LAYER} and fid = 'KC-01' and valid_to is null`.execute(fx.db.kysely);
    expect(row.rows[0].properties).toMatchObject({ code: 'KC-01', name: '地块1', use: '采矿用地', declared_area_ha: 1 });
  });

  // found by a review: errors found after parsing named the parcel's index but not its line
  it('a TXT whose parcels repeat a code, or clash with the layer (append), is refused naming each parcel\'s header line', async () => {
    const headerLine = (k: number) => 11 + 6 * k; // parcelTxt: 10 lines of header, then 1 + 5 lines a parcel
    const r = await upload({ name: 'dup.txt', data: iconv.encode(parcelTxt(['KC-07', 'KC-08', 'KC-07']), 'gbk') }, { mode: 'append' });
    expect(r.statusCode, r.body).toBe(422);
    expect(r.json().details.problems).toContainEqual(expect.objectContaining({ feature: 2, line: headerLine(2), field: 'id' }));
    // KC-01 is in the layer from the test above: an append of it clashes, named on its line
    const clash = await upload({ name: 'clash.txt', data: iconv.encode(parcelTxt(['KC-09', 'KC-01']), 'gbk') }, { mode: 'append' });
    expect(clash.statusCode, clash.body).toBe(422);
    expect(clash.json().details.problems).toContainEqual(expect.objectContaining({ feature: 1, line: headerLine(1), field: 'id' }));
  });

  it('a file with no features, or of an unknown kind, is refused', async () => {
    expect((await upload({ name: 'e.geojson', data: JSON.stringify(collection([])) })).statusCode).toBe(422);
    expect((await upload({ name: 'x.geojson', data: 'hello world' })).statusCode).toBe(422);
    expect((await upload(null, { mode: 'replace' })).statusCode).toBe(400);
    expect((await upload({ name: 'a.geojson', data: '{}' }, { mode: 'merge' })).json()).toMatchObject({ error: 'bad_request', details: { parameter: 'mode' } });
    expect((await upload({ name: 'a.geojson', data: '{}' }, {}, 'no-such-layer')).statusCode).toBe(404);
  });

  it.skipIf(!hasOgr)('a zipped GBK shapefile in EPSG:4530 with .prj and .cpg', async () => {
    const zip = shapefileZip(collection(parcels(50, 200)), { baseName: '永久基本农田' });
    const r = await upload({ name: '永久基本农田.zip', data: zip }, { mode: 'append' });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ added: 50, source: { format: 'shapefile', srid: 4530, encoding: 'gbk', layer: '永久基本农田' } });
    const row = await sql<{ properties: Record<string, unknown>; x: number }>`
      select properties, ST_XMin(geom) as x from features where layer_id = ${LAYER} and fid = 'T-200' and valid_to is null`.execute(fx.db.kysely);
    expect(row.rows[0].properties).toMatchObject({ code: 'T-200', township: '米沙子镇', 备注: '第200块' });
    expect(row.rows[0].x).toBeCloseTo(125.61, 6);
  });

  // found by a walkthrough: GDAL cuts names to 10 bytes (mining_method → mining_met), and the
  // layer's required attributes were then "missing": a layer exported with ogr2ogr could not come back
  it.skipIf(!hasOgr)('a shapefile whose long attribute names GDAL cut at 10 bytes uploads into them', async () => {
    const created = await fx.app.inject({ method: 'POST', url: '/api/layers', headers: ADMIN, payload: { id: 'long-names', title: '长字段名', kind: 'other', geometryType: 'Polygon', attributes: [
      { name: 'mining_method', label: '开采方式', type: 'string', required: true },
      { name: 'official_area_km2', label: '批准面积', type: 'number', required: true },
    ] } });
    expect(created.statusCode, created.body).toBe(201);
    const fc = collection([feature('L-1', { mining_method: '露天开采', official_area_km2: 0.42 }, square(125.61, 44.41))]);
    const r = await upload({ name: 'long.zip', data: shapefileZip(fc) }, { mode: 'replace', idField: 'fid' }, 'long-names');
    expect(r.statusCode, r.body).toBe(201);
    const row = await sql<{ properties: Record<string, unknown> }>`select properties from features where layer_id = 'long-names' and valid_to is null`.execute(fx.db.kysely);
    expect(row.rows.map((x) => x.properties)).toEqual([{ mining_method: '露天开采', official_area_km2: 0.42 }]);
  });

  // found by a walkthrough: one GK row among lon/lat ones refused the whole file with no row named, and hid its other problems
  it('a GeoJSON with rows in two coordinate systems names the odd rows, and still reports the others\' problems; nothing stored', async () => {
    const before = await sql<{ v: number }>`select version as v from layers where id = ${LAYER}`.execute(fx.db.kysely);
    const gk = { type: 'Polygon', coordinates: [[[42511000, 4920000], [42511100, 4920000], [42511100, 4920100], [42511000, 4920100], [42511000, 4920000]]] };
    const rows = [...parcels(3, 700), feature(null, { 图斑编号: 'T-GK', 所在乡镇: '米沙子镇' }, gk), feature(null, { 图斑编号: 'T-BOW', 所在乡镇: '米沙子镇' }, bowtie(125.7, 44.5))];
    const r = await upload({ name: 'mixed.geojson', data: JSON.stringify(collection(rows)) }, { mode: 'append' });
    expect(r.statusCode, r.body).toBe(422);
    const problems = r.json().details.problems as { feature?: number; field?: string; message: string; severity: string }[];
    expect(problems).toContainEqual(expect.objectContaining({ feature: 3, field: 'geometry', severity: 'error', message: expect.stringContaining('坐标系') }));
    expect(problems.some((p) => p.feature === 4 && p.severity === 'error')).toBe(true); // its self-intersection
    expect(problems.filter((p) => p.severity === 'error').every((p) => p.feature === 3 || p.feature === 4)).toBe(true);
    // the other way round: GK rows (zone 42, told from their bounds) with one lon/lat row
    const gkRows = [0, 1, 2].map((i) => feature(null, { 图斑编号: `G-${i}`, 所在乡镇: '米沙子镇' }, { type: 'Polygon', coordinates: [gk.coordinates[0].map(([x, y]) => [x + i * 200, y])] }));
    const other = await upload({ name: 'mixed2.geojson', data: JSON.stringify(collection([...gkRows, feature(null, { 图斑编号: 'L-1', 所在乡镇: '米沙子镇' }, square(125.7, 44.5))])) }, { mode: 'append', dryRun: 'true' });
    expect(other.statusCode, other.body).toBe(422);
    expect(other.json().details.problems.filter((p: { severity: string }) => p.severity === 'error')).toEqual([expect.objectContaining({ feature: 3, field: 'geometry' })]);
    expect((await sql<{ v: number }>`select version as v from layers where id = ${LAYER}`.execute(fx.db.kysely)).rows).toEqual(before.rows);
  });

  // found by a security review: nothing bounded how many uploads parse at once
  it('concurrent uploads all finish, at most two of them ingesting at a time', async () => {
    const slots = ingestSlots(fx.app);
    const runs = await Promise.all([0, 1, 2, 3].map((k) => upload({ name: `c${k}.geojson`, data: JSON.stringify(collection(parcels(20, 900 + k * 20))) }, { mode: 'append', dryRun: 'true' })));
    expect(runs.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expect(slots.peak).toBeGreaterThanOrEqual(1);
    expect(slots.peak).toBeLessThanOrEqual(2);
    expect(slots.active).toBe(0);
  });

  // found by a review of the readers: a deleted .dbf record came back as a feature, and a UTF-8 table
  // with a text field of 128+ bytes (ArcGIS's default is 254) was read as GBK, even with a .cpg saying UTF-8
  it('a record flagged deleted in the .dbf is skipped with a warning; a UTF-8 table with a 254-wide text field reads as UTF-8, with or without .cpg', async () => {
    const shp = polygonShp([0, 1, 2].map((i) => polygonContent([squareRing(42540000 + i * 200, 4931000, 100)])), [42540000, 4931000, 42540500, 4931100]);
    const dbf = dbfBytes([{ name: 'code', length: 20 }, { name: 'township', length: 254 }], [['DEL-1', '米沙子镇'], ['DEL-2', '米沙子镇'], ['DEL-3', '大房身镇']], { deleted: [1] });
    for (const [name, parts] of [['with-cpg', { shp, dbf, cpg: Buffer.from('UTF-8') }], ['no-cpg', { shp, dbf }]] as const) {
      const r = await upload({ name: `${name}.zip`, data: zipEntries(parts, name) }, { mode: 'append', crs: '4530', dryRun: 'true' });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ added: 2, source: { encoding: 'utf-8' } });
      expect(r.json().warnings).toContainEqual(expect.objectContaining({ feature: 1, message: expect.stringMatching(/deleted/) }));
    }
    const r = await upload({ name: 'kept.zip', data: zipEntries({ shp, dbf, cpg: Buffer.from('UTF-8') }, 'kept') }, { mode: 'append', crs: '4530' });
    expect(r.statusCode, r.body).toBe(201);
    const rows = await sql<{ fid: string; township: string }>`select fid, properties->>'township' as township from features
      where layer_id = ${LAYER} and fid like 'DEL-%' and valid_to is null order by fid`.execute(fx.db.kysely);
    expect(rows.rows).toEqual([{ fid: 'DEL-1', township: '米沙子镇' }, { fid: 'DEL-3', township: '大房身镇' }]);
  });

  it.skipIf(!hasOgr)('a shapefile without .cpg is detected as GBK; without .prj its CRS is detected with a warning', async () => {
    const zip = shapefileZip(collection(parcels(3, 300)), { omit: ['cpg', 'prj'] });
    const r = await upload({ name: 'bare.zip', data: zip }, { mode: 'append' });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().source).toMatchObject({ encoding: 'gbk', srid: 4530 });
    expect(r.json().warnings.some((w: { field: string }) => w.field === 'crs')).toBe(true);
    const row = await sql<{ properties: Record<string, unknown> }>`select properties from features where layer_id = ${LAYER} and fid = 'T-300' and valid_to is null`.execute(fx.db.kysely);
    expect(row.rows[0].properties.township).toBe('米沙子镇');
  });

  it('every upload, refused ones too, is in the audit log with file name, size and checksum', async () => {
    const rows = await fx.db.kysely.selectFrom('audit').selectAll().where('action', 'like', 'layer.upload%').orderBy('id').execute();
    expect(rows.some((r) => r.result === 'ok' && r.details?.sha256 && r.details?.fileName === '农田.geojson')).toBe(true);
    const refused = rows.filter((r) => r.result === 'refused');
    expect(refused.length).toBeGreaterThan(3);
    expect(refused.find((r) => r.details?.fileName === 'bow.geojson')?.details).toMatchObject({ size: expect.any(Number), sha256: expect.any(String), status: 422 });
  });
});

// PGlite has no autovacuum: after a bulk upload (1,000+ rows) the store refreshes the planner's
// statistics itself, in the background (server/db/statistics.ts); without them the planner takes
// a large new layer for a handful of rows (the coverage self-join then scanned it per parcel).
describe(`a bulk upload refreshes the planner's statistics (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini');
  const BULK = 'bulk-parcels'; // a layer the statistics have never seen: estimated at a handful of rows
  const estimate = async () => {
    const r = await sql<{ 'QUERY PLAN': string }>`explain select * from features where layer_id = ${BULK} and valid_to is null`.execute(fx.db.kysely);
    return Number(/rows=(\d+)/.exec(r.rows[0]['QUERY PLAN'])![1]);
  };

  it('1,500 parcels uploaded into a new layer: the planner soon estimates it in thousands of rows', async () => {
    const def = { id: BULK, title: '批量图斑', kind: 'constraint', geometryType: 'Polygon', attributes: [{ name: 'code', label: '图斑编号', type: 'string' }] };
    expect((await fx.app.inject({ method: 'POST', url: '/api/layers', headers: ADMIN, payload: def })).statusCode).toBe(201);
    await sql`analyze features`.execute(fx.db.kysely);
    expect(await estimate()).toBeLessThan(100);
    const body = await multipart({ name: 'bulk.geojson', data: JSON.stringify(collection(parcels(1_500))) });
    const r = await fx.app.inject({ method: 'POST', url: `/api/layers/${BULK}/uploads`, headers: { ...ADMIN, ...body.headers }, payload: body.payload });
    expect(r.statusCode, r.body).toBe(201);
    await expect.poll(estimate, { timeout: 15_000, interval: 200 }).toBeGreaterThan(1_000);
  });
});
