/**
 * Low-zoom generalisation (server/tiles/README.md): bulk parcels merge into pixel cells, shared
 * edges stay shared, legal (keep-all) features are never dropped, z14+ is exact — through HTTP
 * on the engine of this database, and through both engines where PostGIS has ST_AsMVT.
 */
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertLayer } from '../../server/layers/layer-registry.js';
import { writeLayerVersion } from '../../server/layers/layer-writes.js';
import { GeojsonVtTileEngine } from '../../server/tiles/engine-geojsonvt.js';
import { PostgisTileEngine, PREPARED_MIN_ZOOM } from '../../server/tiles/engine-postgis.js';
import { MERGE_BELOW_ZOOM, pixelMetres, ringArea2, SNAP_BELOW_ZOOM } from '../../server/tiles/generalisation.js';
import { tileAt, tileBoundsLonLat, type TileCoord } from '../../server/tiles/tile-math.js';
import { TileService } from '../../server/tiles/tile-service.js';
import type { TileEngine, TileLayerSource } from '../../server/tiles/tile-source.js';
import { decodeTile, type DecodedFeature } from '../helpers/mvt.js';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { usingPostgres } from '../helpers/test-db.js';

type Ring = [number, number][];
const square = (lon: number, lat: number, dLon: number, dLat: number): Ring => [
  [lon, lat],
  [lon + dLon, lat],
  [lon + dLon, lat + dLat],
  [lon, lat + dLat],
  [lon, lat],
];
const polygon = (id: string, ring: Ring, properties: Record<string, unknown>) => ({
  type: 'Feature' as const,
  id,
  properties,
  geometry: { type: 'Polygon' as const, coordinates: [ring] },
});

// 2,000 adjacent parcels of ~0.42 ha (one pixel at z8 is ~4.8 ha here): a bulk layer
const PARCELS = { lon: 125.7, lat: 44.5, cols: 40, rows: 50, dLon: 0.0008, dLat: 0.0006 };
// 100 specks of ~90 m² on the ground (~174 m² in Web Mercator: under a pixel² up to z12), 15 m apart: a bulk layer
const SPECKS = { lon: 125.66, lat: 44.56, n: 100 };
// 6×6 zones sharing jittered interior nodes (a coverage, like townships), plus one tiny zone
const ZONES = { lon: 125.62, lat: 44.52, n: 6, dLon: 0.01, dLat: 0.008 };
const jitter = (i: number, j: number, k: number) => (((i * 7919 + j * 104729 + k * 1299709) % 1000) / 1000 - 0.5) * 0.4;
function zoneNode(i: number, j: number): [number, number] {
  const inner = i > 0 && i < ZONES.n && j > 0 && j < ZONES.n;
  return [ZONES.lon + (i + (inner ? jitter(i, j, 1) : 0)) * ZONES.dLon, ZONES.lat + (j + (inner ? jitter(i, j, 2) : 0)) * ZONES.dLat];
}

describe(`low-zoom tile generalisation (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini');
  let service: TileService;

  beforeAll(async () => {
    service = new TileService(fx.db);
    const attrs = [{ name: 'name', label: '名称', type: 'string' as const }];
    await insertLayer(fx.db.kysely, { id: 'test-parcels', title: '测试图斑', kind: 'constraint', geometryType: 'Polygon', attributes: attrs });
    await insertLayer(fx.db.kysely, { id: 'test-zones', title: '测试分区', kind: 'zone', geometryType: 'Polygon', attributes: attrs });
    await insertLayer(fx.db.kysely, { id: 'test-circle', title: '测试红线', kind: 'constraint', geometryType: 'Polygon', attributes: attrs });
    await insertLayer(fx.db.kysely, { id: 'test-specks', title: '测试碎斑', kind: 'constraint', geometryType: 'Polygon', attributes: attrs });
    await sql`insert into tile_generalisation (layer_id, policy) values ('test-parcels', 'bulk'), ('test-specks', 'bulk')`.execute(fx.db.kysely);
    const specks = [];
    for (let i = 0; i < SPECKS.n; i++) {
      specks.push(polygon(`S-${i}`, square(SPECKS.lon + (i % 10) * 0.0003, SPECKS.lat + Math.floor(i / 10) * 0.0003, 0.0001, 0.0001), { name: `碎斑${i}` }));
    }
    await writeLayerVersion(fx.db.kysely, { layerId: 'test-specks', mode: 'replace', features: specks, author: 'test' });
    // a legal feature of ~0.3 m × 0.3 m: it vanishes even in the 4096 grid of z13 (one unit ≈ 1.4 m here)
    await insertLayer(fx.db.kysely, { id: 'test-dot', title: '测试微小红线', kind: 'constraint', geometryType: 'Polygon', attributes: attrs });
    await writeLayerVersion(fx.db.kysely, { layerId: 'test-dot', mode: 'replace', features: [polygon('D-1', square(125.68, 44.57, 0.000004, 0.000003), { name: '微小图斑' })], author: 'test' });
    const parcels = [];
    for (let c = 0; c < PARCELS.cols; c++) {
      for (let r = 0; r < PARCELS.rows; r++) {
        parcels.push(polygon(`P-${c}-${r}`, square(PARCELS.lon + c * PARCELS.dLon, PARCELS.lat + r * PARCELS.dLat, PARCELS.dLon, PARCELS.dLat), { name: `图斑${c}-${r}` }));
      }
    }
    await writeLayerVersion(fx.db.kysely, { layerId: 'test-parcels', mode: 'replace', features: parcels, author: 'test' });
    const zones = [];
    for (let i = 0; i < ZONES.n; i++) {
      for (let j = 0; j < ZONES.n; j++) {
        zones.push(polygon(`Z-${i}-${j}`, [zoneNode(i, j), zoneNode(i + 1, j), zoneNode(i + 1, j + 1), zoneNode(i, j + 1), zoneNode(i, j)], { name: `分区${i}-${j}` }));
      }
    }
    zones.push(polygon('Z-TINY', square(125.7, 44.53, 0.0001, 0.0001), { name: '微小分区' }));
    await writeLayerVersion(fx.db.kysely, { layerId: 'test-zones', mode: 'replace', features: zones, author: 'test' });
    const circle: Ring = [];
    for (let k = 0; k <= 64; k++) {
      const a = ((k % 64) / 64) * 2 * Math.PI;
      circle.push([125.75 + 0.004 * Math.cos(a), 44.55 + 0.003 * Math.sin(a)]);
    }
    await writeLayerVersion(fx.db.kysely, { layerId: 'test-circle', mode: 'replace', features: [polygon('C-1', circle, { name: '圆形红线' })], author: 'test' });
  });

  const url = (layers: string, t: TileCoord, q = '') => `/tiles/${layers}/${t.z}/${t.x}/${t.y}.pbf${q}`;
  const engines = (): TileEngine[] => (usingPostgres() ? [new PostgisTileEngine(fx.db.kysely), new GeojsonVtTileEngine(fx.db.kysely)] : [new GeojsonVtTileEngine(fx.db.kysely)]);
  const asPolicy = (sources: TileLayerSource[], generalisation: TileLayerSource['generalisation']) => sources.map((s) => ({ ...s, generalisation }));
  const area = (f: DecodedFeature) => f.geometry.reduce((s, ring) => s + ringArea2(ring), 0) / 2;

  it('the layers carry their policies: data, not code (bulk from tile_generalisation, keep-all by default)', async () => {
    const sources = await service.sources(['test-parcels', 'test-zones', 'permanent-farmland', 'admin-county']);
    expect(sources.map((s) => s.generalisation)).toEqual(['bulk', 'keep-all', 'bulk', 'keep-all']);
  });

  it('at z8 a bulk layer of many small adjacent parcels is a much smaller tile, its parcels merged into pixel cells', async () => {
    const t = tileAt(PARCELS.lon, PARCELS.lat, 8);
    const r = await fx.app.inject(url('test-parcels', t));
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-tile-generalised']).toBe('test-parcels=bulk');
    expect(r.headers['x-tile-merged']).toBe('test-parcels=2000');
    const layer = decodeTile(r.rawPayload)['test-parcels'];
    expect(layer.features.length).toBeGreaterThan(0);
    for (const f of layer.features) {
      expect(f.properties).toEqual({ merged: true });
      expect(f.id).toBeUndefined();
      for (const [x, y] of f.geometry.flat()) expect([x % 8, y % 8]).toEqual([0, 0]);
    }
    // the merged cells cover about the parcels' area (8×8 units per pixel cell)
    const drawn = layer.features.reduce((s, f) => s + Math.abs(area(f)), 0) / 64;
    const [parcelsPx] = (await sql<{ a: number }>`select sum(ST_Area(geom_3857)) / ${((2 * 20037508.342789244) / 256 / 512) ** 2}::float8 as a
      from features where layer_id = 'test-parcels' and valid_to is null`.execute(fx.db.kysely)).rows;
    expect(drawn / parcelsPx.a).toBeGreaterThan(0.8);
    expect(drawn / parcelsPx.a).toBeLessThan(1.25);
    for (const engine of engines()) {
      const sources = await service.sources(['test-parcels']);
      const exact = await engine.render(asPolicy(sources, 'exact'), t);
      const general = await engine.render(sources, t);
      expect(decodeTile(exact.body)['test-parcels'].features).toHaveLength(2000);
      expect(general.body.length, engine.name).toBeLessThan(exact.body.length / 20);
      expect(general.merged).toEqual({ 'test-parcels': 2000 });
    }
  });

  it('at z10 the same parcels (now over a pixel²) are each kept, snapped to the pixel grid', async () => {
    const r = await fx.app.inject(url('test-parcels', tileAt(PARCELS.lon, PARCELS.lat, 10)));
    expect(r.headers['x-tile-merged']).toBeUndefined();
    const fids = new Set(decodeTile(r.rawPayload)['test-parcels'].features.map((f) => f.properties.fid));
    expect(fids.size).toBe(2000);
  });

  it.each([8, 9, 10, 12, 13])('at z%i a bulk layer merges its sub-pixel parcels only below MERGE_BELOW_ZOOM; from there each is drawn', async (z) => {
    const t = tileAt(SPECKS.lon, SPECKS.lat, z);
    const r = await fx.app.inject(url('test-specks', t));
    const checks = [{ label: 'http', body: r.rawPayload, merged: r.headers['x-tile-merged'] ? Number(String(r.headers['x-tile-merged']).split('=')[1]) : 0 }];
    for (const engine of engines()) {
      const rendered = await engine.render(await service.sources(['test-specks']), t);
      checks.push({ label: engine.name, body: rendered.body, merged: rendered.merged['test-specks'] ?? 0 });
    }
    for (const { label, body, merged } of checks) {
      const features = decodeTile(body)['test-specks']?.features ?? [];
      if (z < MERGE_BELOW_ZOOM) {
        // merged, and too sparse to cover half a pixel cell: drawn as nothing, but counted
        expect(merged, label).toBe(SPECKS.n);
        expect(features, label).toEqual([]);
      } else {
        expect(merged, label).toBe(0);
        expect(new Set(features.map((f) => f.properties.fid)).size, label).toBe(SPECKS.n);
        // snapped: at least its pixel (8×8 units) and on the pixel grid; from SNAP_BELOW_ZOOM exact, off the grid
        for (const f of features) expect(Math.abs(area(f)), `${label} ${f.properties.fid}`).toBeGreaterThanOrEqual(z < SNAP_BELOW_ZOOM ? 64 : 1);
        const offGrid = features.some((f) => f.geometry.flat().some(([x, y]) => x % 8 !== 0 || y % 8 !== 0));
        expect(offGrid, label).toBe(z >= SNAP_BELOW_ZOOM);
      }
    }
  });

  it.each([12, 13])('at z%i a large feature whose part in the tile vanishes gets no pixel there (the pixel is only for a feature under a pixel²)', async (z) => {
    // A square annulus around one tile: its hole covers the tile and its buffer but for a strip 0.3
    // units wide along the buffer's east edge, so the tile draws nothing of it, while its bbox centre
    // is the tile's centre — a pixel drawn "for" it there would be where it is not.
    const t = tileAt(125.8, 44.6, z);
    const [w, s0, e, n] = tileBoundsLonLat(t);
    const unitLon = (e - w) / 4096;
    const unitLat = (n - s0) / 4096; // near enough at this scale: the strip is in longitude
    const bw = 64 * unitLon;
    const bh = 64 * unitLat;
    const hole: Ring = [[w - bw, s0 - bh], [e + bw - 0.3 * unitLon, s0 - bh], [e + bw - 0.3 * unitLon, n + bh], [w - bw, n + bh], [w - bw, s0 - bh]];
    const outer = square(w - 0.01, s0 - 0.01, e - w + 0.02, n - s0 + 0.02);
    const id = `test-annulus-${z}`;
    await insertLayer(fx.db.kysely, { id, title: '测试环形分区', kind: 'zone', geometryType: 'Polygon', attributes: [{ name: 'name', label: '名称', type: 'string' }] });
    await writeLayerVersion(fx.db.kysely, {
      layerId: id,
      mode: 'replace',
      features: [{ id: 'A-1', properties: { name: '环形' }, geometry: { type: 'Polygon', coordinates: [outer, hole.reverse()] } }],
      author: 'test',
    });
    const reaches = await sql<{ yes: boolean }>`select ST_Intersects(geom_3857, ST_TileEnvelope(${z}::int, ${t.x}::int, ${t.y}::int, margin => ${64 / 4096}::float8)) as yes
      from features where layer_id = ${id} and valid_to is null`.execute(fx.db.kysely);
    expect(reaches.rows[0].yes).toBe(true); // it does reach the buffered tile: the case is real
    const bodies = [{ label: 'http', body: (await fx.app.inject(url(id, t))).rawPayload }];
    for (const engine of engines()) bodies.push({ label: engine.name, body: (await engine.render(await service.sources([id]), t)).body });
    for (const { label, body } of bodies) expect(decodeTile(body)[id]?.features ?? [], label).toEqual([]);
  });

  // found by a review: a strip narrower than a grid unit but of more than a pixel² vanished at z12–13
  it.each([12, 13])('at z%i a keep-all strip 5 cm wide and 20 km long is drawn, as a pixel on it, by both engines', async (z) => {
    const id = `test-strip-${z}`;
    const [x0, y0] = [125.62, 44.52];
    const dLat = 0.05 / 111_000; // 5 cm: far under a grid unit (2.4 m at z12), so it cannot straddle one by chance
    const strip: Ring = [[x0, y0], [x0 + 0.25, y0], [x0 + 0.25, y0 + dLat], [x0, y0 + dLat], [x0, y0]]; // ~20 km east–west
    await insertLayer(fx.db.kysely, { id, title: '测试狭长红线', kind: 'constraint', geometryType: 'Polygon', attributes: [{ name: 'name', label: '名称', type: 'string' }] });
    await writeLayerVersion(fx.db.kysely, { layerId: id, mode: 'replace', features: [{ id: 'S-1', properties: { name: '狭长' }, geometry: { type: 'Polygon', coordinates: [strip] } }], author: 'test' });
    const m = await sql<{ a: number }>`select ST_Area(geom_3857) as a from features where layer_id = ${id} and valid_to is null`.execute(fx.db.kysely);
    expect(m.rows[0].a).toBeGreaterThan(pixelMetres(z) ** 2); // more than a pixel²: the tiny-feature pixel does not apply
    const t = tileAt(x0 + 0.001, y0, z);
    const bodies = [{ label: 'http', body: (await fx.app.inject(url(id, t))).rawPayload }];
    for (const engine of engines()) bodies.push({ label: engine.name, body: (await engine.render(await service.sources([id]), t)).body });
    for (const { label, body } of bodies) {
      const [f] = decodeTile(body)[id]?.features ?? [];
      expect(f?.properties.fid, label).toBe('S-1');
      expect(Math.abs(area(f)), label).toBe(64); // one pixel: 8 × 8 units
    }
  });

  it.each([10, 12, 13])('at z%i a keep-all feature too small for the 4096 grid is still drawn, as its pixel, by both engines', async (z) => {
    const t = tileAt(125.68, 44.57, z);
    const bodies = [{ label: 'http', body: (await fx.app.inject(url('test-dot', t))).rawPayload }];
    for (const engine of engines()) bodies.push({ label: engine.name, body: (await engine.render(await service.sources(['test-dot']), t)).body });
    for (const { label, body } of bodies) {
      const [dot] = decodeTile(body)['test-dot']?.features ?? [];
      expect(dot?.properties.fid, label).toBe('D-1');
      expect(dot.properties.name, label).toBe('微小图斑');
      expect(Math.abs(area(dot)), label).toBe(64);
    }
  });

  it.each([9, 10, 11])('adjacent zones keep their shared edges at z%i: the snapped cells tile their block with no gap or overlap', async (z) => {
    const t = tileAt(ZONES.lon, ZONES.lat, z);
    expect(tileAt(ZONES.lon + ZONES.n * ZONES.dLon, ZONES.lat + ZONES.n * ZONES.dLat, z)).toEqual(t);
    const check = (body: Buffer, label: string) => {
      const cells = decodeTile(body)['test-zones'].features.filter((f) => f.properties.fid !== 'Z-TINY');
      expect(cells, label).toHaveLength(36);
      const pts = cells.flatMap((f) => f.geometry.flat());
      for (const [x, y] of pts) expect([x % 8, y % 8], label).toEqual([0, 0]);
      const xs = pts.map((p) => p[0]);
      const ys = pts.map((p) => p[1]);
      const block = (Math.max(...xs) - Math.min(...xs)) * (Math.max(...ys) - Math.min(...ys));
      expect(block, label).toBeGreaterThan(0);
      // every cell keeps its area sign, and the cells' areas add up to the block exactly
      const areas = cells.map((f) => Math.abs(area(f)));
      expect(Math.min(...areas), label).toBeGreaterThan(0);
      expect(areas.reduce((a, b) => a + b, 0), label).toBe(block);
    };
    const r = await fx.app.inject(url('test-zones', t));
    expect(r.headers['x-tile-generalised']).toBe('test-zones=keep-all');
    check(r.rawPayload, 'http');
    for (const engine of engines()) check((await engine.render(await service.sources(['test-zones']), t)).body, engine.name);
  });

  it.each([5, 8, 10, 12, 13])('a legal (keep-all) feature is never missing at z%i: every zone in the tile is there, a sub-pixel one as a pixel', async (z) => {
    const t = tileAt(125.7, 44.53, z);
    const r = await fx.app.inject(url('test-zones,test-circle', t));
    expect(r.headers['x-tile-merged']).toBeUndefined();
    const decoded = decodeTile(r.rawPayload);
    const inTile = await sql<{ layer_id: string; fid: string }>`select layer_id, fid from features
      where layer_id in ('test-zones', 'test-circle') and valid_to is null and ST_Intersects(geom_3857, ST_TileEnvelope(${z}::int, ${t.x}::int, ${t.y}::int))`.execute(fx.db.kysely);
    expect(inTile.rows.length).toBeGreaterThan(0);
    for (const { layer_id, fid } of inTile.rows) expect(decoded[layer_id]?.features.some((f) => f.properties.fid === fid), `${layer_id} ${fid}`).toBe(true);
    const tiny = decoded['test-zones'].features.find((f) => f.properties.fid === 'Z-TINY')!;
    expect(tiny.properties.name).toBe('微小分区');
    expect(Math.abs(area(tiny))).toBeGreaterThanOrEqual(z < 12 ? 64 : 1);
  });

  it('from z14 up geometry is exact (no pixel snapping); below it is generalised', async () => {
    const primary = service.primary;
    for (const z of [14, 15, 16]) {
      const t = tileAt(125.75, 44.55, z);
      const r = await fx.app.inject(url('test-circle', t));
      expect(r.statusCode, `z${z}`).toBe(200);
      expect(r.headers['x-tile-generalised']).toBeUndefined();
      const sources = await service.sources(['test-circle']);
      expect(r.rawPayload.equals((await primary.render(asPolicy(sources, 'exact'), t)).body), `z${z}`).toBe(true);
      for (const engine of engines()) {
        const exact = decodeTile((await engine.render(asPolicy(sources, 'exact'), t)).body)['test-circle'].features[0];
        const served = decodeTile((await engine.render(sources, t)).body)['test-circle'].features[0];
        expect(served.geometry, `${engine.name} z${z}`).toEqual(exact.geometry);
        expect(served.geometry.flat().some(([x, y]) => x % 8 !== 0 || y % 8 !== 0)).toBe(true);
      }
    }
    const z10 = tileAt(125.75, 44.55, 10);
    const low = decodeTile((await fx.app.inject(url('test-circle', z10))).rawPayload)['test-circle'].features[0];
    const exact10 = decodeTile((await service.primary.render(asPolicy(await service.sources(['test-circle']), 'exact'), z10)).body)['test-circle'].features[0];
    expect(low.geometry[0].length).toBeLessThan(exact10.geometry[0].length);
    for (const [x, y] of low.geometry.flat()) expect([x % 8, y % 8]).toEqual([0, 0]);
  });

  // PostgreSQL runs current tiles as prepared statements with generic plans (Db.prepared); PGlite
  // has no ST_AsMVT, so no PostGIS engine and nothing prepared.
  /** every layer's features as decoded, in a canonical order */
  const sortedFeatures = (body: Buffer) =>
    Object.entries(decodeTile(body)).map(([name, l]) => [name, l.extent, l.features.map((f) => JSON.stringify(f)).sort()]);

  it.skipIf(!usingPostgres())('a prepared (generic-plan) current tile is the tile the unprepared statement draws (same features, ids, attributes, geometry), at every rule class', async () => {
    const labelled = await sql<{ id: string }>`select id from layers where label_field is not null and geometry_type like '%Polygon' order by id limit 2`.execute(fx.db.kysely);
    const layers = ['test-parcels', 'test-zones', 'test-circle', ...labelled.rows.map((r) => r.id)];
    const plain = new PostgisTileEngine(fx.db.kysely);
    // a tile service whose every prepared statement is counted
    const names = new Set<string>();
    let prepared = 0;
    const counting = { ...fx.db, prepared: <R,>(name: string, text: string, values: unknown[]) => (prepared++, names.add(name), fx.db.prepared!<R>(name, text, values)) };
    const fresh = new TileService(counting, { cacheBytes: 0 });
    let compared = 0;
    for (const z of [8, 10, 12, 13, 14, 16]) {
      for (const [lon, lat] of [[PARCELS.lon + 0.01, PARCELS.lat + 0.01], [ZONES.lon + 0.02, ZONES.lat + 0.02], [125.75, 44.55]]) {
        const t = tileAt(lon, lat, z);
        for (const id of layers) {
          const reference = (await plain.render(await service.sources([id]), t)).body;
          await fresh.tile([id], t); // a layer first seen: its shape is read, then the tile drawn
          const before = prepared;
          const served = await fresh.tile([id], t);
          expect(prepared, `${id} z${z}: prepared`).toBe(before + (z >= PREPARED_MIN_ZOOM ? 1 : 0));
          // the same features, ids, attributes and geometry; their order in the tile follows the
          // plan's scan order, which a generic plan may choose differently from a custom one
          expect(sortedFeatures(served.body), `${id} z${z}/${t.x}/${t.y}`).toEqual(sortedFeatures(reference));
          if (reference.length) compared++;
        }
      }
    }
    // one statement per layer and rule class (exact, kept, bulk), reused across tiles and zooms
    expect(names.size).toBeLessThanOrEqual(layers.length * 3);
    expect(names.size).toBeGreaterThan(layers.length);
    expect(compared).toBeGreaterThan(20);
    // generic plans on the prepared pool only: the main pool keeps custom plans (values such as layer ids matter there)
    const [generic] = await fx.db.prepared!<{ mode: string }>('test_plan_cache_mode', 'select current_setting($1) as mode', ['plan_cache_mode']);
    expect(generic.mode).toBe('force_generic_plan');
    const main = await sql<{ mode: string }>`select current_setting('plan_cache_mode') as mode`.execute(fx.db.kysely);
    expect(main.rows[0].mode).toBe('auto');
  });

  it('a cached (versioned) tile says how it was generalised too', async () => {
    const t = tileAt(PARCELS.lon, PARCELS.lat, 8);
    const first = await fx.app.inject(url('test-parcels,test-zones', t, '?v=1.1'));
    const again = await fx.app.inject(url('test-parcels,test-zones', t, '?v=1.1'));
    expect(again.headers['x-tile-cache']).toBe('hit');
    for (const r of [first, again]) {
      expect(r.headers['x-tile-generalised']).toBe('test-parcels=bulk,test-zones=keep-all');
      expect(r.headers['x-tile-merged']).toBe('test-parcels=2000');
    }
  });

  it.runIf(usingPostgres())('ST_AsMVT and geojson-vt take the same generalisation decisions (features and attributes)', async () => {
    const sources = await service.sources(['test-parcels', 'test-zones', 'test-circle', 'permanent-farmland', 'admin-county']);
    const [pg, mem] = engines();
    const key = (f: DecodedFeature) => JSON.stringify([f.id, f.properties]);
    for (const t of [tileAt(125.7, 44.5, 8), tileAt(125.7, 44.5, 9), tileAt(125.7, 44.5, 10), tileAt(125.65, 44.53, 12), tileAt(125.75, 44.55, 14)]) {
      const a = await pg.render(sources, t);
      const b = await mem.render(sources, t);
      expect(a.merged, `${t.z}/${t.x}/${t.y}`).toEqual(b.merged);
      const da = decodeTile(a.body);
      const dbb = decodeTile(b.body);
      expect(Object.keys(da).sort()).toEqual(Object.keys(dbb).sort());
      for (const name of Object.keys(da)) {
        expect(da[name].features.map(key).sort(), `${name} at ${t.z}/${t.x}/${t.y}`).toEqual(dbb[name].features.map(key).sort());
      }
    }
  });
});
