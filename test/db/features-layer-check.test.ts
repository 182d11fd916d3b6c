/**
 * features.layer_id → layers.id, checked per statement (migration 009) instead of by a row-level
 * foreign key: the same guarantees as the key it replaced — an insert naming a missing layer fails
 * with 23503 and writes nothing, deleting a layer deletes its features (and their label points),
 * a feature row never moves to another layer, a layer id never changes, TRUNCATE layers CASCADE
 * empties features (migration 011) — while closing rows (valid_to) still works.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

const square = (x: number, y: number) => `SRID=4490;POLYGON((${x} ${y},${x + 0.001} ${y},${x + 0.001} ${y + 0.001},${x} ${y + 0.001},${x} ${y}))`;

describe(`features belong to an existing layer (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  const count = async (layer: string) =>
    (await sql<{ n: number }>`select count(*)::int as n from features where layer_id = ${layer}`.execute(db.kysely)).rows[0].n;
  const error = (p: Promise<unknown>) => p.then(() => null, (e: { code?: string; message?: string; detail?: string }) => e);

  beforeAll(async () => {
    db = await openTestDb('empty');
    await sql`insert into layers (id, title, kind, geometry_type, label_field, version)
      values ('fk-a', '甲', 'block', 'Polygon', 'name', 1), ('fk-b', '乙', 'block', 'Polygon', null, 1)`.execute(db.kysely);
    await sql`insert into layer_versions (layer_id, version, author) values ('fk-a', 1, 'test'), ('fk-b', 1, 'test')`.execute(db.kysely);
    await sql`insert into features (layer_id, fid, properties, geom, valid_from)
      select l, l || '-' || i, jsonb_build_object('name', '地块' || i), ST_GeomFromEWKT(${square(125.5, 44.3)}), 1
      from unnest(array['fk-a', 'fk-b']) l, generate_series(1, 3) i`.execute(db.kysely);
  });
  afterAll(() => db?.dispose());

  it('an insert naming a missing layer fails with 23503, naming the key, and writes none of its rows', async () => {
    const err = await error(
      sql`insert into features (layer_id, fid, geom, valid_from)
        values ('fk-a', 'ok-1', ST_GeomFromEWKT(${square(125.6, 44.3)}), 1), ('no-such-layer', 'x-1', ST_GeomFromEWKT(${square(125.6, 44.3)}), 1)`.execute(db.kysely),
    );
    expect(err?.code).toBe('23503');
    expect(err?.message).toMatch(/features_layer_id_fkey/);
    expect(JSON.stringify(err)).toMatch(/no-such-layer/);
    expect(await count('fk-a')).toBe(3);
    expect(await count('no-such-layer')).toBe(0);
  });

  it('an insert of many rows of existing layers passes, in one statement', async () => {
    await db.kysely.transaction().execute(async (trx) => {
      await sql`insert into features (layer_id, fid, geom, valid_from)
        select 'fk-b', 'many-' || i, ST_GeomFromEWKT(${square(125.7, 44.3)}), 1 from generate_series(1, 500) i`.execute(trx);
      expect((await sql<{ n: number }>`select count(*)::int as n from features where layer_id = 'fk-b'`.execute(trx)).rows[0].n).toBe(503);
      await sql`delete from features where fid like 'many-%'`.execute(trx);
    });
    expect(await count('fk-b')).toBe(3);
  });

  it('a row cannot move to another layer; closing a row (valid_to) is untouched', async () => {
    const err = await error(sql`update features set layer_id = 'fk-b' where fid = 'fk-a-1'`.execute(db.kysely));
    expect(err?.code).toBe('23503');
    expect(err?.message).toMatch(/要素不能移到另一个图层/);
    expect(await count('fk-a')).toBe(3);
    await db.kysely.transaction().execute(async (trx) => {
      const r = await sql`update features set valid_to = 2 where layer_id = 'fk-a' and fid = 'fk-a-1'`.execute(trx);
      expect(Number(r.numAffectedRows)).toBe(1);
      // an UPDATE that names layer_id without changing it is no move
      await sql`update features set layer_id = 'fk-a' where fid = 'fk-a-2'`.execute(trx);
      await sql`update features set valid_to = null where fid = 'fk-a-1'`.execute(trx);
    });
  });

  it('deleting a layer deletes its features, their label points and its versions; other layers keep theirs', async () => {
    const points = async () => (await sql<{ n: number }>`select count(*)::int as n from tile_label_points where layer_id = 'fk-a'`.execute(db.kysely)).rows[0].n;
    expect(await points()).toBe(3);
    // one insert held rows of both layers: only the labelled one got points
    expect((await sql<{ n: number }>`select count(*)::int as n from tile_label_points where layer_id = 'fk-b'`.execute(db.kysely)).rows[0].n).toBe(0);
    await sql`delete from layers where id = 'fk-a'`.execute(db.kysely);
    expect(await count('fk-a')).toBe(0);
    expect(await points()).toBe(0);
    expect((await sql<{ n: number }>`select count(*)::int as n from layer_versions where layer_id = 'fk-a'`.execute(db.kysely)).rows[0].n).toBe(0);
    expect(await count('fk-b')).toBe(3);
  });

  it('a layer id cannot change (it would orphan its features): refused, nothing changed', async () => {
    const err = await error(sql`update layers set id = 'fk-renamed' where id = 'fk-b'`.execute(db.kysely));
    expect(err?.code).toBe('23503');
    expect(err?.message).toMatch(/图层编号不能修改/);
    expect(await count('fk-b')).toBe(3);
    // an UPDATE of other columns, or one naming id without changing it, is untouched
    await sql`update layers set title = '乙2', id = 'fk-b' where id = 'fk-b'`.execute(db.kysely);
  });

  it('a zero-row insert passes', async () => {
    const r = await sql`insert into features (layer_id, fid, geom, valid_from) select layer_id, fid, geom, 1 from features where false`.execute(db.kysely);
    expect(Number(r.numAffectedRows)).toBe(0);
  });

  it('the foreign key is gone; the three triggers (migration 008 label trigger folded into one) are installed by the migrations', async () => {
    const fk = await sql`select 1 from pg_constraint where conrelid = 'features'::regclass and contype = 'f'`.execute(db.kysely);
    expect(fk.rows).toHaveLength(0);
    const t = await sql<{ tgname: string }>`select tgname from pg_trigger where tgrelid in ('features'::regclass, 'layers'::regclass) and tgname in ('features_inserted', 'features_layer_fixed', 'layers_delete_features') order by tgname`.execute(db.kysely);
    expect(t.rows.map((r) => r.tgname)).toEqual(['features_inserted', 'features_layer_fixed', 'layers_delete_features']);
    const old = await sql`select 1 from pg_trigger where tgname = 'tile_label_points_add'`.execute(db.kysely);
    expect(old.rows).toHaveLength(0);
  });

  it('TRUNCATE layers … CASCADE truncates the features too (last: it empties the database)', async () => {
    expect(await count('fk-b')).toBe(3);
    await sql`truncate layers cascade`.execute(db.kysely);
    expect((await sql<{ n: number }>`select count(*)::int as n from features`.execute(db.kysely)).rows[0].n).toBe(0);
    // a layer created again under the same id starts empty
    await sql`insert into layers (id, title, kind, geometry_type) values ('fk-b', '乙', 'block', 'Polygon')`.execute(db.kysely);
    expect(await count('fk-b')).toBe(0);
  });
});
