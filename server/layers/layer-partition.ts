/**
 * A layer's first bulk load, written as ogr2ogr writes a new table (migration 012): the rows go
 * into a table of the layer's own with no index yet, and that table is then attached as the
 * layer's partition of `features`, which builds its indexes once, in bulk. The store's indexes
 * maintained row by row were most of an upload's write (bench:ingest).
 *
 * Only for a layer that has no partition of its own and no rows at all (history included) in
 * the default partition — so nothing is moved and no row is looked at twice — and a load of at
 * least `OWN_PARTITION_ROWS` rows: a small layer stays in the default partition with the others.
 * Later writes of the layer are ordinary inserts and updates, routed to its partition by
 * PostgreSQL; history, diff, restore and "as of" reads do not know where the rows are.
 *
 * Attaching takes an ACCESS EXCLUSIVE lock on the default partition (PostgreSQL checks that it
 * holds no row of the layer) until COMMIT, a few tens of milliseconds at the end of the load, in
 * which reads of the other layers wait. If another transaction holds the default partition (a
 * write of another layer), the attach gives up after ATTACH_LOCK_TIMEOUT and the rows are written
 * the ordinary way instead: slower, never blocked behind someone else's upload.
 */
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Schema } from '../db/schema.js';

/** rows from which a layer's first write gets a partition of its own (config OWN_PARTITION_ROWS) */
export const OWN_PARTITION_ROWS = 10_000;
/** how long the attach may wait for the default partition before falling back */
const ATTACH_LOCK_TIMEOUT = '250ms';

const partition = (layerId: string) => sql.id('layer_features', layerId);

/** a first write of `rows` rows to this layer: may it be a bulk load into a partition of its own? */
export async function mayLoadOwnPartition(trx: Transaction<Schema>, layerId: string, rows: number, from = OWN_PARTITION_ROWS): Promise<boolean> {
  if (rows < from) return false;
  const r = await sql<{ own: boolean; rows: boolean }>`select
      to_regclass(format('layer_features.%I', ${layerId}::text)) is not null as own,
      exists (select 1 from features where layer_id = ${layerId}) as rows`.execute(trx);
  return !r.rows[0].own && !r.rows[0].rows;
}

/**
 * Creates the layer's table, inserts `select` (columns fid, properties, geom) into it as
 * version `version`, computes the label points of a labelled layer, and attaches the table as
 * the layer's partition. Returns the rows inserted, or null when the default partition could not
 * be locked in time: everything this did is then undone (the caller writes the ordinary way).
 * Errors of the insert itself (e.g. NOT NULL) are thrown with nothing left behind.
 */
export async function loadOwnPartition(
  trx: Transaction<Schema>,
  layerId: string,
  version: number,
  select: RawBuilder<unknown>,
): Promise<number | null> {
  const table = partition(layerId);
  await sql`savepoint own_partition`.execute(trx);
  try {
    await sql`create table ${table} (like features including defaults including generated including constraints)`.execute(trx);
    const inserted = await sql<{ n: number }>`with i as (
        insert into ${table} (layer_id, fid, properties, geom, valid_from)
        select ${layerId}, s.fid, s.properties, s.geom, ${version}::int from (${select}) s
        returning 1)
      select count(*)::int as n from i`.execute(trx);
    // before the attach, so the default partition is locked for as short a time as possible
    await sql`insert into tile_label_points (feature_id, layer_id, point)
      select id, layer_id, point from (
        select f.id, f.layer_id, tile_label_point(f.geom_3857) as point from ${table} f
        where exists (select 1 from layers l where l.id = ${layerId} and l.label_field is not null)
          and ST_Dimension(f.geom_3857) = 2
        offset 0) c
      where point is not null and not ST_IsEmpty(point)`.execute(trx);
    const was = (await sql<{ t: string }>`select current_setting('lock_timeout') as t`.execute(trx)).rows[0].t;
    await sql`select set_config('lock_timeout', ${ATTACH_LOCK_TIMEOUT}, true)`.execute(trx);
    try {
      await sql`alter table features attach partition ${table} for values in (${sql.lit(layerId)})`.execute(trx);
    } catch (e) {
      if ((e as { code?: string }).code !== '55P03') throw e; // lock_not_available
      await sql`rollback to savepoint own_partition`.execute(trx);
      await sql`release savepoint own_partition`.execute(trx);
      return null;
    }
    await sql`select set_config('lock_timeout', ${was}, true)`.execute(trx);
    await sql`release savepoint own_partition`.execute(trx);
    return inserted.rows[0].n;
  } catch (e) {
    await sql`rollback to savepoint own_partition`.execute(trx).catch(() => {});
    throw e;
  }
}
