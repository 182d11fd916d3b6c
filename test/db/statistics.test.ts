/**
 * Planner statistics of the feature store (server/db/statistics.ts): PGlite has no autovacuum, so
 * the store analyses itself after a bulk write and at start-up when it never was — without them the
 * planner took 24,000 parcels for two and the coverage self-join scanned the layer per parcel.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeAfterWrite, BULK_WRITE_ROWS, ensureFeatureStatistics } from '../../server/db/statistics.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

describe(`feature statistics (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  const analysed = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from pg_stats where schemaname = current_schema() and tablename = 'features'`.execute(db.kysely)).rows[0].n > 0;
  const estimate = async () => {
    const r = await sql<{ 'QUERY PLAN': string }>`explain select * from features where layer_id = 'stats-probe' and valid_to is null`.execute(db.kysely);
    return Number(/rows=(\d+)/.exec(r.rows[0]['QUERY PLAN'])![1]);
  };

  beforeAll(async () => {
    db = await openTestDb('empty');
    await sql`insert into layers (id, title, kind, geometry_type, version) values ('stats-probe', '统计', 'other', 'Polygon', 1)`.execute(db.kysely);
    await sql`insert into layer_versions (layer_id, version, author) values ('stats-probe', 1, 'test')`.execute(db.kysely);
    await sql`insert into features (layer_id, fid, geom, valid_from)
      select 'stats-probe', 'p' || i, ST_MakeEnvelope(125 + (i % 100) * 0.001, 44 + (i / 100) * 0.001, 125.0009 + (i % 100) * 0.001, 44.0009 + (i / 100) * 0.001, 4490), 1
      from generate_series(0, 2999) i`.execute(db.kysely);
  });
  afterAll(() => db?.dispose());

  it('a store never analysed is analysed at start-up, once; then the planner knows the layer holds thousands of rows', async () => {
    const before = await analysed();
    if (!usingPostgres()) expect(before).toBe(false); // PostgreSQL's autovacuum may have come by already
    expect(await ensureFeatureStatistics(db.kysely)).toBe(!before);
    expect(await analysed()).toBe(true);
    expect(await ensureFeatureStatistics(db.kysely)).toBe(false);
    expect(await estimate()).toBeGreaterThan(1_000);
  });

  it('after a bulk write the statistics are refreshed; a small write leaves them to autovacuum', async () => {
    // PostgreSQL's autovacuum must not analyse the table behind this test's back (PGlite has none);
    // the rows are in the default partition (migration 012: a partitioned parent takes no storage options)
    if (usingPostgres()) await sql`alter table features_default set (autovacuum_enabled = false)`.execute(db.kysely);
    await sql`insert into features (layer_id, fid, geom, valid_from)
      select 'stats-probe', 'q' || i, ST_MakeEnvelope(126, 45, 126.0009, 45.0009, 4490), 1 from generate_series(0, 2999) i`.execute(db.kysely);
    // reltuples: the row count as of the last ANALYZE (plans scale it by the table's current size)
    const counted = async () => (await sql<{ n: number }>`select reltuples::int as n from pg_class where oid = 'features'::regclass`.execute(db.kysely)).rows[0].n;
    await analyzeAfterWrite(db.kysely, BULK_WRITE_ROWS - 1);
    expect(await counted()).toBeLessThan(4_500);
    await analyzeAfterWrite(db.kysely, 3_000);
    expect(await counted()).toBeGreaterThan(5_000);
    if (usingPostgres()) await sql`alter table features_default reset (autovacuum_enabled)`.execute(db.kysely);
  });
});
