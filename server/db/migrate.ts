/**
 * Numbered plain-SQL migrations from migrations/, each applied once, in order, in its own
 * transaction, and recorded in schema_migrations. Concurrent start-ups of several instances
 * serialise on a session-level advisory lock, so exactly one applies each file.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './connect.js';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
/** arbitrary constant shared by every instance of this service */
const MIGRATION_LOCK_KEY = 4_220_183;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (!match) throw new Error(`migration file name must be NNN_name.sql: ${file}`);
    migrations.push({ version: Number(match[1]), name: match[2], sql: await fs.readFile(path.join(dir, file), 'utf8') });
  }
  const versions = migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error(`duplicate migration numbers in ${dir}`);
  return migrations;
}

/** Applies pending migrations; returns the versions applied by this call. */
export async function migrate(db: Db, migrations?: Migration[]): Promise<number[]> {
  const all = migrations ?? (await readMigrations());
  return db.session(async (s) => {
    await s.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await s.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const done = new Set((await s.query<{ version: number }>('select version from schema_migrations')).map((r) => r.version));
      const applied: number[] = [];
      for (const m of all.filter((m) => !done.has(m.version))) {
        await s.exec('BEGIN');
        try {
          await s.exec(m.sql);
          await s.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
          await s.exec('COMMIT');
        } catch (err) {
          await s.exec('ROLLBACK');
          throw new Error(`migration ${m.version}_${m.name} failed: ${(err as Error).message}`);
        }
        applied.push(m.version);
      }
      return applied;
    } finally {
      await s.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  });
}
