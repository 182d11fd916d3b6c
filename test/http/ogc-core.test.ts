import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { insertLayer } from '../../server/layers/layer-registry.js';
import { writeLayerVersion } from '../../server/layers/layer-writes.js';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { usingPostgres } from '../helpers/test-db.js';

describe(`OGC API Features core read path (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini', { limits: { bodyBytes: 1 << 20, uploadBytes: 1 << 20, maxVertices: 1000, maxFeatures: 1000, itemsLimitMax: 50 } });

  const get = async (url: string) => {
    const r = await fx.app.inject({ url, headers: { host: 'gis.test' } });
    return { status: r.statusCode, headers: r.headers, json: r.body ? JSON.parse(r.body) : null };
  };

  it('the landing page links service-desc, conformance and data', async () => {
    const { status, json } = await get('/ogc');
    expect(status).toBe(200);
    const rels = Object.fromEntries(json.links.map((l: { rel: string; href: string }) => [l.rel, l.href]));
    expect(rels).toMatchObject({
      'service-desc': 'http://gis.test/ogc/openapi.json',
      'service-doc': 'http://gis.test/api',
      conformance: 'http://gis.test/ogc/conformance',
      data: 'http://gis.test/ogc/collections',
    });
  });

  it('conformance declares Core and GeoJSON', async () => {
    const { json } = await get('/ogc/conformance');
    expect(json.conformsTo).toEqual(
      expect.arrayContaining(['http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core', 'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson']),
    );
  });

  it('collections are the layers, with Chinese titles, extents and the storage CRS', async () => {
    const { json } = await get('/ogc/collections');
    expect(json.collections.map((c: { id: string }) => c.id)).toEqual(['admin-county', 'permanent-farmland']);
    const farmland = json.collections[1];
    expect(farmland.title).toBe('永久基本农田');
    expect(farmland.storageCrs).toBe('http://www.opengis.net/def/crs/EPSG/0/4490');
    expect(farmland.extent.spatial.bbox[0][0]).toBeCloseTo(125.602, 6);
    expect(farmland.links.find((l: { rel: string }) => l.rel === 'items').href).toBe('http://gis.test/ogc/collections/permanent-farmland/items');
  });

  it('items page with numberMatched, numberReturned and next links until every feature is seen', async () => {
    const seen = new Set<string>();
    let url: string | undefined = '/ogc/collections/permanent-farmland/items?limit=30';
    let pages = 0;
    while (url) {
      const { status, headers, json } = await get(url);
      expect(status).toBe(200);
      expect(headers['content-type']).toMatch(/application\/geo\+json/);
      expect(json.numberMatched).toBe(100);
      expect(json.numberReturned).toBe(json.features.length);
      for (const f of json.features) seen.add(f.id);
      const next = json.links.find((l: { rel: string }) => l.rel === 'next');
      url = next ? next.href.replace('http://gis.test', '') : undefined;
      pages++;
    }
    expect(pages).toBe(4);
    expect(seen.size).toBe(100);
  });

  it('a limit above the maximum is clamped to it, not refused (GDAL asks for big pages)', async () => {
    const { status, json } = await get('/ogc/collections/permanent-farmland/items?limit=5000');
    expect(status).toBe(200);
    expect(json.numberReturned).toBe(50);
    const next = new URL(json.links.find((l: { rel: string }) => l.rel === 'next').href).searchParams;
    expect([next.get('limit'), next.get('offset'), next.get('version')]).toEqual(['50', '50', String(json.layerVersion)]);
  });

  it('bbox selects only intersecting features', async () => {
    const { json } = await get('/ogc/collections/permanent-farmland/items?bbox=125.6,44.4,125.63,44.43');
    expect(json.features.map((f: { id: string }) => f.id).sort()).toEqual(['PF-0001', 'PF-0002', 'PF-0011', 'PF-0012']);
  });

  it('bbox in EPSG:4490 is read latitude first', async () => {
    const { json } = await get('/ogc/collections/permanent-farmland/items?bbox=44.4,125.6,44.43,125.63&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4490');
    expect(json.numberMatched).toBe(4);
  });

  it('crs=EPSG:4490 returns latitude-first coordinates and a Content-Crs header', async () => {
    const { headers, json } = await get('/ogc/collections/permanent-farmland/items/PF-0001?crs=http://www.opengis.net/def/crs/EPSG/0/4490');
    expect(headers['content-crs']).toBe('<http://www.opengis.net/def/crs/EPSG/0/4490>');
    const [lat, lon] = json.geometry.coordinates[0][0];
    expect(lat).toBeCloseTo(44.402, 6);
    expect(lon).toBeCloseTo(125.602, 6);
  });

  it('property filters on the layer attributes', async () => {
    const { json } = await get(`/ogc/collections/permanent-farmland/items?township=${encodeURIComponent('万宝镇')}&limit=1`);
    expect(json.numberMatched).toBe(50);
    expect(json.features[0].properties.township).toBe('万宝镇');
  });

  it('one item has its links; an unknown one is a 404 naming it', async () => {
    const ok = await get('/ogc/collections/permanent-farmland/items/PF-0042');
    expect(ok.status).toBe(200);
    expect(ok.json.id).toBe('PF-0042');
    expect(ok.json.links[0].rel).toBe('self');
    const missing = await get('/ogc/collections/permanent-farmland/items/NOPE');
    expect(missing.status).toBe(404);
    expect(missing.json.details).toEqual({ layer: 'permanent-farmland', feature: 'NOPE' });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['offset=-1', 'offset'],
    ['bbox=1,2,3', 'bbox'],
    ['bbox=a,b,c,d', 'bbox'],
    ['bbox=125,45,126,44', 'bbox'],
    ['bbox-crs=EPSG:4490', 'bbox-crs'],
    ['crs=EPSG:9999', 'crs'],
    ['crs=%27;drop%20table%20features;--', 'crs'],
    ['version=99', 'version'],
    ['nosuchfield=1', 'nosuchfield'],
    ['f=xml', 'f'],
  ])('items?%s is a 400 naming %s', async (query, parameter) => {
    const { status, json } = await get(`/ogc/collections/permanent-farmland/items?${query}`);
    expect(status).toBe(400);
    expect(json.error).toBe('bad_request');
    expect(json.details.parameter).toBe(parameter);
  });

  // /req/core/query-param-unknown, for one feature too (found by a review: it answered 200)
  it.each([
    ['foo=1', 'foo'],
    ['f=html', 'f'],
    ['crs=EPSG:9999', 'crs'],
    ['version=99', 'version'],
    ['crs=EPSG:4490&crs=EPSG:4326', 'crs'],
  ])('items/PF-0001?%s is a 400 naming %s', async (query, parameter) => {
    const { status, json } = await get(`/ogc/collections/permanent-farmland/items/PF-0001?${query}`);
    expect(status).toBe(400);
    expect(json.details.parameter).toBe(parameter);
  });

  // found by an OGC review: only /items and tiles refused unknown parameters
  it('every OGC document refuses an unknown parameter or a format other than json with a 400 naming it', async () => {
    for (const path of ['/ogc', '/ogc/conformance', '/ogc/collections', '/ogc/collections/permanent-farmland', '/ogc/collections/permanent-farmland/queryables', '/ogc/collections/permanent-farmland/tiles', '/ogc/collections/permanent-farmland/tiles/WebMercatorQuad', '/ogc/tileMatrixSets', '/ogc/tileMatrixSets/WebMercatorQuad']) {
      expect({ path, status: (await get(`${path}?f=json`)).status }).toEqual({ path, status: 200 });
      for (const [q, name] of [['foo=1', 'foo'], ['f=xml', 'f']]) {
        const r = await get(`${path}?${q}`);
        expect({ path, q, status: r.status }).toEqual({ path, q, status: 400 });
        expect(JSON.stringify(r.json)).toContain(name);
      }
    }
  });

  it('unknown collections and routes are JSON 404s', async () => {
    expect((await get('/ogc/collections/nope')).status).toBe(404);
    expect((await get('/ogc/collections/nope/items')).json.error).toBe('not_found');
    expect((await get('/no/such/route')).status).toBe(404);
  });

  it('/api/layers lists layers with counts, versions and bboxes; one layer has its attribute schema', async () => {
    const list = await get('/api/layers');
    expect(list.json).toEqual([
      expect.objectContaining({ id: 'admin-county', title: '测试县', kind: 'admin', geometryType: 'MultiPolygon', featureCount: 1, version: 1 }),
      expect.objectContaining({ id: 'permanent-farmland', featureCount: 100, bbox: expect.any(Array) }),
    ]);
    const one = await get('/api/layers/permanent-farmland');
    expect(one.json.attributes).toEqual([
      { name: 'code', label: '图斑编号', type: 'string' },
      { name: 'township', label: '所在乡镇', type: 'string' },
    ]);
    expect((await get('/api/layers/nope')).status).toBe(404);
  });

  it('health and readiness', async () => {
    expect((await get('/healthz')).json).toEqual({ status: 'ok' });
    expect((await get('/readyz')).json).toMatchObject({ status: 'ok', database: usingPostgres() ? 'postgres' : 'pglite' });
  });

  // found by an OGC review: POST …/items declared a featureId path parameter its path does not have
  it('both OpenAPI documents are valid OpenAPI 3.0, and every path parameter is in its path and the other way round', async () => {
    for (const url of ['/ogc/openapi.json', '/ogc/api']) {
      const { json } = await get(url);
      const validator = new Validator();
      const result = await validator.validate(json);
      expect({ url, errors: result.errors ?? null }).toEqual({ url, errors: null });
      for (const [path, item] of Object.entries(json.paths as Record<string, Record<string, { parameters?: { in: string; name: string; required?: boolean }[] }>>)) {
        const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
        for (const [method, op] of Object.entries(item)) {
          if (!op || typeof op !== 'object' || !('responses' in op)) continue;
          const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
          expect({ url, path, method, params: declared.map((p) => p.name).sort() }).toEqual({ url, path, method, params: inPath });
          for (const p of declared) expect({ path, method, name: p.name, required: p.required }).toEqual({ path, method, name: p.name, required: true });
          // every operation documents its refusals with the one error body (found by an OGC review: only "200 Default Response")
          const responses = (op as unknown as { responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> }).responses;
          expect(responses['400']?.content?.['application/json'].schema.$ref, `${method} ${path}`).toBe('#/components/schemas/Error');
          if (method !== 'get') expect(Object.keys(responses), `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403']));
        }
      }
    }
  });

  // found by a walkthrough and an OGC review: /api was a 404, and service-doc pointed at JSON
  it('GET /api is the API documentation for people: every route with its summary, as the landing page’s service-doc says', async () => {
    const landing = (await get('/ogc')).json;
    const doc = landing.links.find((l: { rel: string }) => l.rel === 'service-doc');
    expect(doc).toMatchObject({ href: 'http://gis.test/api', type: 'text/html' });
    const r = await fx.app.inject({ url: '/api', headers: { host: 'gis.test' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    const api = (await get('/ogc/api')).json as { paths: Record<string, Record<string, { summary?: string }>> };
    for (const [path, item] of Object.entries(api.paths)) {
      expect(r.body, path).toContain(`<code>${path}</code>`);
      for (const op of Object.values(item)) if (op.summary) expect(r.body).toContain(op.summary.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
    }
    expect(r.body).not.toMatch(/(src|href)="https?:/);
  });

  it('the OpenAPI document says what each write answers: created, dry run, unchanged, deleted, empty tile', async () => {
    const { json } = await get('/ogc/api');
    const codes = (path: string, method: string) => Object.keys(json.paths[path][method].responses).sort();
    expect(codes('/api/checks', 'post')).toEqual(expect.arrayContaining(['201', '400', '401', '403', '413', '422']));
    expect(codes('/api/checks', 'post')).not.toContain('200');
    expect(codes('/api/layers/{id}/uploads', 'post')).toEqual(expect.arrayContaining(['200', '201', '404', '413', '422']));
    expect(codes('/api/layers/{id}/versions/{v}/restore', 'post')).toEqual(expect.arrayContaining(['200', '201']));
    expect(codes('/ogc/collections/{collectionId}/items/{featureId}', 'delete')).toEqual(expect.arrayContaining(['204', '412']));
    expect(codes('/ogc/collections/{collectionId}/items/{featureId}', 'delete')).not.toContain('200');
    expect(codes('/tiles/{layers}/{z}/{x}/{y}.pbf', 'get')).toEqual(expect.arrayContaining(['200', '204', '304', '400', '404']));
    // bbox as OGC API Features defines it: 4 or 6 numbers, comma separated
    const bbox = json.paths['/ogc/collections/{collectionId}/items'].get.parameters.find((p: { name: string }) => p.name === 'bbox');
    expect(bbox).toMatchObject({ in: 'query', style: 'form', explode: false, schema: { type: 'array', minItems: 4, maxItems: 6, items: { type: 'number' } } });
  });

  it('/ogc/api is an OpenAPI 3 document generated from the routes', async () => {
    const { status, json } = await get('/ogc/api');
    expect(status).toBe(200);
    expect(json.openapi).toMatch(/^3\./);
    expect(Object.keys(json.paths)).toEqual(expect.arrayContaining(['/ogc/collections/{collectionId}/items', '/api/layers']));
  });
});

describe(`OGC API Features paging over a layer written meanwhile (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini');
  const get = async (url: string) => {
    const r = await fx.app.inject({ url, headers: { host: 'gis.test' } });
    return { status: r.statusCode, headers: r.headers, json: r.body ? JSON.parse(r.body) : null };
  };

  // found by an OGC review: a write between two pages shifted the offsets — one feature twice, another never
  it('next and prev stay on the version of the first page while the layer is written meanwhile', async () => {
    const sq = (i: number) => ({ type: 'Polygon' as const, coordinates: [[[125.6 + i * 0.01, 44.4], [125.605 + i * 0.01, 44.4], [125.605 + i * 0.01, 44.405], [125.6 + i * 0.01, 44.405], [125.6 + i * 0.01, 44.4]]] });
    await insertLayer(fx.db.kysely, { id: 'paging', title: '分页', kind: 'other', geometryType: 'Polygon', attributes: [] });
    await writeLayerVersion(fx.db.kysely, { layerId: 'paging', mode: 'replace', features: Array.from({ length: 10 }, (_, i) => ({ id: `P-${String(i).padStart(2, '0')}`, geometry: sq(i), properties: {} })), author: 'test' });
    const first = await get('/ogc/collections/paging/items?limit=3');
    const version = first.json.layerVersion as number;
    const seen = new Set<string>(first.json.features.map((f: { id: string }) => f.id));
    // a feature that sorts first, and the first page's first feature deleted: both shift every offset
    await writeLayerVersion(fx.db.kysely, { layerId: 'paging', mode: 'upsert', features: [{ id: 'A-00', geometry: sq(20), properties: {} }], author: 'test' });
    await writeLayerVersion(fx.db.kysely, { layerId: 'paging', mode: 'delete', deleteIds: [first.json.features[0].id], author: 'test' });
    let next = first.json.links.find((l: { rel: string }) => l.rel === 'next')?.href as string | undefined;
    let pages = 1;
    while (next) {
      expect(new URL(next).searchParams.get('version')).toBe(String(version));
      const page = await get(next.replace('http://gis.test', ''));
      expect(page.json.layerVersion).toBe(version);
      for (const f of page.json.features) {
        expect(seen.has(f.id), f.id).toBe(false);
        seen.add(f.id);
      }
      const prev = page.json.links.find((l: { rel: string }) => l.rel === 'prev')?.href as string;
      expect(new URL(prev).searchParams.get('version')).toBe(String(version));
      next = page.json.links.find((l: { rel: string }) => l.rel === 'next')?.href;
      pages++;
    }
    expect(pages).toBe(4);
    expect(seen.size).toBe(10);
    // the current layer is another version, with the new feature first and without the deleted one
    const now = await get('/ogc/collections/paging/items?limit=1');
    expect(now.json.layerVersion).toBe(version + 2);
    expect(now.json.features[0].id).toBe('A-00');
  });
});
