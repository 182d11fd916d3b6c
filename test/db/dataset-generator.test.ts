/**
 * Invariants of the generated dataset in data/ (run `npm run data:generate` first).
 *
 * Opens its own PGlite + PostGIS (data directory under os.tmpdir(); the first start unpacks
 * PostGIS, 10–30 s) and loads the GeoJSON files. Every assertion is a plain function from
 * bench/dataset/invariants.ts, so the suite can move onto the shared DB harness unchanged.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import type { FeatureCollection } from 'geojson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAYERS, LAYER_IDS } from '../../bench/dataset/catalog.ts';
import { EXPECTED_SITUATIONS } from '../../bench/dataset/check-all.ts';
import { openPglite } from '../../bench/dataset/db.ts';
import { generateFarmlandParcels } from '../../bench/dataset/farmland.ts';
import * as inv from '../../bench/dataset/invariants.ts';
import { OFFICIAL_AREA_KM2 } from '../../bench/dataset/outline.ts';
import { loadDataset, tableName } from '../../bench/dataset/pg-tables.ts';
import { fromGK, fromGKFast, toGK } from '../../bench/dataset/projection.ts';
import { findSituations, unintendedConflicts, type Situation } from '../../bench/dataset/situations.ts';
import { TOWNSHIPS } from '../../bench/dataset/townships.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const geoDir = path.join(root, 'data', 'geojson');
const hasData = existsSync(path.join(geoDir, 'layers.json'));

describe.skipIf(!hasData)('generated dataset (data/)', () => {
  let db: PGlite;
  let fcs: Map<string, FeatureCollection>;
  const dataDirName = `dehui-dataset-test-${process.pid}`;

  beforeAll(async () => {
    // one directory per process: two test runs at once (embedded and PostgreSQL) must not share it
    db = await openPglite(dataDirName);
    fcs = await loadDataset(db, geoDir, LAYER_IDS);
  }, 240_000);
  afterAll(async () => {
    await db?.close();
    rmSync(path.join(tmpdir(), dataDirName), { recursive: true, force: true });
  });

  it('layers.json lists exactly the 13 layers, each file present', () => {
    const catalog = JSON.parse(readFileSync(path.join(geoDir, 'layers.json'), 'utf8')) as { id: string }[];
    expect(catalog.map((l) => l.id).sort()).toEqual([
      'admin-county', 'admin-townships', 'cultivated-land', 'ecological-redline', 'exploration-blocks', 'exploration-rights',
      'key-development-areas', 'key-exploration-zones', 'key-mining-zones', 'mining-blocks', 'mining-rights', 'permanent-farmland', 'urban-boundary',
    ]);
    expect(catalog).toEqual(JSON.parse(JSON.stringify(LAYERS)));
  });

  it('attributes in layers.json match the properties present', () => {
    for (const layer of LAYERS) expect(inv.attributeProblems(layer, fcs.get(layer.id)!), layer.id).toEqual([]);
  });

  it('ids are strings, unique per layer', () => {
    for (const id of LAYER_IDS) expect(inv.duplicateIds(fcs.get(id)!), id).toEqual([]);
  });

  it('geometries are RFC 7946: closed, outer rings CCW, ≤ 7 decimals', () => {
    for (const id of LAYER_IDS) expect(inv.geometryFormProblems(fcs.get(id)!), id).toEqual([]);
  });

  it('every feature is valid (ST_IsValid) after rounding', async () => {
    expect(await inv.invalidFeatures(db, LAYER_IDS)).toEqual([]);
  }, 120_000);

  it('county area is 3322.24 km² ± 2 % (ellipsoidal)', async () => {
    const km2 = await inv.countyAreaKm2(db);
    expect(Math.abs(km2 - OFFICIAL_AREA_KM2) / OFFICIAL_AREA_KM2).toBeLessThan(0.02);
  });

  it('the 20 townships are an exact coverage of the county', async () => {
    const c = await inv.townshipCoverage(db);
    expect(c.count).toBe(20);
    expect(c.codes).toEqual(TOWNSHIPS.map((t) => t.code).sort());
    expect(c.unionRelDiff).toBeLessThan(1e-6);
    expect(c.maxPairOverlapM2).toBeLessThanOrEqual(1);
    expect(c.gapOrSpillM2).toBeLessThanOrEqual(1);
    expect(c.invalidEdges).toBe(0);
  }, 120_000);

  it('features lie inside the county, except the documented case (e)', async () => {
    const documented = JSON.parse(readFileSync(path.join(root, 'data', 'deliberate-cases.json'), 'utf8')) as Situation[];
    const e = documented.find((s) => s.key === 'e')!.hits.map((h) => `${h.layer}:${h.id}`);
    expect(e.length).toBeGreaterThan(0);
    expect(await inv.featuresOutsideCounty(db, LAYER_IDS)).toEqual(e);
  }, 120_000);

  it('the deliberate situations are exactly the documented ones', async () => {
    const documented = JSON.parse(readFileSync(path.join(root, 'data', 'deliberate-cases.json'), 'utf8')) as Situation[];
    const found = await findSituations(db);
    const ids = (s: Situation[]) => s.map((x) => ({ key: x.key, ids: x.hits.map((h) => h.id), against: x.hits.map((h) => h.against.ids) }));
    expect(ids(found)).toEqual(ids(documented));
    for (const s of found) expect(s.hits.map((h) => h.code).sort(), s.key).toEqual([...EXPECTED_SITUATIONS[s.key]].sort());
    expect(await unintendedConflicts(db)).toEqual([]);
  }, 180_000);

  it('permanent farmland: ≥ 20 000 parcels, 0.5–6 ha, no overlaps (every 5th parcel checked)', async () => {
    expect(fcs.get('permanent-farmland')!.features.length).toBeGreaterThanOrEqual(20000);
    const r = await db.query<{ lo: number; hi: number }>(`SELECT min(ST_Area(geom::geography)) lo, max(ST_Area(geom::geography)) hi FROM ${tableName('permanent-farmland')}`);
    expect(r.rows[0].lo).toBeGreaterThanOrEqual(5000);
    expect(r.rows[0].hi).toBeLessThanOrEqual(60000);
    expect(await inv.overlappingPairs(db, 'permanent-farmland', { sampleEvery: 5 })).toEqual([]);
  }, 180_000);

  it('cultivated land covers more than the farmland, and holds every parcel', async () => {
    expect(await inv.layerAreaM2(db, 'cultivated-land')).toBeGreaterThan(await inv.layerAreaM2(db, 'permanent-farmland'));
    const r = await db.query<{ n: number }>(`SELECT count(*)::int n FROM ${tableName('permanent-farmland')} p
      WHERE NOT EXISTS (SELECT 1 FROM ${tableName('cultivated-land')} c WHERE ST_Covers(c.geom, p.geom))`);
    expect(r.rows[0].n).toBe(0);
  }, 120_000);

  it('the TypeScript Gauss-Kruger projection matches PostGIS ST_Transform (EPSG:4551)', async () => {
    for (const [lon, lat] of [[125.25, 44.05], [125.7, 44.53], [126.39, 44.88], [126.0, 44.4]]) {
      const r = await db.query<{ x: number; y: number }>(`SELECT ST_X(g) x, ST_Y(g) y FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4490), 4551) g) s`, [lon, lat]);
      const [x, y] = toGK(lon, lat);
      expect(Math.hypot(x - r.rows[0].x, y - r.rows[0].y)).toBeLessThan(1e-3);
      const [lo, la] = fromGKFast(x, y);
      expect(Math.abs(lo - lon) + Math.abs(la - lat)).toBeLessThan(1e-10);
      expect(fromGK(x, y)[1]).toBeCloseTo(lat, 10);
    }
  });
});

describe('generateFarmlandParcels (benchmark layer)', () => {
  it('is deterministic and gives exactly `count` realistic parcels', () => {
    const a = generateFarmlandParcels(3000, 42);
    const b = generateFarmlandParcels(3000, 42);
    expect(a.length).toBe(3000);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.stringify(generateFarmlandParcels(3000, 43))).not.toBe(JSON.stringify(a));
    expect(inv.duplicateIds({ type: 'FeatureCollection', features: a })).toEqual([]);
    expect(inv.geometryFormProblems({ type: 'FeatureCollection', features: a })).toEqual([]);
    for (const f of a) {
      const n = f.geometry.coordinates[0].length - 1;
      expect(n).toBeGreaterThanOrEqual(4);
      expect(n).toBeLessThanOrEqual(10);
      const ha = f.properties!.area_ha as number;
      expect(ha).toBeGreaterThanOrEqual(0.5);
      expect(ha).toBeLessThanOrEqual(6);
    }
  }, 60_000);
});
