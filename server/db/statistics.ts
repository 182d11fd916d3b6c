/**
 * Planner statistics of the feature store. PostgreSQL's autovacuum refreshes them some time after
 * a write; PGlite has no autovacuum, so a table it never ANALYZEd keeps the planner's defaults
 * (two rows per layer), and joins on it go wrong: the coverage self-join of 24,000 parcels scanned
 * the layer once per parcel instead of probing the GiST index (19.7 s per 500 parcels instead of
 * 0.3 s). So: after a bulk write (the seed, an upload or restore of many rows), and at start-up when
 * the table has never been analysed.
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from './schema.js';

/** rows written in one version from which statistics are refreshed at once (autovacuum: 10 % + 50) */
export const BULK_WRITE_ROWS = 1_000;

export async function analyzeFeatures(db: Kysely<Schema>): Promise<void> {
  await sql`analyze features`.execute(db);
}

/** after a write of `rows` added, removed or changed features */
export async function analyzeAfterWrite(db: Kysely<Schema>, rows: number): Promise<void> {
  if (rows >= BULK_WRITE_ROWS) await analyzeFeatures(db);
}

/**
 * After a committed version (upload, restore), in the background: ANALYZE of the store takes
 * ~0.4–0.9 s at 400k rows, which the answer need not wait for; statistics are an optimisation, so a
 * failure (e.g. the database closing) is dropped.
 */
export function refreshStatisticsAfter(db: Kysely<Schema>, version: { added: number; removed: number; changed: number }): void {
  analyzeAfterWrite(db, version.added + version.removed + version.changed).catch(() => {});
}

/** at start-up: a store with features but no statistics (never analysed) is analysed once */
export async function ensureFeatureStatistics(db: Kysely<Schema>): Promise<boolean> {
  const r = await sql<{ stats: boolean; rows: boolean }>`
    select exists (select 1 from pg_stats where schemaname = current_schema() and tablename = 'features') as stats,
           exists (select 1 from features) as rows`.execute(db);
  if (r.rows[0].stats || !r.rows[0].rows) return false;
  await analyzeFeatures(db);
  return true;
}
