/**
 * A layer's first bulk load, written as ogr2ogr writes a new table (migration 012): the rows go
 * into a table of the layer's own, its four indexes are built once, in bulk, and the table is
 * attached as the layer's partition of `features` at the very end of the write. The store's
 * indexes maintained row by row were most of an upload's write (bench:ingest).
 *
 * Only for a layer that has no partition of its own and no rows at all (history included) in
 * the default partition — so nothing is moved and no row is looked at twice — and a load of at
 * least `OWN_PARTITION_ROWS` rows: a small layer stays in the default partition with the others.
 * Later writes of the layer are ordinary inserts and updates, routed to its partition by
 * PostgreSQL; history, diff, restore and "as of" reads do not know where the rows are.
 *
 * Two phases (found by a review: the attach first built the indexes and the version's statistics
 * ran after it, all while it held the default partition — ~0.6 s in which reads of every other
 * layer waited):
 *  1. fillOwnPartition, in the write: the table (with a CHECK on its layer, so the attach need not
 *     scan it), its rows, the label points of a labelled layer, and indexes matching the parent's
 *     (the attach adopts them instead of building them). No lock on anything shared.
 *  2. attachOwnPartition, the write's last statement: the attach must hold the default partition
 *     ACCESS EXCLUSIVE (PostgreSQL scans it for rows of the layer) until COMMIT. The locks are
 *     taken NOWAIT, a few times, so the write never queues — a queued ACCESS EXCLUSIVE request
 *     would hold up every new reader of the default partition behind it. When they cannot be had
 *     (another write or reader holds the default partition, a concurrent ANALYZE holds the
 *     parent), the rows are copied into `features` the ordinary way and the table dropped.
 * A role that may not create tables in `layer_features` (42501) loads the ordinary way too.
 */
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Schema } from '../db/schema.js';

/** rows from which a layer's first write gets a partition of its own (config OWN_PARTITION_ROWS) */
export const OWN_PARTITION_ROWS = 10_000;
/** NOWAIT attempts at the attach's locks, and the pause between them */
const ATTACH_TRIES = 5;
const ATTACH_PAUSE_MS = 40;
/** errors on which a bulk load falls back to the ordinary write (lock not available, deadlock, privileges) */
const FALL_BACK = new Set(['55P03', '40P01', '42501']);

/** A filled table waiting to be attached as its layer's partition. */
export interface OwnPartition {
  readonly layerId: string;
  readonly table: RawBuilder<unknown>;
  readonly rows: number;
}

const partition = (layerId: string) => sql.id('layer_features', layerId);
const code = (e: unknown) => (e as { code?: string }).code ?? '';

/** a first write of `rows` rows to this layer: may it be a bulk load into a partition of its own? */
export async function mayLoadOwnPartition(trx: Transaction<Schema>, layerId: string, rows: number, from = OWN_PARTITION_ROWS): Promise<boolean> {
  if (rows < from) return false;
  const r = await sql<{ own: boolean; rows: boolean }>`select
      to_regclass(format('layer_features.%I', ${layerId}::text)) is not null as own,
      exists (select 1 from features where layer_id = ${layerId}) as rows`.execute(trx);
  return !r.rows[0].own && !r.rows[0].rows;
}

/**
 * The layer's table, empty, before an upload stages its rows (ingest-run.ts loads each batch's
 * clean rows into it while the next batch is read). Null when the role may not create it (42501):
 * the upload then loads the ordinary way. Rolled back with the upload's transaction.
 */
export async function createOwnPartition(trx: Transaction<Schema>, layerId: string): Promise<RawBuilder<unknown> | null> {
  return inSavepoint(trx, async () => {
    await createTable(trx, layerId);
    return partition(layerId);
  });
}

/**
 * `work` in a savepoint: everything it did undone when it fails; null when it failed for want of
 * a privilege (42501: the role may not create tables — the caller writes the ordinary way)
 */
async function inSavepoint<T>(trx: Transaction<Schema>, work: () => Promise<T>): Promise<T | null> {
  await sql`savepoint own_partition`.execute(trx);
  try {
    const out = await work();
    await sql`release savepoint own_partition`.execute(trx);
    return out;
  } catch (e) {
    await sql`rollback to savepoint own_partition`.execute(trx).catch(() => {});
    await sql`release savepoint own_partition`.execute(trx).catch(() => {});
    if (code(e) === '42501') return null;
    throw e;
  }
}

/** An upload's loaded table that cannot be used after all (validation changed the ids it holds). */
export async function dropOwnPartition(trx: Transaction<Schema>, layerId: string): Promise<void> {
  await sql`drop table ${partition(layerId)}`.execute(trx);
}

/** the table of the layer's own, with a CHECK on its layer so that the attach need not scan it */
const createTable = (trx: Transaction<Schema>, layerId: string) =>
  sql`create table ${partition(layerId)} (like features including defaults including generated including constraints,
    constraint layer_partition_check check (layer_id = ${sql.lit(layerId)}))`.execute(trx);

/**
 * Phase 1: creates the layer's table (or, with `loaded`, takes the one createOwnPartition made and
 * an upload has partly filled) and inserts `select` (columns fid, properties, geom) into it as
 * version `version`, with label points and indexes. Returns null — everything undone — when the
 * role may not create the table (the caller writes the ordinary way). Other errors (e.g. the NOT
 * NULL of a refused geometry) are thrown with nothing left behind.
 */
export async function fillOwnPartition(
  trx: Transaction<Schema>,
  layerId: string,
  version: number,
  select: RawBuilder<unknown>,
  loaded = false,
): Promise<OwnPartition | null> {
  const table = partition(layerId);
  return inSavepoint(trx, async () => {
    if (!loaded) await createTable(trx, layerId);
    const inserted = await sql<{ n: number }>`with i as (
        insert into ${table} (layer_id, fid, properties, geom, valid_from)
        select ${layerId}, s.fid, s.properties, s.geom, ${version}::int from (${select}) s
        returning 1)
      select count(*)::int as n from i`.execute(trx);
    const rows = loaded ? (await sql<{ n: number }>`select count(*)::int as n from ${table}`.execute(trx)).rows[0].n : inserted.rows[0].n;
    await sql`insert into tile_label_points (feature_id, layer_id, point)
      select id, layer_id, point from (
        select f.id, f.layer_id, tile_label_point(f.geom_3857) as point from ${table} f
        where exists (select 1 from layers l where l.id = ${layerId} and l.label_field is not null)
          and ST_Dimension(f.geom_3857) = 2
        offset 0) c
      where point is not null and not ST_IsEmpty(point)`.execute(trx);
    // the parent's indexes (migrations 001, 010, 012), so that the attach adopts them
    await sql`alter table ${table} add primary key (id, layer_id)`.execute(trx);
    await sql`create unique index on ${table} (layer_id, fid) where valid_to is null`.execute(trx);
    await sql`create index on ${table} (layer_id, valid_from, valid_to)`.execute(trx);
    await sql`create index on ${table} using gist (geom_3857)`.execute(trx);
    return { layerId, table, rows };
  });
}

/**
 * Phase 2, the write's last statement: attach the table as its layer's partition, or, when the
 * locks cannot be had at once, copy its rows into `features` (the default partition) and drop it.
 */
export async function attachOwnPartition(trx: Transaction<Schema>, own: OwnPartition): Promise<'attached' | 'copied'> {
  for (let attempt = 1; attempt <= ATTACH_TRIES; attempt++) {
    await sql`savepoint own_attach`.execute(trx);
    try {
      await sql`lock table only features in share update exclusive mode nowait`.execute(trx);
      await sql`lock table features_default in access exclusive mode nowait`.execute(trx);
      await sql`alter table features attach partition ${own.table} for values in (${sql.lit(own.layerId)})`.execute(trx);
      await sql`release savepoint own_attach`.execute(trx);
      return 'attached';
    } catch (e) {
      await sql`rollback to savepoint own_attach`.execute(trx);
      await sql`release savepoint own_attach`.execute(trx);
      if (!FALL_BACK.has(code(e))) throw e;
    }
    if (attempt < ATTACH_TRIES) await new Promise((r) => setTimeout(r, ATTACH_PAUSE_MS));
  }
  // the ordinary way: the same rows, ids and label points (the insert trigger finds them present)
  await sql`insert into features (id, layer_id, fid, properties, geom, valid_from, valid_to)
    select id, layer_id, fid, properties, geom, valid_from, valid_to from ${own.table}`.execute(trx);
  await sql`drop table ${own.table}`.execute(trx);
  return 'copied';
}
