/**
 * Label points (server/tiles/README.md, "Labels"): a labelled polygon layer's tiles carry the MVT
 * layer "<layer id>_label" with one stored point per feature, so across all tiles of a zoom that
 * cover a polygon its label point lies in exactly one tile (buffer copies aside) — the fix for
 * names drawn once per tile piece. Through HTTP on this database's engine, and through both
 * engines where PostGIS has ST_AsMVT.
 */
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertLayer } from '../../server/layers/layer-registry.js';
import { writeLayerVersion } from '../../server/layers/layer-writes.js';
import { GeojsonVtTileEngine } from '../../server/tiles/engine-geojsonvt.js';
import { PostgisTileEngine } from '../../server/tiles/engine-postgis.js';
import { tileAt, type TileCoord } from '../../server/tiles/tile-math.js';
import { TileService } from '../../server/tiles/tile-service.js';
import { labelLayerName, MVT_EXTENT, type TileEngine } from '../../server/tiles/tile-source.js';
import { decodeTile, type DecodedFeature } from '../helpers/mvt.js';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { usingPostgres } from '../helpers/test-db.js';

type Ring = [number, number][];
const polygon = (id: string, rings: Ring[], properties: Record<string, unknown>) => ({
  type: 'Feature' as const,
  id,
  properties,
  geometry: { type: 'Polygon' as const, coordinates: rings },
});
const rect = (lon: number, lat: number, dLon: number, dLat: number): Ring => [
  [lon, lat],
  [lon + dLon, lat],
  [lon + dLon, lat + dLat],
  [lon, lat + dLat],
  [lon, lat],
];
// a U open to the north, over 125.62–125.68 E, 44.42–44.48 N: its centroid lies in the notch, outside it
const U_SHAPE: Ring = [
  [125.62, 44.42],
  [125.68, 44.42],
  [125.68, 44.48],
  [125.665, 44.48],
  [125.665, 44.435],
  [125.635, 44.435],
  [125.635, 44.48],
  [125.62, 44.48],
  [125.62, 44.42],
];

/** every tile of zoom z over a lon/lat box */
function tilesOver(box: [number, number, number, number], z: number): TileCoord[] {
  const a = tileAt(box[0], box[3], z);
  const b = tileAt(box[2], box[1], z);
  const out: TileCoord[] = [];
  for (let x = a.x; x <= b.x; x++) for (let y = a.y; y <= b.y; y++) out.push({ z, x, y });
  return out;
}

/** a point in the tile proper (0 ≤ x, y < 4096): not a copy in the buffer of a neighbour */
const inTileProper = (f: DecodedFeature) => f.geometry.flat().every(([x, y]) => x >= 0 && x < MVT_EXTENT && y >= 0 && y < MVT_EXTENT);

/** lon/lat of a point of tile t given in tile units */
function lonLat(t: TileCoord, [x, y]: [number, number]): [number, number] {
  const n = 2 ** t.z;
  const gx = (t.x + x / MVT_EXTENT) / n;
  const gy = (t.y + y / MVT_EXTENT) / n;
  return [gx * 360 - 180, (Math.atan(Math.sinh(Math.PI * (1 - 2 * gy))) * 180) / Math.PI];
}

describe(`label points in tiles (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini');
  let service: TileService;
  // the mini county: one labelled square over 125.6–125.8 E, 44.4–44.6 N
  const COUNTY: [number, number, number, number] = [125.6, 44.4, 125.8, 44.6];

  beforeAll(async () => {
    service = new TileService(fx.db);
    const attrs = [
      { name: 'name', label: '名称', type: 'string' as const },
      { name: 'code', label: '编号', type: 'string' as const },
    ];
    await insertLayer(fx.db.kysely, { id: 'test-blocks', title: '测试区块', kind: 'block', geometryType: 'Polygon', attributes: attrs, labelField: 'name' });
    await insertLayer(fx.db.kysely, { id: 'test-late', title: '后设注记', kind: 'zone', geometryType: 'Polygon', attributes: attrs });
    await insertLayer(fx.db.kysely, { id: 'test-bulk', title: '测试图斑', kind: 'constraint', geometryType: 'Polygon', attributes: attrs, labelField: 'name' });
    await sql`insert into tile_generalisation (layer_id, policy) values ('test-bulk', 'bulk')`.execute(fx.db.kysely);
    await writeLayerVersion(fx.db.kysely, {
      layerId: 'test-blocks',
      mode: 'replace',
      features: [
        polygon('B-U', [U_SHAPE], { name: '松花江镇建筑用砂开采规划区块（一）', code: 'CK01' }),
        // smaller than a pixel at z8: a keep-all layer keeps it, and its label
        polygon('B-TINY', [rect(125.75, 44.45, 0.0001, 0.0001)], { name: '微小区块', code: 'CK02' }),
      ],
      author: 'test',
    });
    await writeLayerVersion(fx.db.kysely, { layerId: 'test-late', mode: 'replace', features: [polygon('L-1', [rect(125.7, 44.42, 0.05, 0.04)], { name: '后设分区', code: 'L1' })], author: 'test' });
    await writeLayerVersion(fx.db.kysely, {
      layerId: 'test-bulk',
      mode: 'replace',
      features: [polygon('P-BIG', [rect(125.6, 44.56, 0.03, 0.02)], { name: '大图斑', code: 'P1' }), polygon('P-SMALL', [rect(125.64, 44.56, 0.0002, 0.0002)], { name: '小图斑', code: 'P2' })],
      author: 'test',
    });
  });

  const url = (layers: string, t: TileCoord, q = '') => `/tiles/${layers}/${t.z}/${t.x}/${t.y}.pbf${q}`;
  const engines = (): TileEngine[] => (usingPostgres() ? [new PostgisTileEngine(fx.db.kysely), new GeojsonVtTileEngine(fx.db.kysely)] : [new GeojsonVtTileEngine(fx.db.kysely)]);
  const labelsOf = (body: Buffer, layerId: string) => decodeTile(body)[labelLayerName(layerId)]?.features ?? [];

  /** over every tile of zoom z covering box: the label features of fid lying in the tile proper, with their tile */
  async function placements(render: (t: TileCoord) => Promise<Buffer>, layerId: string, fid: string, box: [number, number, number, number], z: number) {
    const tiles = tilesOver(box, z);
    const found: { tile: TileCoord; feature: DecodedFeature }[] = [];
    let withPolygon = 0;
    for (const t of tiles) {
      const body = await render(t);
      const decoded = decodeTile(body);
      if (decoded[layerId]?.features.some((f) => f.properties.fid === fid)) withPolygon++;
      for (const f of decoded[labelLayerName(layerId)]?.features ?? []) if (f.properties.fid === fid && inTileProper(f)) found.push({ tile: t, feature: f });
    }
    return { tiles: tiles.length, withPolygon, found };
  }

  it.each([8, 10, 11, 12, 13])('the county spanning several tiles at z%i has its label point in exactly one tile (HTTP)', async (z) => {
    const http = async (t: TileCoord) => (await fx.app.inject(url('admin-county', t))).rawPayload;
    const { tiles, withPolygon, found } = await placements(http, 'admin-county', 'C1', COUNTY, z);
    if (z >= 10) expect(withPolygon, 'the polygon is cut into several tiles').toBeGreaterThan(1);
    expect(withPolygon).toBe(tiles);
    expect(found, `label placements at z${z}`).toHaveLength(1);
    const [{ tile, feature }] = found;
    expect(feature.type).toBe(1);
    expect(feature.properties).toEqual({ fid: 'C1', name: '测试县' });
    // a square's label point is its centre (pole of inaccessibility), well inside the county
    const [lon, lat] = lonLat(tile, feature.geometry[0][0]);
    expect(lon).toBeGreaterThan(125.69);
    expect(lon).toBeLessThan(125.71);
    expect(lat).toBeGreaterThan(44.49);
    expect(lat).toBeLessThan(44.51);
  });

  it.each([10, 12, 13])('a U-shaped block has one label point per zoom (z%i), on the block, from every engine', async (z) => {
    const box: [number, number, number, number] = [125.62, 44.42, 125.68, 44.48];
    for (const engine of engines()) {
      const sources = await service.sources(['test-blocks']);
      const { withPolygon, found } = await placements(async (t) => (await engine.render(sources, t)).body, 'test-blocks', 'B-U', box, z);
      if (z >= 12) expect(withPolygon, engine.name).toBeGreaterThan(1);
      expect(found, `${engine.name} z${z}`).toHaveLength(1);
      expect(found[0].feature.properties, engine.name).toEqual({ fid: 'B-U', name: '松花江镇建筑用砂开采规划区块（一）' });
      // inside the U (one of its arms), not in the notch where its centroid is
      const [lon, lat] = lonLat(found[0].tile, found[0].feature.geometry[0][0]);
      const inside = await sql<{ inside: boolean }>`select ST_Contains(geom, ST_SetSRID(ST_MakePoint(${lon}::float8, ${lat}::float8), 4490)) as inside
        from features where layer_id = 'test-blocks' and fid = 'B-U' and valid_to is null`.execute(fx.db.kysely);
      expect(inside.rows[0].inside, `${engine.name} z${z} (${lon}, ${lat})`).toBe(true);
    }
  });

  it('every stored label point lies on its polygon, and only labelled polygon layers have them', async () => {
    const rows = await sql<{ layer_id: string; n: number; inside: number }>`
      select p.layer_id, count(*)::int as n, count(*) filter (where ST_Intersects(f.geom_3857, p.point))::int as inside
      from tile_label_points p join features f on f.id = p.feature_id group by p.layer_id order by p.layer_id`.execute(fx.db.kysely);
    expect(rows.rows.map((r) => r.layer_id)).toEqual(['admin-county', 'test-blocks', 'test-bulk']);
    for (const r of rows.rows) expect(r.inside, r.layer_id).toBe(r.n);
  });

  it('the label layer carries the same MVT id, fid and the label attribute only; an unlabelled layer has none', async () => {
    const t = tileAt(125.65, 44.43, 12);
    const decoded = decodeTile((await fx.app.inject(url('test-blocks,permanent-farmland', t))).rawPayload);
    const poly = decoded['test-blocks'].features.find((f) => f.properties.fid === 'B-U')!;
    expect(poly.properties).toMatchObject({ name: '松花江镇建筑用砂开采规划区块（一）', code: 'CK01' });
    const all = await Promise.all(tilesOver([125.62, 44.42, 125.68, 44.48], 12).map(async (x) => labelsOf((await fx.app.inject(url('test-blocks', x))).rawPayload, 'test-blocks')));
    const label = all.flat().find((f) => f.properties.fid === 'B-U')!;
    expect(label.id).toBe(poly.id);
    expect(Object.keys(label.properties).sort()).toEqual(['fid', 'name']);
    expect(Object.keys(decoded).some((k) => k.startsWith('permanent-farmland_'))).toBe(false);
  });

  it('keep-all: a sub-pixel feature keeps its label point at low zoom; bulk: a parcel merged into a pixel cell has none', async () => {
    const z8 = tileAt(125.75, 44.45, 8);
    const blocks = labelsOf((await fx.app.inject(url('test-blocks', z8))).rawPayload, 'test-blocks');
    expect(blocks.find((f) => f.properties.fid === 'B-TINY')?.properties.name).toBe('微小区块');
    for (const engine of engines()) {
      const sources = await service.sources(['test-bulk']);
      const low = labelsOf((await engine.render(sources, tileAt(125.64, 44.56, 8))).body, 'test-bulk').map((f) => f.properties.fid);
      expect(low, `${engine.name} z8`).toEqual(['P-BIG']);
      const z14 = await placements(async (t) => (await engine.render(sources, t)).body, 'test-bulk', 'P-SMALL', [125.64, 44.56, 125.6402, 44.5602], 14);
      expect(z14.found, `${engine.name} z14: exact, every parcel labelled`).toHaveLength(1);
    }
  });

  it('a write moves the label with the feature; ?version= still draws the old point', async () => {
    const box: [number, number, number, number] = [125.6, 44.4, 125.8, 44.6];
    const where = async (q: string) => {
      const { found } = await placements(async (t) => (await fx.app.inject(url('test-late', t, q))).rawPayload, 'test-late', 'L-1', box, 10);
      expect(found).toHaveLength(1);
      return lonLat(found[0].tile, found[0].feature.geometry[0][0]);
    };
    // test-late has no label field yet: no label layer at all (z11: tiles already cached keep their
    // form until the layer's next version, as after any change of a layer's shape, README)
    const before = await fx.app.inject(url('test-late', tileAt(125.725, 44.44, 11)));
    expect(decodeTile(before.rawPayload)['test-late'].features).toHaveLength(1);
    expect(labelsOf(before.rawPayload, 'test-late')).toEqual([]);
    // an operator sets the label field: the stored rows get their points, and the next tile drawn carries them
    await sql`update layers set label_field = 'name' where id = 'test-late'`.execute(fx.db.kysely);
    const [lon1] = await where('');
    expect(lon1).toBeCloseTo(125.725, 2);
    await writeLayerVersion(fx.db.kysely, { layerId: 'test-late', mode: 'replace', features: [polygon('L-1', [rect(125.6, 44.5, 0.05, 0.04)], { name: '后设分区', code: 'L1' })], author: 'test' });
    const [lon2, lat2] = await where('');
    expect(lon2).toBeCloseTo(125.625, 2);
    expect(lat2).toBeCloseTo(44.52, 2);
    const [lonOld] = await where('?version=1');
    expect(lonOld).toBeCloseTo(125.725, 2);
  });

  it('deleted feature rows lose their label points', async () => {
    await insertLayer(fx.db.kysely, { id: 'test-gone', title: '删除测试', kind: 'zone', geometryType: 'Polygon', attributes: [{ name: 'name', label: '名称', type: 'string' }], labelField: 'name' });
    await writeLayerVersion(fx.db.kysely, { layerId: 'test-gone', mode: 'replace', features: [polygon('G-1', [rect(125.7, 44.5, 0.01, 0.01)], { name: '将删除' })], author: 'test' });
    const count = async () => (await sql<{ n: number }>`select count(*)::int as n from tile_label_points where layer_id = 'test-gone'`.execute(fx.db.kysely)).rows[0].n;
    expect(await count()).toBe(1);
    await sql`delete from layers where id = 'test-gone'`.execute(fx.db.kysely);
    expect(await count()).toBe(0);
  });

  it('TileJSON lists the label layer with a Chinese description; the style labels from it and stays valid', async () => {
    const tj = (await fx.app.inject('/tiles/admin-county,permanent-farmland.json')).json();
    expect(tj.vector_layers.map((l: { id: string }) => l.id)).toEqual(['admin-county', 'admin-county_label', 'permanent-farmland']);
    const label = tj.vector_layers[1];
    expect(label.description).toMatch(/^测试县注记点/);
    expect(label.fields).toEqual({ fid: '要素编号 (文本)', name: '名称 (文本)' });
    const style = (await fx.app.inject({ url: '/styles/default.json', headers: { host: 'gis.test' } })).json();
    expect(validateStyleMin(style)).toEqual([]);
    const county = style.layers.find((l: { id: string }) => l.id === 'admin-county-label');
    expect(county).toMatchObject({ type: 'symbol', source: 'admin-county', 'source-layer': 'admin-county_label', layout: { 'text-field': ['get', 'name'], 'symbol-placement': 'point' } });
    // the polygon layers keep their fills and lines on the layer's own MVT layer
    for (const l of style.layers.filter((x: { type: string; source?: string }) => x.source && x.type !== 'symbol')) expect(l['source-layer']).toBe(l.source);
    for (const l of style.layers.filter((x: { type: string }) => x.type === 'symbol')) expect(l['source-layer']).toBe(`${l.source}_label`);
    const urls = JSON.stringify(style).match(/https?:\/\/[^"]+/g) ?? [];
    for (const u of urls) expect(u.startsWith('http://gis.test/')).toBe(true);
  });

  it.runIf(usingPostgres())('ST_AsMVT and geojson-vt give the same label points (ids, attributes, positions within a unit)', async () => {
    const sources = await service.sources(['admin-county', 'test-blocks', 'test-bulk', 'test-late']);
    const [pg, mem] = engines();
    const tiles = [8, 10, 12, 13].flatMap((z) => tilesOver(COUNTY, z));
    let compared = 0;
    for (const t of tiles) {
      const a = decodeTile((await pg.render(sources, t)).body);
      const b = decodeTile((await mem.render(sources, t)).body);
      expect(Object.keys(a).sort(), `${t.z}/${t.x}/${t.y}`).toEqual(Object.keys(b).sort());
      for (const name of Object.keys(a).filter((k) => k.endsWith('_label'))) {
        const byKey = (fs: DecodedFeature[]) => new Map(fs.map((f) => [JSON.stringify([f.id, f.properties]), f.geometry[0][0]]));
        const pa = byKey(a[name].features);
        const pb = byKey(b[name].features);
        expect([...pa.keys()].sort(), `${name} at ${t.z}/${t.x}/${t.y}`).toEqual([...pb.keys()].sort());
        for (const [k, [x, y]] of pa) {
          const [x2, y2] = pb.get(k)!;
          expect(Math.abs(x - x2) + Math.abs(y - y2), `${name} ${k} at ${t.z}/${t.x}/${t.y}`).toBeLessThanOrEqual(2);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(10);
  });
});
