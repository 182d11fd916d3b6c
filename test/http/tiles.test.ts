import zlib from 'node:zlib';
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { insertLayer } from '../../server/layers/layer-registry.js';
import { writeLayerVersion } from '../../server/layers/layer-writes.js';
import { GeojsonVtTileEngine } from '../../server/tiles/engine-geojsonvt.js';
import { PostgisTileEngine } from '../../server/tiles/engine-postgis.js';
import { tileAt, type TileCoord } from '../../server/tiles/tile-math.js';
import { TileService } from '../../server/tiles/tile-service.js';
import type { TileEngine } from '../../server/tiles/tile-source.js';
import { decodeTile } from '../helpers/mvt.js';

const squareAt = (x: number, y: number, d = 0.001) => ({ type: 'Polygon' as const, coordinates: [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]] });
import { buildTestApp } from '../helpers/test-app.js';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { usingPostgres } from '../helpers/test-db.js';

describe(`vector tiles, TileJSON and style (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini');
  // the mini fixture: 10×10 farmland squares over 125.6–125.8 E, 44.4–44.6 N
  const z10 = tileAt(125.65, 44.45, 10);

  const tileUrl = (layers: string, t: { z: number; x: number; y: number }, q = '') => `/tiles/${layers}/${t.z}/${t.x}/${t.y}.pbf${q}`;

  // found by a review of the tiles
  it('refuses a layer named twice and a malformed v before any cache lookup; composites have one metrics series; a weak If-None-Match matches', async () => {
    const twice = await fx.app.inject(tileUrl('permanent-farmland,admin-county,permanent-farmland', z10));
    expect(twice.statusCode).toBe(400);
    expect(twice.json().details).toMatchObject({ parameter: 'layer' });
    expect(twice.json().message).toContain('permanent-farmland');
    // a composite tile, cached, must not answer a single-layer URL whose v smuggles the second layer in
    const v = (await fx.app.inject('/tiles/admin-county,permanent-farmland.json')).json().tiles[0].match(/v=([\d.]+)/)[1] as string;
    expect((await fx.app.inject(tileUrl('admin-county,permanent-farmland', z10, `?v=${v}`))).statusCode).toBe(200);
    const smuggled = await fx.app.inject(tileUrl('admin-county', z10, `?v=${v.split('.')[0]},permanent-farmland@${v.split('.')[1]}`));
    expect(smuggled.statusCode).toBe(400);
    expect(smuggled.json().details).toMatchObject({ parameter: 'v' });
    for (const layers of ['permanent-farmland,admin-county', 'admin-county,permanent-farmland']) await fx.app.inject(tileUrl(layers, tileAt(125.61, 44.41, 12)));
    const metrics = (await fx.app.inject('/metrics')).body;
    expect(metrics).toMatch(/tile_bytes_count\{layer="composite"/);
    expect(metrics).not.toMatch(/layer="[^"]*,[^"]*"/);
    const first = await fx.app.inject(tileUrl('permanent-farmland', z10));
    expect((await fx.app.inject({ url: tileUrl('permanent-farmland', z10), headers: { 'if-none-match': `W/${first.headers.etag}` } })).statusCode).toBe(304);
    const tilejson = await fx.app.inject('/tiles/permanent-farmland.json');
    const strong = String(tilejson.headers.etag).replace(/^W\//, '');
    expect((await fx.app.inject({ url: '/tiles/permanent-farmland.json', headers: { 'if-none-match': strong } })).statusCode).toBe(304);
  });

  // found by a review: a layer created empty (version 0) answered 404 to its tiles, then 204 once seen
  it('an empty new layer (version 0) has empty tiles, versioned or not, every time', async () => {
    const admin = { authorization: 'Bearer test-admin-token-0123456789' };
    const created = await fx.app.inject({ method: 'POST', url: '/api/layers', headers: admin, payload: { id: 'empty-new', title: '新建空图层', kind: 'other', geometryType: 'Polygon', attributes: [] } });
    expect(created.statusCode, created.body).toBe(201);
    for (const q of ['', '', '?v=0', '?v=0']) expect({ q, status: (await fx.app.inject(tileUrl('empty-new', z10, q))).statusCode }).toEqual({ q, status: 204 });
    expect((await fx.app.inject(tileUrl('empty-new', z10, '?v=1'))).statusCode).toBe(404);
  });

  it('serves an MVT whose layer is named by the layer id, with fid and Chinese attributes', async () => {
    const r = await fx.app.inject(tileUrl('permanent-farmland', z10));
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/vnd.mapbox-vector-tile');
    const decoded = decodeTile(r.rawPayload);
    expect(Object.keys(decoded)).toEqual(['permanent-farmland']);
    const layer = decoded['permanent-farmland'];
    expect(layer.extent).toBe(4096);
    expect(layer.features.length).toBeGreaterThan(0);
    const f = layer.features.find((x) => x.properties.fid === 'PF-0001')!;
    expect(f).toBeDefined();
    expect(f.properties).toMatchObject({ code: 'PF-1', township: '米沙子镇' });
    expect(f.type).toBe(3);
    expect(typeof f.id).toBe('number');
  });

  it('at z8 the tile over the fixture carries every feature of the layer', async () => {
    const decoded = decodeTile((await fx.app.inject(tileUrl('permanent-farmland', tileAt(125.7, 44.5, 8)))).rawPayload);
    expect(new Set(decoded['permanent-farmland'].features.map((f) => f.properties.fid)).size).toBe(100);
  });

  it('comma-separated layers give one tile with several MVT layers', async () => {
    const decoded = decodeTile((await fx.app.inject(tileUrl('admin-county,permanent-farmland', tileAt(125.7, 44.5, 10)))).rawPayload);
    // the county is labelled: its label point (in this tile) comes as its own MVT layer (tiles-labels.test.ts)
    expect(Object.keys(decoded).sort()).toEqual(['admin-county', 'admin-county_label', 'permanent-farmland']);
    expect(decoded['admin-county'].features[0].properties).toMatchObject({ name: '测试县', fid: 'C1' });
  });

  it('an empty tile is 204 No Content', async () => {
    const r = await fx.app.inject(tileUrl('permanent-farmland', { z: 10, x: 0, y: 0 }));
    expect(r.statusCode).toBe(204);
    expect(r.body).toBe('');
  });

  it.each([
    ['/tiles/permanent-farmland/23/0/0.pbf', 'z'],
    ['/tiles/permanent-farmland/2/4/0.pbf', 'x'],
    ['/tiles/permanent-farmland/2/0/4.pbf', 'y'],
    ['/tiles/permanent-farmland/a/0/0.pbf', 'z'],
    ['/tiles/permanent-farmland/1/-1/0.pbf', 'x'],
    ['/tiles/Bad_Layer/1/0/0.pbf', 'layer'],
    ['/tiles/permanent-farmland/1/0/0.pbf?v=abc', 'v'],
    ['/tiles/permanent-farmland/1/0/0.pbf?foo=1', 'foo'],
  ])('%s is a 400 naming %s', async (url, parameter) => {
    const r = await fx.app.inject(url);
    expect(r.statusCode).toBe(400);
    expect(r.json().details.parameter).toBe(parameter);
  });

  it('an unknown layer or version is a 404', async () => {
    expect((await fx.app.inject('/tiles/no-such-layer/1/0/0.pbf')).statusCode).toBe(404);
    expect((await fx.app.inject('/tiles/permanent-farmland/1/0/0.pbf?v=99')).statusCode).toBe(404);
    expect((await fx.app.inject('/tiles/no-such-layer.json')).statusCode).toBe(404);
  });

  it('TileJSON 3.0.0 carries the version in its tile URL, bounds and Chinese field descriptions', async () => {
    const r = await fx.app.inject({ url: '/tiles/permanent-farmland.json', headers: { host: 'gis.test' } });
    const tj = r.json();
    expect(tj.tilejson).toBe('3.0.0');
    expect(tj.tiles).toEqual(['http://gis.test/tiles/permanent-farmland/{z}/{x}/{y}.pbf?v=1']);
    expect(tj.bounds[0]).toBeCloseTo(125.602, 5);
    expect(tj.vector_layers[0]).toMatchObject({ id: 'permanent-farmland', description: '永久基本农田' });
    expect(tj.vector_layers[0].fields).toMatchObject({ fid: expect.any(String), code: '图斑编号 (文本)', township: '所在乡镇 (文本)' });
    // a bulk layer's low-zoom tiles carry merged cells (found by a review: the field was not declared)
    expect(tj.vector_layers[0].fields.merged).toMatch(/合并/);
    expect((await fx.app.inject('/tiles/admin-county.json')).json().vector_layers[0].fields.merged).toBeUndefined();
  });

  it('versioned tiles are immutable; unversioned ones revalidate with an ETag (304)', async () => {
    const versioned = await fx.app.inject(tileUrl('permanent-farmland', z10, '?v=1'));
    expect(versioned.headers['cache-control']).toContain('immutable');
    const plain = await fx.app.inject(tileUrl('permanent-farmland', z10));
    expect(plain.headers['cache-control']).toContain('max-age=30');
    const etag = plain.headers.etag as string;
    const again = await fx.app.inject({ url: tileUrl('permanent-farmland', z10), headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
  });

  it('a cached tile goes gzip-compressed to a client that accepts it; either ETag revalidates', async () => {
    const url = tileUrl('permanent-farmland,admin-county', tileAt(125.7, 44.5, 8), '?v=1.1');
    const identity = await fx.app.inject(url);
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.headers.vary).toBe('accept-encoding');
    // compressed off the request path: asked again until the cache has it (bounded by expect.poll, not a sleep)
    const gzipped = () => fx.app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    await expect.poll(async () => (await gzipped()).headers['content-encoding'], { timeout: 30_000, interval: 20 }).toBe('gzip');
    const gz = await gzipped();
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.rawPayload.length).toBeLessThan(identity.rawPayload.length);
    expect(zlib.gunzipSync(gz.rawPayload).equals(identity.rawPayload)).toBe(true);
    expect(gz.headers.etag).not.toBe(identity.headers.etag);
    expect((await fx.app.inject({ url, headers: { 'accept-encoding': 'gzip;q=0' } })).headers['content-encoding']).toBeUndefined();
    for (const etag of [identity.headers.etag, gz.headers.etag]) {
      expect((await fx.app.inject({ url, headers: { 'if-none-match': etag as string, 'accept-encoding': 'gzip' } })).statusCode).toBe(304);
    }
  });

  it('a write changes the tile at once, and ?version= still draws the old one', async () => {
    const before = decodeTile((await fx.app.inject(tileUrl('permanent-farmland', z10))).rawPayload);
    const etagBefore = (await fx.app.inject(tileUrl('permanent-farmland', z10))).headers.etag;
    await writeLayerVersion(fx.db.kysely, { layerId: 'permanent-farmland', mode: 'delete', deleteIds: ['PF-0001'], author: 'test' });
    const after = await fx.app.inject({ url: tileUrl('permanent-farmland', z10), headers: { 'if-none-match': etagBefore as string } });
    expect(after.statusCode).toBe(200);
    const fids = (t: ReturnType<typeof decodeTile>) => t['permanent-farmland'].features.map((f) => f.properties.fid);
    expect(fids(before)).toContain('PF-0001');
    expect(fids(decodeTile(after.rawPayload))).not.toContain('PF-0001');
    const old = decodeTile((await fx.app.inject(tileUrl('permanent-farmland', z10, '?version=1'))).rawPayload);
    expect(fids(old)).toContain('PF-0001');
    const tj = (await fx.app.inject('/tiles/permanent-farmland.json')).json();
    expect(tj.tiles[0]).toMatch(/\?v=2$/);
  });

  it('a write through another app instance on the same database is seen at once', async () => {
    const other = await buildTestApp(fx.db);
    try {
      const before = decodeTile((await fx.app.inject(tileUrl('permanent-farmland', z10))).rawPayload);
      await writeLayerVersion(other.db.kysely, { layerId: 'permanent-farmland', mode: 'delete', deleteIds: ['PF-0002'], author: 'other' });
      const after = decodeTile((await fx.app.inject(tileUrl('permanent-farmland', z10))).rawPayload);
      expect(before['permanent-farmland'].features.some((f) => f.properties.fid === 'PF-0002')).toBe(true);
      expect(after['permanent-farmland'].features.some((f) => f.properties.fid === 'PF-0002')).toBe(false);
    } finally {
      await other.close();
    }
  });

  it('an unversioned tile is a cache hit while its layer is unchanged, and drawn afresh after a write', async () => {
    const t = tileAt(125.7, 44.5, 12);
    const first = await fx.app.inject(tileUrl('permanent-farmland,admin-county', t));
    const second = await fx.app.inject(tileUrl('permanent-farmland,admin-county', t));
    expect(second.headers['x-tile-cache']).toBe('hit');
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(second.rawPayload.equals(first.rawPayload)).toBe(true);
    const fids = decodeTile(first.rawPayload)['permanent-farmland'].features.map((f) => f.properties.fid as string);
    await writeLayerVersion(fx.db.kysely, { layerId: 'permanent-farmland', mode: 'delete', deleteIds: [fids[0]], author: 'test' });
    const after = await fx.app.inject(tileUrl('permanent-farmland,admin-county', t));
    expect(after.headers['x-tile-cache']).toBe('miss');
    expect(after.headers.etag).not.toBe(first.headers.etag);
    expect(decodeTile(after.rawPayload)['permanent-farmland'].features.map((f) => f.properties.fid)).not.toContain(fids[0]);
    expect(decodeTile(after.rawPayload)['admin-county'].features.length).toBe(1);
  });

  it("a change of a layer's attributes or generalisation policy reaches the next tile drawn", async () => {
    // Tiles already cached keep their form until the layer's next version (server/tiles/README.md);
    // a tile drawn afterwards must not be shaped by the attributes and policy this instance read before.
    const [z8, z9, z11] = [8, 9, 11].map((z) => tileAt(125.7, 44.5, z));
    const before = await fx.app.inject(tileUrl('permanent-farmland', z8));
    expect(decodeTile(before.rawPayload)['permanent-farmland'].features[0].properties).toHaveProperty('township');
    expect(before.headers['x-tile-generalised']).toBe('permanent-farmland=bulk');
    const { attributes } = await fx.db.kysely.selectFrom('layers').select('attributes').where('id', '=', 'permanent-farmland').executeTakeFirstOrThrow();
    const fewer = (attributes as { name: string }[]).filter((a) => a.name !== 'township');
    try {
      // written straight to the database, as an operator would: no version change
      await sql`update layers set attributes = ${JSON.stringify(fewer)}::jsonb where id = 'permanent-farmland'`.execute(fx.db.kysely);
      await sql`update tile_generalisation set policy = 'exact' where layer_id = 'permanent-farmland'`.execute(fx.db.kysely);
      const after = await fx.app.inject(tileUrl('permanent-farmland', z9));
      const props = decodeTile(after.rawPayload)['permanent-farmland'].features.map((f) => f.properties);
      const live = await fx.db.kysely.selectFrom('features').select((e) => e.fn.countAll<string>().as('n')).where('layer_id', '=', 'permanent-farmland').where('valid_to', 'is', null).executeTakeFirstOrThrow();
      expect(props.length).toBe(Number(live.n)); // exact: every parcel, none merged
      expect(props.some((p) => 'township' in p)).toBe(false);
      expect(props.every((p) => 'code' in p)).toBe(true);
      expect(after.headers['x-tile-generalised']).toBeUndefined();
    } finally {
      await sql`update layers set attributes = ${JSON.stringify(attributes)}::jsonb where id = 'permanent-farmland'`.execute(fx.db.kysely);
      await sql`update tile_generalisation set policy = 'bulk' where layer_id = 'permanent-farmland'`.execute(fx.db.kysely);
    }
    const restored = await fx.app.inject(tileUrl('permanent-farmland', z11));
    expect(decodeTile(restored.rawPayload)['permanent-farmland'].features[0].properties).toHaveProperty('township');
    expect(restored.headers['x-tile-generalised']).toBe('permanent-farmland=bulk');
  });

  it('the style is valid by the MapLibre style spec and names no URL outside this server', async () => {
    const r = await fx.app.inject({ url: '/styles/default.json', headers: { host: 'gis.test' } });
    const style = r.json();
    expect(validateStyleMin(style)).toEqual([]);
    const urls = JSON.stringify(style).match(/https?:\/\/[^"]+/g) ?? [];
    expect(urls.length).toBeGreaterThan(0);
    for (const u of urls) expect(u.startsWith('http://gis.test/')).toBe(true);
    expect(style.layers.find((l: { id: string }) => l.id === 'admin-county-label')).toMatchObject({ 'source-layer': 'admin-county_label', layout: { 'text-field': ['get', 'name'] } });
  });

  it('the style names no glyph URL, so MapLibre draws every label glyph locally (offline)', async () => {
    const style = (await fx.app.inject('/styles/default.json')).json();
    expect(style.glyphs).toBeUndefined();
    const labels = style.layers.filter((l: { type: string }) => l.type === 'symbol');
    expect(labels.length).toBeGreaterThan(0);
    expect((await fx.app.inject('/fonts/Noto%20Sans%20Regular/0-255.pbf')).statusCode).toBe(404);
  });

  it.runIf(usingPostgres())('ST_AsMVT and geojson-vt carry the same features and attributes', async () => {
    const service = new TileService(fx.db);
    const sources = await service.sources(['permanent-farmland', 'admin-county']);
    const pg = new PostgisTileEngine(fx.db.kysely);
    const mem = new GeojsonVtTileEngine(fx.db.kysely);
    for (const t of [tileAt(125.65, 44.45, 8), z10, tileAt(125.61, 44.41, 12), tileAt(125.61, 44.41, 14)]) {
      const a = decodeTile((await pg.render(sources, t)).body);
      const b = decodeTile((await mem.render(sources, t)).body);
      expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
      for (const name of Object.keys(a)) {
        const key = (f: { properties: Record<string, unknown>; id: number | undefined }) => JSON.stringify([f.id, f.properties]);
        expect(a[name].features.map(key).sort(), `${name} at ${t.z}/${t.x}/${t.y}`).toEqual(b[name].features.map(key).sort());
      }
    }
  });
  // found by a review: the index cache was 24 entries whatever their size, and `?version=` lets any
  // client ask for any version (each a full-layer index, ~700 MB for 200k parcels)
  it('geojson-vt keeps its layer@version indexes within a byte bound and still draws every version right (five asked at once, then again)', async () => {
    await insertLayer(fx.db.kysely, { id: 'test-versions', title: '测试版本', kind: 'other', geometryType: 'Polygon', attributes: [{ name: 'name', label: '名称', type: 'string' }] });
    for (let v = 1; v <= 5; v++) {
      const features = Array.from({ length: 40 }, (_, i) => ({ id: `V${v}-${i}`, properties: { name: `第${v}版` }, geometry: squareAt(125.6 + i * 0.002, 44.4 + v * 0.01) }));
      await writeLayerVersion(fx.db.kysely, { layerId: 'test-versions', mode: 'append', features, author: 'test' });
    }
    const source = (version: number) => ({ layerId: 'test-versions', version, current: version === 5, properties: [{ name: 'name', type: 'string' as const }], generalisation: 'exact' as const, label: null });
    const probe = new GeojsonVtTileEngine(fx.db.kysely);
    await probe.render([source(5)], { z: 0, x: 0, y: 0 });
    const one = probe.indexBytes; // the largest index: version 5 holds all 200 features
    expect(one).toBeGreaterThan(1);
    const bound = Math.floor(one * 2.5);
    const engine = new GeojsonVtTileEngine(fx.db.kysely, bound);
    // all five versions at once (built one at a time), then again in another order (evicted ones rebuilt)
    const draw = async (v: number) => decodeTile((await engine.render([source(v)], { z: 0, x: 0, y: 0 })).body)['test-versions'].features.length;
    expect(await Promise.all([1, 2, 3, 4, 5].map(draw))).toEqual([40, 80, 120, 160, 200]);
    expect(engine.indexBytes).toBeLessThanOrEqual(bound);
    for (const v of [5, 1, 4, 2, 3]) {
      expect(await draw(v)).toBe(40 * v);
      expect(engine.indexBytes).toBeLessThanOrEqual(bound);
    }
  });

  // noticed in an earlier session and left: geojson-vt keeps every tile it cuts, so walking deep tiles grew an index without bound
  it('a geojson-vt index whose cut tiles reach their heap bound is dropped and rebuilt, and draws the same tiles', async () => {
    const source = { layerId: 'test-versions', version: 5, current: true, properties: [{ name: 'name', type: 'string' as const }], generalisation: 'exact' as const, label: null };
    const bounded = new GeojsonVtTileEngine(fx.db.kysely, undefined, 4000); // ~100 points of cut tiles
    const free = new GeojsonVtTileEngine(fx.db.kysely);
    const tiles = Array.from({ length: 40 }, (_, i) => tileAt(125.6 + i * 0.002 + 0.0005, 44.45 + 0.0005, 17));
    const count = async (engine: GeojsonVtTileEngine, t: TileCoord) => decodeTile((await engine.render([source], t)).body)['test-versions']?.features.length ?? 0;
    let drawn = 0;
    for (const t of [...tiles, ...tiles]) {
      const n = await count(bounded, t);
      expect(n).toBe(await count(free, t));
      drawn += n;
    }
    expect(drawn).toBeGreaterThanOrEqual(80); // every tile holds its square
    expect(bounded.droppedIndexes).toBeGreaterThan(0);
    expect(free.droppedIndexes).toBe(0);
  });

  // found by a review: a tile of version N drawn after N+1 committed drew N+1's rows (`valid_to is null`), stamped N and cached immutably
  it('a tile stamped with version N draws the rows of version N even when N+1 committed between reading N and drawing', async () => {
    const read = new TileService(fx.db);
    const [stale] = await read.sources(['test-versions']); // N, current: true
    await writeLayerVersion(fx.db.kysely, {
      layerId: 'test-versions',
      mode: 'append',
      features: Array.from({ length: 10 }, (_, i) => ({ id: `LATE-${i}`, properties: { name: '后来的版本' }, geometry: squareAt(125.6 + i * 0.002, 44.47) })),
      author: 'test',
    });
    const engines: TileEngine[] = usingPostgres() ? [new PostgisTileEngine(fx.db.kysely), new GeojsonVtTileEngine(fx.db.kysely)] : [new GeojsonVtTileEngine(fx.db.kysely)];
    for (const engine of engines) {
      const drawn = decodeTile((await engine.render([stale], { z: 0, x: 0, y: 0 })).body)['test-versions'].features;
      expect({ engine: engine.name, n: drawn.length }).toEqual({ engine: engine.name, n: 200 });
    }
  });
});

// found by a review: the tile route replaced CORS's `Vary: Origin` with `Vary: accept-encoding`, so a
// cache could hand a same-origin tile (no Access-Control-Allow-Origin) to the 一张图 origin
describe(`tiles with CORS on (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini', { corsOrigins: ['https://yzt.dehui.gov.cn'] });
  it('a tile varies by Origin and by Accept-Encoding', async () => {
    const r = await fx.app.inject({ url: `/tiles/permanent-farmland/10/${tileAt(125.65, 44.45, 10).x}/${tileAt(125.65, 44.45, 10).y}.pbf`, headers: { origin: 'https://yzt.dehui.gov.cn' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('https://yzt.dehui.gov.cn');
    expect(String(r.headers.vary).toLowerCase()).toMatch(/origin/);
    expect(String(r.headers.vary).toLowerCase()).toMatch(/accept-encoding/);
  });
});
