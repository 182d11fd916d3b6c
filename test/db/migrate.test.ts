import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../server/db/migrate.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

describe(`migrations (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openTestDb('empty');
  });
  afterAll(() => db?.dispose());

  it('does nothing on an up-to-date database', async () => {
    expect(await migrate(db)).toEqual([]);
  });

  it('applies every migration, in order, to an empty database', async () => {
    await db.session((s) => s.exec('drop schema public cascade; create schema public; create extension postgis'));
    const all = await readMigrations();
    expect(await migrate(db)).toEqual(all.map((m) => m.version));
    const tables = await db.session((s) =>
      s.query<{ t: string }>(`select table_name as t from information_schema.tables where table_schema = 'public' order by 1`),
    );
    expect(tables.map((r) => r.t)).toEqual(expect.arrayContaining(['audit', 'features', 'layer_versions', 'layers', 'meta', 'schema_migrations']));
    expect(await migrate(db)).toEqual([]);
  });

  it('rolls back a failing migration and does not record it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-'));
    for (const m of await readMigrations()) fs.writeFileSync(path.join(dir, `${String(m.version).padStart(3, '0')}_${m.name}.sql`), m.sql);
    fs.writeFileSync(path.join(dir, '900_half.sql'), 'create table half_done (x int); select no_such_function();');
    await expect(migrate(db, await readMigrations(dir))).rejects.toThrow(/900_half failed/);
    const half = await db.session((s) => s.query(`select 1 from information_schema.tables where table_name = 'half_done'`));
    expect(half).toHaveLength(0);
    const recorded = await db.session((s) => s.query('select 1 from schema_migrations where version = 900'));
    expect(recorded).toHaveLength(0);
  });

  it('applies a new migration exactly once when several instances start together', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-'));
    for (const m of await readMigrations()) fs.writeFileSync(path.join(dir, `${String(m.version).padStart(3, '0')}_${m.name}.sql`), m.sql);
    // Not idempotent on purpose: a second application would fail on the existing table.
    fs.writeFileSync(path.join(dir, '901_once.sql'), 'create table applied_once (x int);');
    const migrations = await readMigrations(dir);
    const results = await Promise.all([migrate(db, migrations), migrate(db, migrations), migrate(db, migrations)]);
    expect(results.flat()).toEqual([901]);
  });

  it('012 partitions a store that already holds rows: every row, id, label point and guarantee stays', async () => {
    await db.session((s) => s.exec('drop schema public cascade; drop schema if exists layer_features cascade; create schema public; create extension postgis'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-'));
    const all = await readMigrations();
    for (const m of all.filter((m) => m.version <= 11)) fs.writeFileSync(path.join(dir, `${String(m.version).padStart(3, '0')}_${m.name}.sql`), m.sql);
    expect(await migrate(db, await readMigrations(dir))).toEqual(all.filter((m) => m.version <= 11).map((m) => m.version));
    const q = <T,>(text: string) => db.session((s) => s.query<T>(text));
    await q(`insert into layers (id, title, kind, geometry_type, label_field, version) values ('old-a', '甲', 'block', 'Polygon', 'name', 2)`);
    await q(`insert into features (layer_id, fid, properties, geom, valid_from, valid_to)
      select 'old-a', 'a-' || i, jsonb_build_object('name', '地块' || i),
        ST_GeomFromEWKT('SRID=4490;POLYGON((125.5 44.3,125.501 44.3,125.501 44.301,125.5 44.301,125.5 44.3))'), 1, case when i = 3 then 2 end
      from generate_series(1, 3) i`);
    const before = await q<{ id: string; fid: string; valid_to: number | null }>(`select id::text, fid, valid_to from features order by id`);
    expect(await migrate(db)).toEqual(all.filter((m) => m.version > 11).map((m) => m.version));
    expect(await q(`select id::text, fid, valid_to from features order by id`)).toEqual(before);
    expect(await q(`select distinct tableoid::regclass::text as p from features`)).toEqual([{ p: 'features_default' }]);
    expect((await q<{ n: number }>(`select count(*)::int as n from tile_label_points where layer_id = 'old-a'`))[0].n).toBe(3);
    const key = await q<{ def: string }>(`select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'features'::regclass and contype = 'p'`);
    expect(key.map((k) => k.def)).toEqual(['PRIMARY KEY (id, layer_id)']);
    // the sequence goes on; one current row per id stays enforced; a missing layer is still refused
    await q(`insert into features (layer_id, fid, geom, valid_from) values ('old-a', 'a-4', ST_GeomFromEWKT('SRID=4490;POINT(125.5 44.3)'), 2)`);
    const ids = await q<{ id: string }>(`select id::text from features where fid = 'a-4'`);
    expect(BigInt(ids[0].id)).toBeGreaterThan(BigInt(before[2].id));
    await expect(q(`insert into features (layer_id, fid, geom, valid_from) values ('old-a', 'a-1', ST_GeomFromEWKT('SRID=4490;POINT(125.5 44.3)'), 2)`)).rejects.toThrow(/duplicate key|unique/);
    await expect(q(`insert into features (layer_id, fid, geom, valid_from) values ('gone', 'g-1', ST_GeomFromEWKT('SRID=4490;POINT(125.5 44.3)'), 1)`)).rejects.toThrow(/features_layer_id_fkey/);
  });

  it('refuses migration files that are not numbered', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-'));
    fs.writeFileSync(path.join(dir, 'init.sql'), 'select 1');
    await expect(readMigrations(dir)).rejects.toThrow(/NNN_name\.sql/);
  });
});
