/**
 * GeoPackage, KML and KMZ uploads through the API on the mini fixture (permanent-farmland,
 * a Polygon layer). Inputs are written by ogr2ogr from lon/lat GeoJSON; the file is skipped
 * where GDAL is not installed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ingestLimits, KML_MAX_BYTES } from '../../server/ingest/ingest-limits.js';
import { openUpload } from '../../server/ingest/open-upload.js';
import { ProblemList } from '../../server/ingest/problem-list.js';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { testConfig } from '../helpers/test-app.js';
import { usingPostgres } from '../helpers/test-db.js';
import { billionLaughsKml, geopackage, kmlFromGeojson, kmz } from '../fixtures/uploads/gpkg-kml-files.js';
import { collection, feature, hasOgr, multipart, parcels, square, tempDir } from '../fixtures/uploads/upload-files.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };
const LAYER = 'permanent-farmland';
/** CGCS2000 3-degree zone 42 with zone prefix, written as a PROJ string: no EPSG code in the file */
const ZONE42_PROJ = '+proj=tmerc +lat_0=0 +lon_0=126 +k=1 +x_0=42500000 +y_0=0 +ellps=GRS80 +units=m +no_defs';

describe.skipIf(!hasOgr)(`GeoPackage and KML uploads (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini');

  async function upload(file: { name: string; data: Buffer | string }, fields: Record<string, string> = {}) {
    const body = await multipart(file, fields);
    return fx.app.inject({ method: 'POST', url: `/api/layers/${LAYER}/uploads`, headers: { ...ADMIN, ...body.headers }, payload: body.payload });
  }
  const version = async () => (await sql<{ version: number }>`select version from layers where id = ${LAYER}`.execute(fx.db.kysely)).rows[0].version;
  const row = async (fid: string) =>
    (
      await sql<{ properties: Record<string, unknown>; x: number; y: number; srid: number }>`
        select properties, ST_XMin(geom) as x, ST_YMin(geom) as y, ST_SRID(geom) as srid
        from features where layer_id = ${LAYER} and fid = ${fid} and valid_to is null`.execute(fx.db.kysely)
    ).rows[0];

  // found by a review: togeojson read a typed bool "0" as true and an empty float as 0
  it('typed KML values are read as text and meet the layer’s types: no "0" → true, no empty → 0', async () => {
    const doc = `<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>
      <Schema name="s" id="s"><SimpleField name="code" type="string"/><SimpleField name="active" type="bool"/><SimpleField name="depth" type="float"/></Schema>
      <Placemark><ExtendedData><SchemaData schemaUrl="#s"><SimpleData name="code">KML-T1</SimpleData><SimpleData name="active">0</SimpleData><SimpleData name="depth"></SimpleData></SchemaData></ExtendedData>
      <Polygon><outerBoundaryIs><LinearRing><coordinates>125.75,44.5 125.751,44.5 125.751,44.501 125.75,44.501 125.75,44.5</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
    </Document></kml>`;
    const r = await upload({ name: 'typed.kml', data: doc }, { mode: 'append' });
    expect(r.statusCode, r.body).toBe(201);
    const { properties } = await row('KML-T1');
    // the mini layer has no such attributes: kept as the file's text, not as togeojson's true / 0
    expect(properties).toMatchObject({ code: 'KML-T1', active: '0' });
    expect(properties.depth ?? '').toBe('');
  });

  it('a GeoPackage in EPSG:4530 lands in EPSG:4490 at the right place with Chinese attributes', async () => {
    const gpkg = geopackage({ 永久基本农田: collection(parcels(5, 400)) });
    const r = await upload({ name: '永久基本农田.gpkg', data: gpkg }, { mode: 'append' });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ added: 5, source: { format: 'geopackage', srid: 4530, layer: '永久基本农田', fileName: '永久基本农田.gpkg' } });
    const t = await row('T-401');
    expect(t.srid).toBe(4490);
    // parcel 401: x = 125.61 + 1 × 0.0015, y = 44.41 + 4 × 0.0015
    expect(t.x).toBeCloseTo(125.6115, 6);
    expect(t.y).toBeCloseTo(44.416, 6);
    expect(t.properties).toMatchObject({ code: 'T-401', township: '米沙子镇', 备注: '第401块' });
    // the primary key is not an attribute (nor the id)
    expect(Object.keys(t.properties)).not.toContain('fid');
  });

  it('the GeoPackage primary key is the feature id only when idField names it', async () => {
    const gpkg = geopackage({ 农田: collection(parcels(2, 410)) });
    const r = await upload({ name: 'pk.gpkg', data: gpkg }, { mode: 'append', idField: 'fid' });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ added: 2 });
    // ogr2ogr numbers the rows 1, 2: those are now the ids, and T-411 is an attribute only
    expect((await row('2')).properties).toMatchObject({ code: 'T-411' });
    expect(await row('T-411')).toBeUndefined();
  });

  it('a two-table GeoPackage → 422 listing both; layer= picks one', async () => {
    const gpkg = geopackage({ 采矿权: collection(parcels(2, 500)), 探矿权: collection(parcels(3, 510)) });
    const before = await version();
    const r = await upload({ name: 'two.gpkg', data: gpkg }, { mode: 'append' });
    expect(r.statusCode).toBe(422);
    expect(r.json().details.layers).toEqual(['采矿权', '探矿权']);
    expect(r.json().message).toMatch(/采矿权、探矿权.*layer/);
    expect(await version()).toBe(before);
    const wrong = await upload({ name: 'two.gpkg', data: gpkg }, { mode: 'append', layer: '没有' });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().details.layers).toEqual(['采矿权', '探矿权']);
    const ok = await upload({ name: 'two.gpkg', data: gpkg }, { mode: 'append', layer: '探矿权' });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ added: 3, source: { layer: '探矿权', format: 'geopackage' } });
    expect(await row('T-510')).toBeDefined();
    expect(await row('T-500')).toBeUndefined();
  });

  it('a GeoPackage whose srs has no EPSG code → 422 asking for crs; crs=4530 then works', async () => {
    const gpkg = geopackage({ 无名坐标: collection(parcels(2, 600)) }, { assignProj: ZONE42_PROJ });
    const before = await version();
    const r = await upload({ name: 'nosrs.gpkg', data: gpkg }, { mode: 'append' });
    expect(r.statusCode).toBe(422);
    expect(r.json().details.problems[0]).toMatchObject({ field: 'crs' });
    expect(r.json().message).toMatch(/crs/);
    expect(await version()).toBe(before);
    const ok = await upload({ name: 'nosrs.gpkg', data: gpkg }, { mode: 'append', crs: '4530' });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().source).toMatchObject({ srid: 4530 });
    expect((await row('T-600')).x).toBeCloseTo(125.61, 6);
  });

  it('a truncated or garbage GeoPackage → 422 and nothing is stored', async () => {
    const gpkg = geopackage({ 农田: collection(parcels(300, 700)) });
    const before = await version();
    const header = Buffer.from('SQLite format 3\u0000', 'latin1');
    for (const data of [gpkg.subarray(0, 3000), Buffer.concat([header, Buffer.alloc(5000, 0x5a)]), gpkg.subarray(0, Math.floor(gpkg.length / 2))]) {
      const r = await upload({ name: 'bad.gpkg', data }, { mode: 'append' });
      expect(r.statusCode, r.body).toBe(422);
      expect(r.json().message).toMatch(/GeoPackage/);
    }
    // an SQLite database that is not a GeoPackage
    const dir = tempDir('sqlite');
    try {
      const plain = geopackage({ 农田: collection(parcels(1, 800)) });
      const { default: initSqlJs } = await import('sql.js');
      const SQL = await initSqlJs({ locateFile: () => path.resolve('node_modules/sql.js/dist/sql-wasm.wasm') });
      const sqlite = new SQL.Database(plain);
      sqlite.run('drop table gpkg_contents');
      const r = await upload({ name: 'plain.sqlite', data: Buffer.from(sqlite.export()) }, { mode: 'append' });
      sqlite.close();
      expect(r.statusCode, r.body).toBe(422);
      expect(r.json().message).toMatch(/不是有效的 GeoPackage.*gpkg_contents/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(await version()).toBe(before);
  });

  it('only plain tables are read: a feature "table" or gpkg_contents that is a view (an endless recursive query; a name in other case), or a table with generated columns → 422 at once', async () => {
    const gpkg = geopackage({ 农田: collection(parcels(2, 910)) });
    const { default: initSqlJs } = await import('sql.js');
    const SQL = await initSqlJs({ locateFile: () => path.resolve('node_modules/sql.js/dist/sql-wasm.wasm') });
    const endless = 'with recursive c(x) as (select 1 union all select x + 1 from c) select x from c';
    const before = await version();
    // a second feature "table" that is a view which never ends (sql.js has no rtree, so the real table stays as it is)
    const a = new SQL.Database(gpkg);
    a.run(`create view "无尽" as select x as fid, null as geom from (${endless})`);
    a.run(`insert into gpkg_contents (table_name, data_type, identifier, srs_id) select '无尽', 'features', '无尽', srs_id from gpkg_contents limit 1`);
    a.run(`insert into gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) select '无尽', 'geom', 'POLYGON', srs_id, 0, 0 from gpkg_geometry_columns limit 1`);
    const asView = Buffer.from(a.export());
    a.close();
    // gpkg_contents itself a view (a minimal SQLite file: the check comes first)
    const b = new SQL.Database();
    b.run(`create view gpkg_contents as select 'x' as table_name, 'features' as data_type, c.x as min_x, 0 as min_y, 0 as max_x, 0 as max_y from (${endless}) c`);
    b.run('create table gpkg_geometry_columns (table_name text, column_name text, geometry_type_name text, srs_id integer, z integer, m integer)');
    b.run('create table gpkg_spatial_ref_sys (srs_name text, srs_id integer, organization text, organization_coordsys_id integer, definition text)');
    const contentsView = Buffer.from(b.export());
    b.close();
    // found by a review: SQLite finds "EvilView" for "evilview", and an exact-case lookup found nothing
    // (a finite view here: the endless one would hang this test's worker without the check)
    const c = new SQL.Database(gpkg);
    c.run(`create view "EvilView" as select 1 as fid, null as geom`);
    c.run(`insert into gpkg_contents (table_name, data_type, identifier, srs_id) select 'evilview', 'features', 'evilview', srs_id from gpkg_contents limit 1`);
    c.run(`insert into gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) select 'evilview', 'geom', 'POLYGON', srs_id, 0, 0 from gpkg_geometry_columns limit 1`);
    const caseView = Buffer.from(c.export());
    c.close();
    // a table whose column is computed as it is read (zeroblob could make it a GB per row)
    const d = new SQL.Database(gpkg);
    d.run(`create table "生成" (fid integer primary key, geom blob, name text generated always as (hex(zeroblob(64))) virtual)`);
    d.run(`insert into gpkg_contents (table_name, data_type, identifier, srs_id) select '生成', 'features', '生成', srs_id from gpkg_contents limit 1`);
    d.run(`insert into gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) select '生成', 'geom', 'POLYGON', srs_id, 0, 0 from gpkg_geometry_columns limit 1`);
    const generated = Buffer.from(d.export());
    d.close();
    // a virtual table: its module's code runs for every read (sql.js has FTS4)
    const e = new SQL.Database();
    e.run('create table gpkg_contents (table_name text, data_type text, identifier text, min_x real, min_y real, max_x real, max_y real, srs_id integer)');
    e.run('create table gpkg_geometry_columns (table_name text, column_name text, geometry_type_name text, srs_id integer, z integer, m integer)');
    e.run('create table gpkg_spatial_ref_sys (srs_name text, srs_id integer, organization text, organization_coordsys_id integer, definition text)');
    e.run(`create virtual table "全文" using fts4(fid, geom)`);
    e.run(`insert into gpkg_contents (table_name, data_type, identifier, srs_id) values ('全文', 'features', '全文', 4490)`);
    e.run(`insert into gpkg_geometry_columns values ('全文', 'geom', 'POLYGON', 4490, 0, 0)`);
    const virtual = Buffer.from(e.export());
    e.close();
    const cases: [string, Buffer, RegExp, string][] = [
      ['virtual.gpkg', virtual, /虚拟表|virtual table/, '全文'],
      ['view.gpkg', asView, /只读取表|only tables/, '无尽'],
      ['contents.gpkg', contentsView, /gpkg_contents.*不是表|gpkg_contents is a view/, '无尽'],
      ['case-view.gpkg', caseView, /不是表而是 view|only tables/, 'evilview'],
      ['generated.gpkg', generated, /生成列|generated columns/, '生成'],
    ];
    for (const [name, data, why, layer] of cases) {
      // a hang would never come back: the test's own timeout says so, not a timed assertion
      const r = await upload({ name, data }, { mode: 'append', layer });
      expect(r.statusCode, `${name}: ${r.body}`).toBe(422);
      expect(r.json().message, name).toMatch(why);
    }
    expect(await version()).toBe(before);
  });

  it('a KML nested deeper than the converter can recurse → 422, not a 500', async () => {
    const depth = 60_000;
    const nested = `${'<MultiGeometry>'.repeat(depth)}<Point><coordinates>125.7,44.5</coordinates></Point>${'</MultiGeometry>'.repeat(depth)}`;
    const doc = `<?xml version="1.0"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>深</name>${nested}</Placemark></Document></kml>\n`;
    const r = await upload({ name: 'deep.kml', data: doc }, { mode: 'append' });
    expect(r.statusCode, r.body).toBe(422);
  });

  it('a damaged geometry blob is a problem for that feature, not a crash', async () => {
    const gpkg = geopackage({ 农田: collection(parcels(3, 900)) });
    const { default: initSqlJs } = await import('sql.js');
    const SQL = await initSqlJs({ locateFile: () => path.resolve('node_modules/sql.js/dist/sql-wasm.wasm') });
    const sqlite = new SQL.Database(gpkg);
    // drop GDAL's triggers (they call ST_* functions sql.js does not have), then cut feature 1's blob
    for (const [name] of sqlite.exec("select name from sqlite_master where type = 'trigger'")[0]?.values ?? []) sqlite.run(`drop trigger "${String(name)}"`);
    sqlite.run('update "农田" set geom = substr(geom, 1, 30) where fid = 2');
    const data = Buffer.from(sqlite.export());
    sqlite.close();
    const before = await version();
    const r = await upload({ name: 'blob.gpkg', data }, { mode: 'append' });
    expect(r.statusCode, r.body).toBe(422);
    expect(r.json().details.problems).toEqual([expect.objectContaining({ feature: 1, field: 'geometry', severity: 'error', message: expect.stringMatching(/truncated/) })]);
    expect(await version()).toBe(before);
  });

  it('a GeoPackage over geopackageBytes → 413 naming the limit', async () => {
    // through openUpload: over HTTP uploadBytes (≥ geopackageBytes) would refuse it first
    const gpkg = geopackage({ 农田: collection(parcels(2, 950)) });
    const dir = tempDir('gpkg-limit');
    try {
      const file = path.join(dir, 'big.gpkg');
      fs.writeFileSync(file, gpkg);
      const limits = { ...ingestLimits(testConfig().limits), geopackageBytes: gpkg.length - 1 };
      const opened = openUpload({ path: file, dir, fileName: 'big.gpkg', size: gpkg.length }, { mode: 'append', dryRun: false, repair: false }, limits, new ProblemList());
      await expect(opened).rejects.toMatchObject({ status: 413, details: { limit: 'geopackageBytes', max: gpkg.length - 1, actual: gpkg.length } });
      const kmlLimits = { ...ingestLimits(testConfig().limits), kmlBytes: 10 };
      const kmlFile = path.join(dir, 'a.kml');
      fs.writeFileSync(kmlFile, kmlFromGeojson(collection(parcels(1, 960))));
      await expect(
        openUpload({ path: kmlFile, dir, fileName: 'a.kml', size: fs.statSync(kmlFile).size }, { mode: 'append', dryRun: false, repair: false }, kmlLimits, new ProblemList()),
      ).rejects.toMatchObject({ status: 413, details: { limit: 'kmlBytes', max: 10 } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // the worker's heap bound, untested before: a KML within kmlBytes whose DOM does not fit the worker's heap
  it('a KML whose parse needs more than the worker heap → 413 naming kmlHeapMb; the server process is unharmed', async () => {
    const dir = tempDir('kml-heap');
    try {
      const kmlFile = path.join(dir, 'big.kml');
      fs.writeFileSync(kmlFile, kmlFromGeojson(collection(parcels(4_000))));
      const size = fs.statSync(kmlFile).size;
      const limits = { ...ingestLimits(testConfig().limits), kmlHeapMb: 8 };
      expect(size).toBeLessThan(limits.kmlBytes);
      await expect(
        openUpload({ path: kmlFile, dir, fileName: 'big.kml', size }, { mode: 'append', dryRun: false, repair: false }, limits, new ProblemList()),
      ).rejects.toMatchObject({ status: 413, details: { limit: 'kmlHeapMb', max: 8 } });
      // the same file with the default heap is read
      const opened = await openUpload({ path: kmlFile, dir, fileName: 'big.kml', size }, { mode: 'append', dryRun: false, repair: false }, ingestLimits(testConfig().limits), new ProblemList());
      expect(opened.expectedCount).toBe(4_000);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('over HTTP, a KML over kmlBytes (6 MiB: its DOM takes ~35× the file) → 413 naming the limit; nothing stored', async () => {
    const before = await version();
    const padding = '测'.repeat(Math.ceil(KML_MAX_BYTES / 3) + 1000); // 3 bytes each in UTF-8
    const big = `<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>大</name><description>${padding}</description><Point><coordinates>125.7,44.5</coordinates></Point></Placemark></Document></kml>\n`;
    const r = await upload({ name: 'big.kml', data: big });
    expect(r.statusCode, r.body).toBe(413);
    expect(r.json().details).toMatchObject({ limit: 'kmlBytes', max: KML_MAX_BYTES });
    expect(await version()).toBe(before);
  });

  it('KML: SchemaData and Data values with Chinese text become properties; styling is dropped', async () => {
    const written = kmlFromGeojson(collection(parcels(2, 1000)));
    const r = await upload({ name: '农田.kml', data: written }, { mode: 'append' });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ added: 2, source: { format: 'kml', srid: 4326 } });
    const t = await row('T-1001');
    expect(t.properties).toMatchObject({ code: 'T-1001', township: '米沙子镇', 备注: '第1001块' });
    expect(t.x).toBeCloseTo(125.6115, 6);
    const hand = `<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Style id="red"><LineStyle><color>ff0000ff</color></LineStyle><PolyStyle><color>7f00ff00</color></PolyStyle></Style>
<Placemark id="K-1"><name>德惠采矿区</name><description><![CDATA[<b>布达</b>]]></description><styleUrl>#red</styleUrl>
<ExtendedData><Data name="图斑编号"><value>K-1</value></Data><Data name="所在乡镇"><value>布海镇</value></Data></ExtendedData>
<MultiGeometry>
<Polygon><outerBoundaryIs><LinearRing><coordinates>125.75,44.55,0 125.751,44.55,0 125.751,44.551,0 125.75,44.551,0 125.75,44.55,0</coordinates></LinearRing></outerBoundaryIs></Polygon>
</MultiGeometry></Placemark>
</Document></kml>`;
    const h = await upload({ name: 'hand.kml', data: hand }, { mode: 'append' });
    expect(h.statusCode, h.body).toBe(201);
    const k = await row('K-1');
    expect(k.properties).toEqual({ code: 'K-1', township: '布海镇', name: '德惠采矿区', description: '<b>布达</b>' });
    expect(k.x).toBeCloseTo(125.75, 6);
  });

  it('a Placemark without geometry is reported like a GeoJSON null geometry', async () => {
    const kml = `<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>a</name><Point><coordinates>125.7,44.5</coordinates></Point></Placemark>
<Placemark><name>无几何</name></Placemark></Document></kml>`;
    const r = await upload({ name: 'nogeom.kml', data: kml }, { mode: 'append' });
    expect(r.statusCode).toBe(422);
    const geojson = await upload({ name: 'n.geojson', data: JSON.stringify(collection([feature('N1', {}, null)])) }, { mode: 'append' });
    const expected = geojson.json().details.problems[0];
    expect(r.json().details.problems).toContainEqual({ ...expected, feature: 1 });
  });

  it('KMZ: doc.kml inside a zip is read by the same KML reader', async () => {
    const data = kmz(kmlFromGeojson(collection(parcels(2, 1100))));
    const r = await upload({ name: '农田.kmz', data }, { mode: 'append' });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ added: 2, source: { format: 'kml', fileName: '农田.kmz' } });
    expect((await row('T-1100')).properties).toMatchObject({ township: '米沙子镇' });
  });

  it('a billion-laughs KML is refused quickly; malformed XML → 422 naming the line', async () => {
    const before = await version();
    const bomb = await upload({ name: 'lol.kml', data: billionLaughsKml() });
    expect(bomb.statusCode).toBe(422);
    expect(bomb.json().message).toMatch(/ENTITY/);
    const bombKmz = await upload({ name: 'lol.kmz', data: kmz(billionLaughsKml()) });
    expect(bombKmz.statusCode).toBe(422);
    const bad = await upload({ name: 'bad.kml', data: '<?xml version="1.0"?>\n<kml>\n<Document>\n<Placemark><name>x</nam></Placemark>\n</Document></kml>' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().message).toMatch(/第 4 行/);
    expect(bad.json().details.problems[0]).toMatchObject({ line: 4, field: 'file' });
    const unclosed = await upload({ name: 'cut.kml', data: '<kml><Document><Placemark>' });
    expect(unclosed.statusCode).toBe(422);
    const gml = await upload({ name: 'a.gml', data: '<?xml version="1.0"?><gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml"/>' });
    expect(gml.statusCode).toBe(422);
    expect(gml.json().message).toMatch(/GML/);
    expect(await version()).toBe(before);
  });

  it('dry runs of a GeoPackage and a KML write nothing', async () => {
    const before = await version();
    const count = async () => (await sql<{ n: number }>`select count(*)::int as n from features where layer_id = ${LAYER}`.execute(fx.db.kysely)).rows[0].n;
    const rowsBefore = await count();
    const g = await upload({ name: 'dry.gpkg', data: geopackage({ 农田: collection(parcels(4, 1200)) }) }, { mode: 'append', dryRun: 'true' });
    expect(g.statusCode, g.body).toBe(200);
    expect(g.json()).toMatchObject({ dryRun: true, added: 4, version: before + 1, source: { format: 'geopackage' } });
    const k = await upload({ name: 'dry.kml', data: kmlFromGeojson(collection([feature(null, { 图斑编号: 'D-1' }, square(125.7, 44.5))])) }, { mode: 'append', dryRun: 'true' });
    expect(k.statusCode, k.body).toBe(200);
    expect(k.json()).toMatchObject({ dryRun: true, added: 1, version: before + 1, source: { format: 'kml' } });
    expect(await version()).toBe(before);
    expect(await count()).toBe(rowsBefore);
  });
});
