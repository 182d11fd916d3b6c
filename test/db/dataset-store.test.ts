/**
 * The Dehui dataset as the service stores it (the seeded template), on PGlite and PostgreSQL:
 * the county's ellipsoidal area, an exact township coverage, valid features inside the county,
 * unique ids, and the scale the issue asks for. The generator's own, finer checks are in
 * dataset-generator.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listLayers } from '../../server/layers/layer-registry.js';
import { DEHUI_DIR } from '../helpers/templates.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

const LAYER_IDS = [
  'admin-county', 'admin-townships', 'cultivated-land', 'ecological-redline', 'exploration-blocks', 'exploration-rights',
  'key-development-areas', 'key-exploration-zones', 'key-mining-zones', 'mining-blocks', 'mining-rights', 'permanent-farmland', 'urban-boundary',
];

describe(`the seeded Dehui dataset (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openTestDb('dehui');
  });
  afterAll(() => db?.dispose());
  const one = async <T>(q: ReturnType<typeof sql<T>>) => (await q.execute(db.kysely)).rows[0];

  it('has every layer of domain.md §1, each at version 1', async () => {
    const layers = await listLayers(db.kysely);
    expect(layers.map((l) => l.id).sort()).toEqual(LAYER_IDS);
    expect(new Set(layers.map((l) => l.version))).toEqual(new Set([1]));
    const farmland = layers.find((l) => l.id === 'permanent-farmland')!;
    expect(farmland.featureCount).toBeGreaterThanOrEqual(20_000);
    expect(layers.find((l) => l.id === 'mining-rights')!.featureCount).toBe(3);
    expect(layers.find((l) => l.id === 'admin-townships')!.featureCount).toBe(20);
  });

  it('the county is 3322.24 km² ± 2 % (ellipsoidal) inside E125°14′–126°24′, N44°02′–44°53′', async () => {
    const r = await one(sql<{ km2: number; x1: number; y1: number; x2: number; y2: number }>`
      select ST_Area(geom::geography) / 1e6 as km2, ST_XMin(geom) as x1, ST_YMin(geom) as y1, ST_XMax(geom) as x2, ST_YMax(geom) as y2
      from features where layer_id = 'admin-county' and valid_to is null`);
    expect(Math.abs(r.km2 - 3322.24) / 3322.24).toBeLessThan(0.02);
    expect(r.x1).toBeGreaterThanOrEqual(125 + 14 / 60);
    expect(r.x2).toBeLessThanOrEqual(126 + 24 / 60);
    expect(r.y1).toBeGreaterThanOrEqual(44 + 2 / 60);
    expect(r.y2).toBeLessThanOrEqual(44 + 53 / 60);
  });

  it('the 20 townships tile the county: no gap, no overlap', async () => {
    const r = await one(sql<{ union_diff: number; overlap: number; codes: string[] }>`
      with t as (select fid, properties, geom from features where layer_id = 'admin-townships' and valid_to is null),
           c as (select geom from features where layer_id = 'admin-county' and valid_to is null)
      select ST_Area(ST_SymDifference((select ST_Union(geom) from t), (select geom from c))::geography) as union_diff,
             (select coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography)), 0) from t a join t b
                on a.fid < b.fid and a.geom && b.geom and ST_Relate(a.geom, b.geom, '2********')) as overlap,
             (select array_agg(properties->>'code' order by properties->>'code') from t) as codes`);
    expect(r.union_diff).toBeLessThan(1);
    expect(r.overlap).toBeLessThan(1);
    expect(r.codes).toEqual(expect.arrayContaining(['220183001', '220183002', '220183003', '220183004', '220183100', '220183109', '220183200', '220183203']));
  });

  it('every stored feature is valid, and all but the documented case lie inside the county', async () => {
    const invalid = await one(sql<{ n: number }>`select count(*)::int as n from features where valid_to is null and not ST_IsValid(geom)`);
    expect(invalid.n).toBe(0);
    const outside = await sql<{ layer_id: string; fid: string }>`
      select f.layer_id, f.fid from features f, (select geom from features where layer_id = 'admin-county' and valid_to is null) c
      where f.valid_to is null and f.layer_id <> 'admin-county'
        and not ST_CoveredBy(f.geom, c.geom) and ST_Area(ST_Difference(f.geom, c.geom)::geography) > 1`.execute(db.kysely);
    const cases = JSON.parse(fs.readFileSync(path.join(DEHUI_DIR, '../deliberate-cases.json'), 'utf8')) as unknown;
    expect(JSON.stringify(cases)).toContain(outside.rows[0]?.fid ?? 'none');
    expect(outside.rows.map((r) => r.fid)).toEqual(['MB-000004']);
  });

  it('feature ids are unique within each layer', async () => {
    const dupes = await sql`select layer_id, fid from features where valid_to is null group by 1, 2 having count(*) > 1`.execute(db.kysely);
    expect(dupes.rows).toEqual([]);
  });
});
