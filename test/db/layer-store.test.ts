import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readItems } from '../../server/layers/feature-reads.js';
import { getLayer, listLayers } from '../../server/layers/layer-registry.js';
import { writeLayerVersion, writeStagedInTransaction, type FeatureInput } from '../../server/layers/layer-writes.js';
import { seedDataset } from '../../server/layers/seed.js';
import { listVersions } from '../../server/layers/versions.js';
import { ROOT } from '../helpers/templates.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

const MINI = path.join(ROOT, 'test/fixtures/mini');
const square = (x: number, y: number, d: number) => ({
  type: 'Polygon',
  coordinates: [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]],
});

async function snapshot(db: TestDb) {
  const layer = await getLayer(db.kysely, 'permanent-farmland');
  const rows = await sql<{ n: number }>`select count(*)::int as n from features where layer_id = 'permanent-farmland'`.execute(db.kysely);
  return { version: layer.version, featureCount: layer.featureCount, rows: rows.rows[0].n };
}

describe(`versioned layer store (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openTestDb('empty');
    await seedDataset(db.kysely, MINI, 'mini');
  });
  afterAll(() => db?.dispose());

  it('seeds every layer as version 1 and does nothing when seeded again', async () => {
    const layers = await listLayers(db.kysely);
    expect(layers.map((l) => [l.id, l.version, l.featureCount])).toEqual([
      ['admin-county', 1, 1],
      ['permanent-farmland', 1, 100],
    ]);
    expect(layers[1].bbox).toEqual([expect.closeTo(125.602, 6), expect.closeTo(44.402, 6), expect.closeTo(125.798, 6), expect.closeTo(44.598, 6)]);
    const again = await seedDataset(db.kysely, MINI, 'mini');
    expect(again.seeded).toBe(false);
    expect((await listLayers(db.kysely)).map((l) => l.version)).toEqual([1, 1]);
  });

  it('a replace write makes one new version with added, removed and changed counts', async () => {
    const current = await readItems(db.kysely, { layerId: 'permanent-farmland', limit: 10_000, offset: 0 });
    const features: FeatureInput[] = current.features.map((t) => JSON.parse(t));
    const kept = features.slice(2); // PF-0001, PF-0002 removed
    kept[0] = { ...kept[0], properties: { ...kept[0].properties, code: 'CHANGED' } }; // PF-0003 attribute change
    kept[1] = { ...kept[1], geometry: square(125.61, 44.41, 0.001) }; // PF-0004 geometry change
    kept.push({ id: 'PF-NEW', properties: { code: 'N' }, geometry: square(125.7, 44.5, 0.001) });
    const result = await writeLayerVersion(db.kysely, { layerId: 'permanent-farmland', mode: 'replace', features: kept, author: 'tester', note: '测试' });
    expect(result).toMatchObject({ version: 2, added: 1, removed: 2, changed: 2, featureCount: 99 });

    const versions = await listVersions(db.kysely, 'permanent-farmland');
    expect(versions[0]).toMatchObject({ version: 2, author: 'tester', note: '测试', added: 1, removed: 2, changed: 2, featureCount: 99 });
    // unchanged features keep their rows: 100 original + 2 changed + 1 new rows
    expect((await snapshot(db)).rows).toBe(103);
  });

  it('reads a layer as it was at an earlier version', async () => {
    const v1 = await readItems(db.kysely, { layerId: 'permanent-farmland', version: 1, limit: 5, offset: 0 });
    const v2 = await readItems(db.kysely, { layerId: 'permanent-farmland', version: 2, limit: 5, offset: 0 });
    expect(v1.numberMatched).toBe(100);
    expect(v2.numberMatched).toBe(99);
    expect(v1.features.map((f) => JSON.parse(f).id).slice(0, 3)).toEqual(['PF-0001', 'PF-0002', 'PF-0003']);
    expect(JSON.parse(v1.features[2]).properties.code).toBe('PF-3');
    expect(JSON.parse(v2.features[0]).id).toBe('PF-0003');
    expect(JSON.parse(v2.features[0]).properties.code).toBe('CHANGED');
  });

  it('an append with an existing id is refused and changes nothing', async () => {
    const before = await snapshot(db);
    await expect(
      writeLayerVersion(db.kysely, {
        layerId: 'permanent-farmland',
        mode: 'append',
        features: [{ id: 'PF-X1', geometry: square(125.75, 44.55, 0.001) }, { id: 'PF-0010', geometry: square(125.76, 44.55, 0.001) }],
        author: 'tester',
      }),
    ).rejects.toMatchObject({ code: 'conflict', details: { feature: 'PF-0010' } });
    expect(await snapshot(db)).toEqual(before);
  });

  it('duplicate ids in one write are refused with the feature index, nothing written', async () => {
    const before = await snapshot(db);
    await expect(
      writeLayerVersion(db.kysely, {
        layerId: 'permanent-farmland',
        mode: 'append',
        features: [{ id: 'D1', geometry: square(125.75, 44.55, 0.001) }, { id: 'D1', geometry: square(125.76, 44.55, 0.001) }],
        author: 'tester',
      }),
    ).rejects.toMatchObject({ code: 'unprocessable', details: { problems: [{ feature: 1, field: 'id' }] } });
    expect(await snapshot(db)).toEqual(before);
  });

  it('a geometry PostGIS cannot parse fails the whole write atomically', async () => {
    const before = await snapshot(db);
    const features: FeatureInput[] = [
      { id: 'OK1', geometry: square(125.75, 44.55, 0.001) },
      { id: 'BAD', geometry: { type: 'Polygon', coordinates: [[[1, 2]]] } },
    ];
    await expect(writeLayerVersion(db.kysely, { layerId: 'permanent-farmland', mode: 'append', features, author: 'tester' })).rejects.toThrow();
    expect(await snapshot(db)).toEqual(before);
  });

  it('a self-intersecting ring or a wrong geometry type is refused, naming the feature and the reason', async () => {
    const before = await snapshot(db);
    const bowtie = { type: 'Polygon', coordinates: [[[125.7, 44.5], [125.71, 44.51], [125.71, 44.5], [125.7, 44.51], [125.7, 44.5]]] };
    const err = await writeLayerVersion(db.kysely, {
      layerId: 'permanent-farmland',
      mode: 'append',
      features: [
        { id: 'G1', geometry: square(125.75, 44.55, 0.001) },
        { id: 'G2', geometry: bowtie },
        { id: 'G3', geometry: { type: 'Point', coordinates: [125.7, 44.5] } },
      ],
      author: 'tester',
    }).catch((e) => e);
    expect(err.code).toBe('unprocessable');
    expect(err.details.problems).toEqual([
      expect.objectContaining({ feature: 1, field: 'geometry', message: expect.stringMatching(/G2: Self-intersection/) }),
      expect.objectContaining({ feature: 2, field: 'geometry', message: expect.stringMatching(/G3: geometry type POINT is not Polygon/i) }),
    ]);
    expect(await snapshot(db)).toEqual(before);
  });

  it('upsert and delete each make a version and keep the rest', async () => {
    const up = await writeLayerVersion(db.kysely, {
      layerId: 'permanent-farmland',
      mode: 'upsert',
      features: [{ id: 'PF-0005', properties: { code: 'UP' }, geometry: square(125.7, 44.45, 0.002) }],
      author: 'tester',
    });
    expect(up).toMatchObject({ version: 3, added: 0, changed: 1, removed: 0, featureCount: 99 });
    const del = await writeLayerVersion(db.kysely, { layerId: 'permanent-farmland', mode: 'delete', deleteIds: ['PF-0006'], author: 'tester' });
    expect(del).toMatchObject({ version: 4, added: 0, changed: 0, removed: 1, featureCount: 98 });
    await expect(writeLayerVersion(db.kysely, { layerId: 'permanent-farmland', mode: 'delete', deleteIds: ['NOPE'], author: 'tester' })).rejects.toMatchObject({
      code: 'not_found',
    });
    expect((await snapshot(db)).version).toBe(4);
  });

  it('a write to an unknown layer is a not-found error', async () => {
    await expect(writeLayerVersion(db.kysely, { layerId: 'no-such-layer', mode: 'replace', features: [], author: 't' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('concurrent writes to one layer get distinct consecutive versions', async () => {
    const before = (await snapshot(db)).version;
    const writes = [1, 2, 3].map((i) =>
      writeLayerVersion(db.kysely, {
        layerId: 'permanent-farmland',
        mode: 'append',
        features: [{ id: `C${i}`, geometry: square(125.79, 44.59, 0.0005) }],
        author: 'tester',
      }),
    );
    const versions = (await Promise.all(writes)).map((r) => r.version).sort();
    expect(versions).toEqual([before + 1, before + 2, before + 3]);
  });

  it('stores geometry in EPSG:4490 with a generated EPSG:3857 copy', async () => {
    const r = await sql<{ s: number; s3857: number; x: number }>`
      select ST_SRID(geom) as s, ST_SRID(geom_3857) as s3857, ST_XMin(geom_3857) as x
      from features where layer_id = 'permanent-farmland' and fid = 'PF-NEW' and valid_to is null`.execute(db.kysely);
    expect(r.rows[0].s).toBe(4490);
    expect(r.rows[0].s3857).toBe(3857);
    expect(r.rows[0].x).toBeCloseTo((125.7 * Math.PI * 6378137) / 180, 0);
  });
  describe('writes from an already-staged table (writeStagedInTransaction)', () => {
    const layerId = 'permanent-farmland';
    /** one transaction: stage `rows` (plus, optionally, copies of current rows) and write them */
    async function stagedWrite(rows: { fid: string | null; properties?: object; geometry: object }[], keepCurrent: number, mode: 'replace' | 'append' = 'replace') {
      return db.kysely.transaction().execute(async (trx) => {
        await sql`create temp table t_staged (idx integer, fid text, properties jsonb, geom geometry) on commit drop`.execute(trx);
        await sql`insert into t_staged select (row_number() over (order by fid))::int - 1, fid, properties, geom
          from features where layer_id = ${layerId} and valid_to is null order by fid limit ${keepCurrent}`.execute(trx);
        for (const [k, r] of rows.entries()) {
          await sql`insert into t_staged values (${keepCurrent + k}, ${r.fid}, ${JSON.stringify(r.properties ?? {})}::jsonb,
            ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(r.geometry)}), 4490))`.execute(trx);
        }
        return writeStagedInTransaction(trx, { layerId, mode, table: 't_staged', author: 'tester', note: 'staged' });
      });
    }
    const rowIds = async () =>
      new Map((await sql<{ fid: string; id: string }>`select fid, id::text from features where layer_id = ${layerId} and valid_to is null`.execute(db.kysely)).rows.map((r) => [r.fid, r.id]));

    it('diffs set-based: unchanged rows are kept, changed and new ones inserted, missing fids generated', async () => {
      const before = await snapshot(db);
      const ids = await rowIds();
      const kept = [...ids.keys()].sort().slice(0, 5);
      const r = await stagedWrite(
        [
          { fid: kept[4], properties: { code: 'changed' }, geometry: square(125.75, 44.55, 0.001) },
          { fid: 'S-NEW', properties: { code: 'S-NEW' }, geometry: square(125.76, 44.55, 0.001) },
          { fid: null, properties: { code: 'no id' }, geometry: square(125.77, 44.55, 0.001) },
        ],
        4,
      );
      expect(r).toEqual({ layerId, version: before.version + 1, added: 2, removed: before.featureCount - 5, changed: 1, featureCount: 7 });
      const after = await rowIds();
      for (const fid of kept.slice(0, 4)) expect(after.get(fid)).toBe(ids.get(fid)); // the same rows
      expect(after.get(kept[4])).not.toBe(ids.get(kept[4]));
      expect(after.has(`${layerId}-${r.version}-7`)).toBe(true); // idx 6 → generated fid
      const [v] = await listVersions(db.kysely, layerId);
      expect(v).toMatchObject({ version: r.version, note: 'staged', added: 2, changed: 1 });
    });

    it('refuses invalid, empty or wrong-type geometry inside the write, naming the rows; nothing written', async () => {
      const before = await snapshot(db);
      const bowtie = { type: 'Polygon', coordinates: [[[125.7, 44.5], [125.71, 44.51], [125.71, 44.5], [125.7, 44.51], [125.7, 44.5]]] };
      const err = await stagedWrite(
        [
          { fid: 'S-OK', geometry: square(125.78, 44.55, 0.001) },
          { fid: 'S-BOW', geometry: bowtie },
          { fid: 'S-PT', geometry: { type: 'Point', coordinates: [125.7, 44.5] } },
        ],
        3,
      ).catch((e) => e);
      expect(err.code).toBe('unprocessable');
      expect(err.details.problems).toEqual([
        expect.objectContaining({ feature: 4, field: 'geometry', message: expect.stringMatching(/S-BOW: Self-intersection/) }),
        expect.objectContaining({ feature: 5, field: 'geometry', message: expect.stringMatching(/S-PT: geometry type POINT is not Polygon/i) }),
      ]);
      expect(await snapshot(db)).toEqual(before);
    });

    it('refuses duplicate ids and, in append mode, ids already present; nothing written', async () => {
      const before = await snapshot(db);
      const dup = await stagedWrite([{ fid: 'S-D', geometry: square(125.7, 44.5, 0.001) }, { fid: 'S-D', geometry: square(125.71, 44.5, 0.001) }], 0).catch((e) => e);
      expect(dup).toMatchObject({ code: 'unprocessable', details: { problems: [{ feature: 1, field: 'id' }] } });
      const clash = await stagedWrite([], 1, 'append').catch((e) => e);
      expect(clash).toMatchObject({ code: 'conflict' });
      // found by a review: the column's CHECK refused an id over 200 characters as a 500
      const long = await stagedWrite([{ fid: 'S-OK', geometry: square(125.7, 44.5, 0.001) }, { fid: 'L'.repeat(201), geometry: square(125.71, 44.5, 0.001) }], 0).catch((e) => e);
      expect(long).toMatchObject({ code: 'unprocessable', details: { problems: [{ feature: 1, field: 'id', message: expect.stringMatching(/201 characters/) }] } });
      expect(await snapshot(db)).toEqual(before);
    });
  });
});
