import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { multipart } from '../fixtures/uploads/upload-files.js';
import { usingPostgres } from '../helpers/test-db.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };
const ITEMS = '/ogc/collections/permanent-farmland/items';
const square = (x: number, y: number, d = 0.004) => ({ type: 'Polygon', coordinates: [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]] });
const parcel = (props: Record<string, unknown> = {}, geometry: unknown = square(125.8, 44.3)) => ({ type: 'Feature', properties: { code: 'NEW', township: '万宝镇', ...props }, geometry });

describe(`OGC API Features Part 4: create, replace, update, delete (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('ogc', { limits: { bodyBytes: 1 << 20, uploadBytes: 1 << 20, maxVertices: 200, maxFeatures: 5, itemsLimitMax: 1000 } });
  let editor: Record<string, string>;
  let viewer: Record<string, string>;
  let planner: Record<string, string>;
  beforeAll(async () => {
    const mint = async (role: string) => ({ authorization: `Bearer ${(await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: ADMIN, payload: { name: role, role } })).json().token}` });
    [editor, viewer, planner] = [await mint('editor'), await mint('viewer'), await mint('planner')];
  });

  const send = (method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = editor) =>
    fx.app.inject({
      method,
      url,
      headers: { host: 'gis.test', ...(payload === undefined ? {} : { 'content-type': 'application/geo+json' }), ...headers },
      payload: payload === undefined ? undefined : JSON.stringify(payload),
    });
  const version = async () => (await fx.app.inject({ url: '/api/layers/permanent-farmland' })).json().version as number;
  /** the layer's current rows, to prove an error changed nothing */
  const snapshot = async () => JSON.stringify(await fx.db.kysely.selectFrom('features').select(['fid', 'properties', 'valid_from', 'valid_to']).where('layer_id', '=', 'permanent-farmland').orderBy('fid').orderBy('valid_from').execute());

  it('POST a Feature: 201 with a Location that serves it, one new version, audited', async () => {
    const before = await version();
    const r = await send('POST', ITEMS, parcel({ code: 'NEW-1' }));
    expect(r.statusCode).toBe(201);
    const location = r.headers.location as string;
    expect(location).toMatch(/^http:\/\/gis\.test\/ogc\/collections\/permanent-farmland\/items\/permanent-farmland-[0-9a-f]{12}$/);
    const got = await fx.app.inject({ url: location.replace('http://gis.test', '') });
    expect(got.json().properties.code).toBe('NEW-1');
    expect(await version()).toBe(before + 1);
    expect(r.json().layerVersion).toBe(before + 1);
    const audit = await fx.db.kysely.selectFrom('audit').selectAll().where('action', '=', 'ogc.items.create').execute();
    expect(audit.at(-1)).toMatchObject({ result: 'ok', actor: 'editor', role: 'editor' });
  });

  it('POST a FeatureCollection with ids keeps them, in one version', async () => {
    const before = await version();
    const r = await send('POST', ITEMS, { type: 'FeatureCollection', features: [{ ...parcel(), id: 'X-1' }, { ...parcel({}, square(125.81, 44.3)), id: 'X-2' }] });
    expect(r.statusCode).toBe(201);
    expect(r.json().ids).toEqual(['X-1', 'X-2']);
    expect(r.headers.location).toBe('http://gis.test/ogc/collections/permanent-farmland/items/X-1');
    expect(await version()).toBe(before + 1);
    expect((await send('POST', ITEMS, { ...parcel(), id: 'X-1' })).statusCode).toBe(409);
  });

  it('a body in Content-Crs EPSG:4490 (latitude first) is stored as lon/lat', async () => {
    const r = await send('POST', ITEMS, { ...parcel({}, { type: 'Polygon', coordinates: [[[44.3, 125.9], [44.3, 125.904], [44.304, 125.904], [44.3, 125.9]]] }), id: 'LATFIRST' }, { ...editor, 'content-crs': '<http://www.opengis.net/def/crs/EPSG/0/4490>' });
    expect(r.statusCode).toBe(201);
    const f = (await fx.app.inject({ url: `${ITEMS}/LATFIRST` })).json();
    expect(f.geometry.coordinates[0][0][0]).toBeCloseTo(125.9, 8);
    expect(f.geometry.coordinates[0][0][1]).toBeCloseTo(44.3, 8);
    const gk = await send('POST', ITEMS, { ...parcel({}, square(125.92, 44.31)), id: 'GK' }, { ...editor, 'content-crs': 'http://www.opengis.net/def/crs/EPSG/0/9999' });
    expect(gk.statusCode).toBe(400);
    expect(gk.json().details.parameter).toBe('Content-Crs');
  });

  it('PUT replaces a feature; PATCH merges properties and keeps the geometry; the old version stays readable', async () => {
    const v0 = await version();
    const put = await send('PUT', `${ITEMS}/PF-0001`, parcel({ code: 'PF-1-R', land_class: '水田', area_ha: 1.5, quality_grade: 3 }, square(125.602, 44.402)));
    expect(put.statusCode).toBe(200);
    const patch = await send('PATCH', `${ITEMS}/PF-0001`, { properties: { land_class: null, area_ha: 2.25 } }, { ...editor, 'content-type': 'application/merge-patch+json' });
    expect(patch.statusCode).toBe(200);
    const now = (await fx.app.inject({ url: `${ITEMS}/PF-0001` })).json();
    expect(now.properties).toEqual({ code: 'PF-1-R', township: '万宝镇', area_ha: 2.25, quality_grade: 3 });
    expect(now.geometry.coordinates[0][0]).toEqual([125.602, 44.402]);
    const then = (await fx.app.inject({ url: `${ITEMS}/PF-0001?version=${v0}` })).json();
    expect(then.properties.code).toBe('PF-1');
    expect(await version()).toBe(v0 + 2);
  });

  // found by a review: each PATCH read the feature before the write's lock, so of two at once the
  // second merged onto the old feature and silently undid the first
  it('concurrent PATCHes of different properties of one feature both take effect, one version each', async () => {
    const v0 = await version();
    const patches = [{ area_ha: 7.5 }, { quality_grade: 9 }, { land_class: '旱地' }, { code: 'PF-4-P' }];
    const results = await Promise.all(patches.map((properties) => send('PATCH', `${ITEMS}/PF-0004`, { properties }, { ...editor, 'content-type': 'application/merge-patch+json' })));
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    const now = (await fx.app.inject({ url: `${ITEMS}/PF-0004` })).json();
    expect(now.properties).toMatchObject({ area_ha: 7.5, quality_grade: 9, land_class: '旱地', code: 'PF-4-P' });
    expect(await version()).toBe(v0 + 4);
  });

  // found by a review: an uploaded feature keeps the file's extra fields, and PUT refused its own GET body
  it('a feature with properties beyond the attributes (kept from an upload) round-trips: GET → PUT as is, PATCH of such a property; others are still refused', async () => {
    const body = await multipart({ name: 'extra.geojson', data: JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', id: 'PF-EXTRA', properties: { code: 'PF-EXTRA', township: '万宝镇', 调查备注: '外业核实' }, geometry: square(125.9, 44.2) }] }) }, { mode: 'append' });
    const up = await fx.app.inject({ method: 'POST', url: '/api/layers/permanent-farmland/uploads', headers: { ...ADMIN, ...body.headers }, payload: body.payload });
    expect(up.statusCode, up.body).toBe(201);
    const got = (await fx.app.inject({ url: `${ITEMS}/PF-EXTRA` })).json();
    expect(got.properties).toMatchObject({ 调查备注: '外业核实' });
    const put = await send('PUT', `${ITEMS}/PF-EXTRA`, { type: 'Feature', id: got.id, properties: got.properties, geometry: got.geometry });
    expect(put.statusCode, put.body).toBe(200);
    const patch = await send('PATCH', `${ITEMS}/PF-EXTRA`, { properties: { 调查备注: '复核' } }, { ...editor, 'content-type': 'application/merge-patch+json' });
    expect(patch.statusCode, patch.body).toBe(200);
    expect((await fx.app.inject({ url: `${ITEMS}/PF-EXTRA` })).json().properties.调查备注).toBe('复核');
    const unknown = await send('PATCH', `${ITEMS}/PF-EXTRA`, { properties: { 另一个: 1 } }, { ...editor, 'content-type': 'application/merge-patch+json' });
    expect(unknown.statusCode).toBe(422);
    expect(JSON.stringify(unknown.json().details)).toContain('properties.另一个');
  });

  // optimistic locking (RFC 9110 If-Match), found missing by a review: a client that read a feature
  // writes it back only if no one changed it since
  it('GET gives an ETag; PUT, PATCH and DELETE with a stale If-Match are a 412 and change nothing; with the current one they go through', async () => {
    const url = `${ITEMS}/PF-0005`;
    const read = await fx.app.inject({ url });
    const etag = read.headers.etag as string;
    expect(etag).toMatch(/^"v\d+"$/);
    const merge = { ...editor, 'content-type': 'application/merge-patch+json' };
    // someone else changes it
    expect((await send('PATCH', url, { properties: { area_ha: 3.25 } }, merge)).statusCode).toBe(200);
    const fresh = (await fx.app.inject({ url })).headers.etag as string;
    expect(fresh).not.toBe(etag);
    const v0 = await version();
    for (const [method, payload] of [['PUT', read.json()], ['PATCH', { properties: { area_ha: 9 } }], ['DELETE', undefined]] as const) {
      const r = await send(method, url, payload, { ...(method === 'DELETE' ? editor : merge), 'if-match': etag });
      expect({ method, status: r.statusCode }).toEqual({ method, status: 412 });
      expect(r.json()).toMatchObject({ error: 'precondition_failed', details: { feature: 'PF-0005', etag: fresh } });
    }
    expect(await version()).toBe(v0);
    expect((await fx.app.inject({ url })).json().properties.area_ha).toBe(3.25);
    // a weak tag never matches (strong comparison); a list holding the current one does; * does
    expect((await send('PATCH', url, { properties: { area_ha: 4 } }, { ...merge, 'if-match': `W/${fresh}` })).statusCode).toBe(412);
    const ok = await send('PATCH', url, { properties: { area_ha: 4 } }, { ...merge, 'if-match': `"v1", ${fresh}` });
    expect(ok.statusCode, ok.body).toBe(200);
    expect((await send('PATCH', url, { properties: { area_ha: 5 } }, { ...merge, 'if-match': '*' })).statusCode).toBe(200);
    // If-Match on a feature that does not exist: 412 (RFC 9110 §13.1.1); without it: 404
    expect((await send('DELETE', `${ITEMS}/NOPE`, undefined, { ...editor, 'if-match': '*' })).statusCode).toBe(412);
    expect((await send('PATCH', `${ITEMS}/NOPE`, { properties: { area_ha: 1 } }, { ...merge, 'if-match': fresh })).statusCode).toBe(412);
    expect((await send('PUT', `${ITEMS}/NOPE`, read.json(), { ...editor, 'if-match': fresh })).statusCode).toBe(412);
    expect((await send('DELETE', `${ITEMS}/NOPE`, undefined, editor)).statusCode).toBe(404);
  });

  it('DELETE is 204, the feature is gone now and still there as of the version before', async () => {
    const v0 = await version();
    expect((await send('DELETE', `${ITEMS}/PF-0002`)).statusCode).toBe(204);
    expect((await fx.app.inject({ url: `${ITEMS}/PF-0002` })).statusCode).toBe(404);
    expect((await fx.app.inject({ url: `${ITEMS}/PF-0002?version=${v0}` })).statusCode).toBe(200);
    const audit = await fx.db.kysely.selectFrom('audit').selectAll().where('action', '=', 'ogc.items.delete').execute();
    expect(audit.at(-1)).toMatchObject({ result: 'ok', target: 'feature:permanent-farmland/PF-0002' });
  });

  it('writes need an editor: 401 without a token, 403 for viewer and planner', async () => {
    const before = await snapshot();
    expect((await send('POST', ITEMS, parcel(), {})).statusCode).toBe(401);
    expect((await send('DELETE', `${ITEMS}/PF-0003`, undefined, viewer)).statusCode).toBe(403);
    expect((await send('PUT', `${ITEMS}/PF-0003`, parcel(), planner)).statusCode).toBe(403);
    expect((await send('PATCH', `${ITEMS}/PF-0003`, { properties: {} }, viewer)).statusCode).toBe(403);
    expect(await snapshot()).toBe(before);
  });

  it.each([
    ['POST', ITEMS, { type: 'Point', coordinates: [1, 2] }, 400, { parameter: 'body', field: 'type' }],
    ['POST', ITEMS, { type: 'FeatureCollection' }, 400, { parameter: 'body', field: 'features' }],
    ['POST', ITEMS, { type: 'FeatureCollection', features: [parcel(), parcel({ area_ha: 'big' })] }, 422, { feature: 1, field: 'properties.area_ha' }],
    ['POST', ITEMS, parcel({ colour: 'red' }), 422, { feature: 0, field: 'properties.colour' }],
    ['POST', ITEMS, parcel({ quality_grade: 2.5 }), 422, { feature: 0, field: 'properties.quality_grade' }],
    ['POST', ITEMS, parcel({}, { type: 'Polygon', coordinates: [[[0, 0], [1, 1]]] }), 422, { feature: 0, field: 'geometry' }],
    ['POST', ITEMS, parcel({}, null), 422, { feature: 0, field: 'geometry' }],
    ['POST', ITEMS, parcel({}, { type: 'Polygon', coordinates: [[[125, 44], [126, 45], [126, 44], [125, 45], [125, 44]]] }), 422, { feature: 0, field: 'geometry' }],
    ['POST', ITEMS, parcel({}, { type: 'Point', coordinates: [125, 44] }), 422, { feature: 0, field: 'geometry' }],
    ['POST', ITEMS, { type: 'FeatureCollection', features: Array.from({ length: 6 }, () => parcel()) }, 413, { limit: 'maxFeatures' }],
    ['POST', ITEMS, parcel({}, { type: 'Polygon', coordinates: [Array.from({ length: 250 }, (_, i) => [125 + Math.cos(i) / 100, 44 + Math.sin(i) / 100]).concat([[125.01, 44]])] }), 413, { limit: 'maxVertices' }],
    ['PUT', `${ITEMS}/NOPE`, parcel(), 404, { feature: 'NOPE' }],
    ['PUT', `${ITEMS}/PF-0003`, { ...parcel(), id: 'OTHER' }, 400, { field: 'id' }],
    ['PATCH', `${ITEMS}/NOPE`, { properties: { code: 'x' } }, 404, { feature: 'NOPE' }],
    ['PATCH', `${ITEMS}/PF-0003`, { properties: { area_ha: 'x' } }, 422, { field: 'properties.area_ha' }],
    ['PATCH', `${ITEMS}/PF-0003`, { properties: 5 }, 400, { field: 'properties' }],
    ['DELETE', `${ITEMS}/NOPE`, undefined, 404, { feature: 'NOPE' }],
    ['POST', '/ogc/collections/nope/items', parcel(), 404, { layer: 'nope' }],
    ['POST', '/ogc/collections/mining-rights/items', { type: 'Feature', properties: { name: '新矿' }, geometry: square(126.2, 44.2) }, 422, { feature: 0, field: 'properties.licence_no' }],
    ['POST', '/ogc/collections/mining-rights/items', { type: 'Feature', properties: { licence_no: 'C1', valid_to: '2025-13-01' }, geometry: square(126.2, 44.2) }, 422, { field: 'properties.valid_to' }],
    ['PATCH', '/ogc/collections/mining-rights/items/MR-1', { properties: { licence_no: null } }, 422, { field: 'properties.licence_no' }],
    ['PATCH', `${ITEMS}/PF-0003`, { geometry: { type: 'Polygon', coordinates: [[[1, 2]]] } }, 422, { field: 'geometry' }],
    // lon/lat ranges (CRS84 default): the feature and the position are named
    ['POST', ITEMS, parcel({}, { type: 'Polygon', coordinates: [[[125.6, 44.4], [125.6001, 44.4], [125.6001, 125.6001], [125.6, 44.4]]] }), 422, { feature: 0, field: 'geometry.coordinates[0][2]' }],
    ['POST', ITEMS, { type: 'FeatureCollection', features: [parcel(), parcel({}, { type: 'MultiPolygon', coordinates: [square(125.6, 44.4).coordinates, square(-180.5, 44.4).coordinates] })] }, 422, { feature: 1, field: 'geometry.coordinates[1][0][0]' }],
    ['POST', ITEMS, parcel({}, { type: 'GeometryCollection', geometries: [square(125.6, 44.4), { type: 'Point', coordinates: [125.6, -90.5] }] }), 422, { feature: 0, field: 'geometry.geometries[1].coordinates' }],
    ['PUT', `${ITEMS}/PF-0003`, parcel({}, square(44.4, 125.6)), 422, { feature: 0, field: 'geometry.coordinates[0][0]' }],
    ['PATCH', `${ITEMS}/PF-0003`, { geometry: square(200, 44.4) }, 422, { feature: 0, field: 'geometry.coordinates[0][0]' }],
  ] as const)('%s %s with a bad body is a $3 naming where, and changes nothing', async (method, url, body, status, details) => {
    const before = await snapshot();
    const v = await version();
    const r = await send(method, url, body);
    expect(r.statusCode, r.body).toBe(status);
    // the store's own geometry checks name the feature in details.problems[0]
    const d = r.json().details;
    expect({ ...d, ...(d.problems?.[0] ?? {}) }).toMatchObject(details);
    expect(await snapshot()).toBe(before);
    expect(await version()).toBe(v);
  });

  it('non-finite numbers (1e999 parses as Infinity) are a 422 naming the feature, and change nothing', async () => {
    const before = await snapshot();
    const body = JSON.stringify(parcel({}, square(125.6, 44.4))).replace('125.6,', '1e999,');
    const r = await fx.app.inject({ method: 'POST', url: ITEMS, headers: { ...editor, 'content-type': 'application/geo+json' }, payload: body });
    expect(r.statusCode, r.body).toBe(422);
    expect(r.json().details).toMatchObject({ feature: 0, field: 'geometry' });
    expect(r.json().message).toMatch(/finite/);
    expect(await snapshot()).toBe(before);
  });

  it.each([
    // latitude first: [lat, lon]; 125.6 as the latitude is out of range
    ['EPSG:4490', [[[125.6, 44.4], [125.6, 44.404], [125.604, 44.404], [125.6, 44.4]]], 'geometry.coordinates[0][0]'],
    ['EPSG:4326', [[[44.4, 125.6], [44.4, 125.604], [44.404, 185], [44.4, 125.6]]], 'geometry.coordinates[0][2]'],
  ])('in Content-Crs %s a position beyond ±90°/±180° is a 422 naming it', async (crs, coordinates, field) => {
    const before = await snapshot();
    const r = await send('POST', ITEMS, parcel({}, { type: 'Polygon', coordinates }), { ...editor, 'content-crs': crs });
    expect(r.statusCode, r.body).toBe(422);
    expect(r.json().details).toMatchObject({ feature: 0, field });
    expect(r.json().message).toMatch(/[\u4e00-\u9fff].*\(feature 0, geometry\.coordinates/);
    expect(await snapshot()).toBe(before);
  });

  // Gauss-Kruger is northing first: [X north, Y east]
  it.each([
    ['EPSG:3857', square(1e300, 1e300, 1e299), /northing 1e\+300 outside/],
    ['EPSG:3857', square(1e15, 5e6, 1e3), /easting 1000000000000000 outside/],
    ['EPSG:4551', square(1e300, -1e300, 1e299), /northing 1e\+300 outside/],
    ['EPSG:4551', square(4900000, 1500000, 1e3), /easting 1500000 outside \[0, 1000000\]/],
    ['EPSG:4530', square(4900000, 41500000, 1e3), /easting 41500000 outside \[42000000, 43000000\]/],
    ['EPSG:4530', square(-5, 42500000, 1e3), /northing -5 outside/],
  ])('a position outside Content-Crs %s\'s area of use is a 422 naming it, not a failed transform', async (crs, geometry, message) => {
    const before = await snapshot();
    const r = await send('POST', ITEMS, parcel({}, geometry), { ...editor, 'content-crs': crs });
    expect(r.statusCode, r.body).toBe(422);
    expect(r.json().details).toMatchObject({ feature: 0, field: 'geometry.coordinates[0][0]' });
    expect(r.json().message).toMatch(message);
    expect(await snapshot()).toBe(before);
  });

  it.each([
    ['EPSG:3857', square(20037508 - 2e3, 20048966 - 2e3, 1e3)],
    ['EPSG:3857', square(-20037508, -20048966, 1e3)],
    ['EPSG:4551', square(9999000 - 2e3, 0, 1e3)],
    ['EPSG:4551', square(0, 1e6 - 1e3, 1e3)],
    ['EPSG:4530', square(9999000 - 2e3, 43e6 - 1e3, 1e3)],
    ['EPSG:4530', square(0, 42e6, 1e3)],
  ])('a position at the edge of Content-Crs %s\'s bounds transforms (201) or is refused with a 422, never a 5xx', async (crs, geometry) => {
    const before = await snapshot();
    const r = await send('POST', ITEMS, parcel({}, geometry), { ...editor, 'content-crs': crs });
    expect(r.statusCode, r.body).toBeLessThan(500);
    if (r.statusCode !== 201) {
      expect(r.statusCode, r.body).toBe(422);
      expect(await snapshot()).toBe(before);
      return;
    }
    // stored where PostGIS puts the first position (found by a review: a 201 was taken on trust)
    const fid = decodeURIComponent(String(r.headers.location).split('/').pop()!);
    const [a, b] = geometry.coordinates[0][0];
    const srid = Number(crs.split(':')[1]);
    const [px, py] = srid === 3857 ? [a, b] : [b, a]; // the GK CRSs are northing-first (EPSG axis order)
    const got = (
      await sql<{ dx: number; dy: number }>`select abs(ST_X(ST_PointN(ST_ExteriorRing(f.geom), 1)) - ST_X(e.p)) as dx, abs(ST_Y(ST_PointN(ST_ExteriorRing(f.geom), 1)) - ST_Y(e.p)) as dy
        from features f, (select ST_Transform(ST_SetSRID(ST_MakePoint(${px}::float8, ${py}::float8), ${srid}::int), 4490) as p) e
        where f.layer_id = 'permanent-farmland' and f.fid = ${fid} and f.valid_to is null`.execute(fx.db.kysely)
    ).rows[0];
    expect(got.dx).toBeLessThan(1e-6);
    expect(got.dy).toBeLessThan(1e-6);
  });

  it('a refused write is audited as refused', async () => {
    const refused = () => fx.db.kysely.selectFrom('audit').selectAll().where('action', '=', 'ogc.items.delete').where('result', '=', 'refused').orderBy('id').execute();
    const before = (await refused()).length;
    const r = await send('DELETE', `${ITEMS}/NOPE-AUDITED`);
    expect(r.statusCode).toBe(404);
    const after = await refused();
    expect(after.length).toBe(before + 1); // this request's own row, not an earlier test's
    expect(after[after.length - 1].target).toMatch(/NOPE-AUDITED/);
  });

  it('a write moves the layer version, so tiles drawn from it change', async () => {
    const tile = '/ogc/collections/permanent-farmland/tiles/WebMercatorQuad/12/1484/3477';
    const before = await fx.app.inject({ url: tile });
    await send('POST', ITEMS, { ...parcel({}, square(125.55, 44.45, 0.01)), id: 'TILE-NEW' });
    const after = await fx.app.inject({ url: tile });
    expect(after.headers.etag).not.toBe(before.headers.etag);
  });
});
