/**
 * Restore: a NEW version whose features equal those visible at version v (`restoredFrom: v`;
 * v = 0 empties the layer, as it was created).
 * History is never rewritten; the restore is itself undoable. One transaction: the rows of
 * version v are copied into a temp table inside the database and written by
 * writeStagedInTransaction like an upload (no round trip through Node, whatever the size).
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { refreshStatisticsAfter } from '../db/statistics.js';
import { NotFoundError } from '../errors.js';
import { visibleAt } from './feature-reads.js';
import { writeStagedInTransaction, type WriteResult } from './layer-writes.js';

export async function restoreVersion(db: Kysely<Schema>, layerId: string, v: number, author: string, note?: string | null): Promise<WriteResult> {
  const result = await db.transaction().execute(async (trx) => {
    const layer = await sql<{ version: number }>`select version from layers where id = ${layerId} for update`.execute(trx);
    if (layer.rows.length === 0) throw new NotFoundError(`图层不存在 (no layer "${layerId}")`, { layer: layerId });
    // version 0 is every layer's empty beginning (created, nothing uploaded yet): it has no row
    const known = v === 0 || (await trx.selectFrom('layer_versions').select('version').where('layer_id', '=', layerId).where('version', '=', v).executeTakeFirst());
    if (!known) throw new NotFoundError(`图层“${layerId}”没有版本 ${v} (no version ${v})`, { layer: layerId, version: v });
    await sql`create temp table restore_staging (idx integer, fid text, properties jsonb, geom geometry) on commit drop`.execute(trx);
    await sql`insert into restore_staging (idx, fid, properties, geom)
      select (row_number() over (order by f.fid))::int - 1, f.fid, f.properties, f.geom
      from features f where f.layer_id = ${layerId} and ${visibleAt(v)}`.execute(trx);
    return writeStagedInTransaction(trx, {
      layerId,
      mode: 'replace',
      table: 'restore_staging',
      author,
      note: note ?? `恢复到版本 ${v} (restored from version ${v})`,
      source: { restoredFrom: v },
      restoredFrom: v,
    });
  });
  refreshStatisticsAfter(db, result);
  return result;
}
