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

  it('refuses migration files that are not numbered', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mig-'));
    fs.writeFileSync(path.join(dir, 'init.sql'), 'select 1');
    await expect(readMigrations(dir)).rejects.toThrow(/NNN_name\.sql/);
  });
});
