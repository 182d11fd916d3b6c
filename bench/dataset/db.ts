/**
 * PGlite + PostGIS for the generator and the invariant checks.
 *
 * `SqlClient` is the only thing the checks need, so the same functions run on PGlite here and on
 * node-postgres (`pg.Pool`) in the server's DB harness.
 */
import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { postgis } from '@electric-sql/pglite-postgis';

export interface SqlClient {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

/**
 * Opens (or reuses) a PGlite data directory under os.tmpdir(): the first start unpacks PostGIS
 * (10–30 s), later starts take a few seconds. A directory left broken by a killed run is wiped
 * and recreated once.
 */
export async function openPglite(name: string): Promise<PGlite> {
  const dataDir = path.join(os.tmpdir(), name);
  const open = async (): Promise<PGlite> => {
    const db = await PGlite.create({ dataDir, extensions: { postgis } });
    await db.exec('CREATE EXTENSION IF NOT EXISTS postgis;');
    return db;
  };
  try {
    return await open();
  } catch {
    rmSync(dataDir, { recursive: true, force: true });
    return await open();
  }
}
