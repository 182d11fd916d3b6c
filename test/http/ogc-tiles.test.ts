import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { corsPlugin } from '../../server/ogc/cors.js';
import { tileAt } from '../../server/tiles/tile-math.js';
import { decodeTile } from '../helpers/mvt.js';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { usingPostgres } from '../helpers/test-db.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };

describe(`OGC API Tiles, OpenAPI and CORS (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('ogc');
  const get = (url: string, headers: Record<string, string> = {}) => fx.app.inject({ url, headers: { host: 'gis.test', ...headers } });
  const { z, x, y } = tileAt(125.61, 44.41, 12);

  it('/ogc/tileMatrixSets/WebMercatorQuad is the OGC 2D TMS definition', async () => {
    const list = (await get('/ogc/tileMatrixSets')).json();
    expect(list.tileMatrixSets.map((t: { id: string }) => t.id)).toEqual(['WebMercatorQuad']);
    const tms = (await get('/ogc/tileMatrixSets/WebMercatorQuad')).json();
    expect(tms).toMatchObject({ id: 'WebMercatorQuad', crs: 'http://www.opengis.net/def/crs/EPSG/0/3857', orderedAxes: ['X', 'Y'] });
    expect(tms.tileMatrices).toHaveLength(23);
    expect(tms.tileMatrices[0]).toMatchObject({ id: '0', matrixWidth: 1, tileWidth: 256, cornerOfOrigin: 'topLeft' });
    expect(tms.tileMatrices[0].cellSize).toBeCloseTo(156543.033928, 5);
    expect(tms.tileMatrices[12].scaleDenominator).toBeCloseTo(136494.693369, 4);
    expect((await get('/ogc/tileMatrixSets/WorldCRS84Quad')).statusCode).toBe(404);
  });

  it('a collection lists its vector tileset, whose metadata links the templated tile URL', async () => {
    const list = (await get('/ogc/collections/permanent-farmland/tiles')).json();
    expect(list.tilesets[0]).toMatchObject({ dataType: 'vector', tileMatrixSetURI: 'http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad' });
    const meta = (await get('/ogc/collections/permanent-farmland/tiles/WebMercatorQuad')).json();
    const item = meta.links.find((l: { rel: string }) => l.rel === 'item');
    expect(item).toMatchObject({ templated: true, type: 'application/vnd.mapbox-vector-tile', href: 'http://gis.test/ogc/collections/permanent-farmland/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}' });
    expect(meta.layers[0]).toMatchObject({ id: 'permanent-farmland', geometryType: 'polygons' });
    expect(meta.layers[0].propertiesSchema.properties.township.title).toBe('所在乡镇');
    expect(meta.layers).toHaveLength(1); // farmland has no label field: no label points
    const rights = (await get('/ogc/collections/mining-rights/tiles/WebMercatorQuad')).json();
    expect(rights.layers.map((l: { id: string }) => l.id)).toEqual(['mining-rights', 'mining-rights_label']);
    expect(rights.layers[1]).toMatchObject({ geometryType: 'points', propertiesSchema: { properties: { fid: { type: 'string' }, name: { type: 'string' } } } });
    const z12 = meta.tileMatrixSetLimits.find((l: { tileMatrix: string }) => l.tileMatrix === '12');
    expect(z12.minTileCol).toBeLessThanOrEqual(x);
    expect(z12.maxTileRow).toBeGreaterThanOrEqual(y);
    const coll = (await get('/ogc/collections/permanent-farmland')).json();
    expect(coll.links.find((l: { rel: string }) => l.rel === 'http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector').href).toBe('http://gis.test/ogc/collections/permanent-farmland/tiles');
  });

  // found by an OGC review: the limits began at the layer's minzoom and ended at z22, while tiles below
  // were served and TileJSON said maxzoom 15; fid (the promoteId) and merged were not described
  it('the tileset limits are the tiles it answers (z0–15, the whole grid; beyond them a 404) and its properties are what the tiles carry, as TileJSON says', async () => {
    const meta = (await get('/ogc/collections/permanent-farmland/tiles/WebMercatorQuad')).json();
    const tilejson = (await get('/tiles/permanent-farmland.json')).json();
    expect(meta.tileMatrixSetLimits.map((l: { tileMatrix: string }) => Number(l.tileMatrix))).toEqual(Array.from({ length: tilejson.maxzoom + 1 }, (_, i) => i));
    for (const l of meta.tileMatrixSetLimits) expect(l).toEqual({ tileMatrix: l.tileMatrix, minTileRow: 0, maxTileRow: 2 ** Number(l.tileMatrix) - 1, minTileCol: 0, maxTileCol: 2 ** Number(l.tileMatrix) - 1 });
    expect(meta.layers[0].maxTileMatrix).toBe(String(tilejson.maxzoom));
    const vl = tilejson.vector_layers.find((l: { id: string }) => l.id === 'permanent-farmland');
    expect(Object.keys(meta.layers[0].propertiesSchema.properties).sort()).toEqual(Object.keys(vl.fields).sort());
    // in the limits: a tile with features (200), at z0 too, and an empty one (204); beyond: 404; off the grid: 400
    const tile = (t: { z: number; x: number; y: number }) => get(`/ogc/collections/permanent-farmland/tiles/WebMercatorQuad/${t.z}/${t.y}/${t.x}`);
    const [lon, lat] = (await get('/ogc/collections/permanent-farmland/items?limit=1')).json().features[0].geometry.coordinates[0][0] as [number, number];
    expect((await tile(tileAt(lon, lat, 10))).statusCode).toBe(200);
    expect((await tile(tileAt(lon, lat, 15))).statusCode).toBe(200);
    expect((await tile({ z: 14, x: 0, y: 0 })).statusCode).toBe(204);
    const beyond = await tile(tileAt(lon, lat, 16));
    expect(beyond.statusCode).toBe(404);
    expect(beyond.json().details).toMatchObject({ tileMatrix: '16' });
    expect((await tile({ z: 23, x: 0, y: 0 })).statusCode).toBe(400);
  });

  it('tiles are addressed z/y/x (row before column) and are the same bytes as /tiles/{layer}/{z}/{x}/{y}.pbf', async () => {
    const ogc = await get(`/ogc/collections/permanent-farmland/tiles/WebMercatorQuad/${z}/${y}/${x}`);
    const plain = await get(`/tiles/permanent-farmland/${z}/${x}/${y}.pbf`);
    expect(ogc.statusCode).toBe(200);
    expect(ogc.headers['content-type']).toBe('application/vnd.mapbox-vector-tile');
    expect(ogc.rawPayload.equals(plain.rawPayload)).toBe(true);
    expect(ogc.headers.etag).toBe(plain.headers.etag);
    expect(decodeTile(ogc.rawPayload)['permanent-farmland'].features.length).toBeGreaterThan(0);
    const again = await get(`/ogc/collections/permanent-farmland/tiles/WebMercatorQuad/${z}/${y}/${x}`, { 'if-none-match': String(ogc.headers.etag) });
    expect(again.statusCode).toBe(304);
  });

  it('?version= reads a tile as the layer was before a write', async () => {
    const url = `/ogc/collections/permanent-farmland/tiles/WebMercatorQuad/${z}/${y}/${x}`;
    const v1 = await get(url);
    const del = await fx.app.inject({ method: 'DELETE', url: '/ogc/collections/permanent-farmland/items/PF-0001', headers: ADMIN });
    expect(del.statusCode).toBe(204);
    const now = await get(url);
    const asOf = await get(`${url}?version=1`);
    expect(now.rawPayload.equals(v1.rawPayload)).toBe(false);
    expect(asOf.rawPayload.equals(v1.rawPayload)).toBe(true);
    expect(decodeTile(now.rawPayload)['permanent-farmland'].features.length).toBe(decodeTile(v1.rawPayload)['permanent-farmland'].features.length - 1);
  });

  it.each([
    ['/ogc/collections/permanent-farmland/tiles/WebMercatorQuad/23/0/0', 400, 'z'],
    ['/ogc/collections/permanent-farmland/tiles/WebMercatorQuad/1/5/0', 400, 'y'],
    ['/ogc/collections/permanent-farmland/tiles/WebMercatorQuad/1/0/x', 400, 'x'],
    ['/ogc/collections/permanent-farmland/tiles/WebMercatorQuad/1/0/0?version=99', 404, undefined],
    ['/ogc/collections/nope/tiles/WebMercatorQuad/1/0/0', 404, undefined],
    ['/ogc/collections/permanent-farmland/tiles/GoogleCRS84Quad/1/0/0', 404, undefined],
    ['/ogc/collections/permanent-farmland/tiles/WebMercatorQuad/1/0/0?bogus=1', 400, 'bogus'],
  ])('%s is a %i', async (url, status, parameter) => {
    const r = await get(url);
    expect(r.statusCode).toBe(status);
    if (parameter) expect(r.json().details.parameter).toBe(parameter);
  });

  it('conformance declares OGC API Tiles and Part 4; the OpenAPI document has every new path', async () => {
    const conf = (await get('/ogc/conformance')).json().conformsTo;
    for (const c of ['core', 'tileset', 'tilesets-list', 'geodata-tilesets', 'mvt']) expect(conf).toContain(`http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/${c}`);
    expect(conf).toContain('http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete');
    const api = (await get('/ogc/api')).json();
    expect(Object.keys(api.paths)).toEqual(
      expect.arrayContaining([
        '/ogc/collections/{collectionId}/queryables',
        '/ogc/collections/{collectionId}/tiles',
        '/ogc/collections/{collectionId}/tiles/{tileMatrixSetId}',
        '/ogc/collections/{collectionId}/tiles/{tileMatrixSetId}/{z}/{y}/{x}',
        '/ogc/tileMatrixSets',
        '/ogc/tileMatrixSets/{tileMatrixSetId}',
      ]),
    );
    // found by a review: the tile routes were listed without .pbf / .json, and check and upload bodies were not described
    expect(Object.keys(api.paths)).toEqual(expect.arrayContaining(['/tiles/{layers}/{z}/{x}/{y}.pbf', '/tiles/{layers}.json', '/styles/default.json']));
    expect(Object.keys(api.paths)).not.toContain('/tiles/{layers}/{z}/{x}/{y}');
    const check = api.paths['/api/checks'].post.requestBody.content;
    expect(Object.keys(check).sort()).toEqual(['application/json', 'multipart/form-data']);
    expect(Object.keys(check['application/json'].schema.properties)).toEqual(expect.arrayContaining(['geometry', 'coordinates', 'activity', 'mineral', 'scale', 'crs']));
    const upload = api.paths['/api/layers/{id}/uploads'].post.requestBody.content['multipart/form-data'].schema;
    expect(upload.properties.file).toMatchObject({ type: 'string', format: 'binary' });
    expect(upload.properties.mode.enum).toEqual(['replace', 'append']);
    const item = api.paths['/ogc/collections/{collectionId}/items/{featureId}'];
    expect(Object.keys(item)).toEqual(expect.arrayContaining(['get', 'put', 'patch', 'delete']));
    expect(api.paths['/ogc/collections/{collectionId}/items'].post.tags).toEqual(['OGC API']);
    const names = api.paths['/ogc/collections/{collectionId}/items'].get.parameters.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['filter', 'filter-lang', 'filter-crs', 'datetime', 'bbox', 'crs']));
  });

  it('the CORS plugin allows the configured 一张图 origin and exposes Content-Crs and Location', async () => {
    const make = async (corsOrigins: string[]) => {
      const a = Fastify();
      a.decorate('config', { corsOrigins } as never);
      await a.register(corsPlugin);
      a.get('/ogc', async () => ({ ok: true }));
      return a;
    };
    const on = await make(['https://yzt.dehui.gov.cn']);
    const pre = await on.inject({ method: 'OPTIONS', url: '/ogc', headers: { origin: 'https://yzt.dehui.gov.cn', 'access-control-request-method': 'PUT' } });
    expect(pre.headers['access-control-allow-origin']).toBe('https://yzt.dehui.gov.cn');
    expect(String(pre.headers['access-control-allow-methods'])).toContain('PATCH');
    // found by a review: a locked edit (If-Match) failed its preflight, and Link / Retry-After / X-Tile-* were unreadable
    const locked = await on.inject({ method: 'OPTIONS', url: '/ogc', headers: { origin: 'https://yzt.dehui.gov.cn', 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'if-match,content-type' } });
    expect(String(locked.headers['access-control-allow-headers'])).toMatch(/If-Match/);
    const got = await on.inject({ url: '/ogc', headers: { origin: 'https://yzt.dehui.gov.cn' } });
    expect(String(got.headers['access-control-expose-headers'])).toMatch(/Content-Crs.*Location/);
    for (const h of ['ETag', 'Link', 'Retry-After', 'X-Tile-Generalised', 'X-Tile-Merged']) expect(String(got.headers['access-control-expose-headers'])).toContain(h);
    // found by an OGC review: OPTIONS without preflight headers was a text/plain 400
    const plain = await on.inject({ method: 'OPTIONS', url: '/ogc' });
    expect(plain.statusCode).toBe(204);
    const other = await on.inject({ url: '/ogc', headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const off = await make([]);
    expect((await off.inject({ url: '/ogc', headers: { origin: 'https://yzt.dehui.gov.cn' } })).headers['access-control-allow-origin']).toBeUndefined();
    await Promise.all([on.close(), off.close()]);
  });
});
