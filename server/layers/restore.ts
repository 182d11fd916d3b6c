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

/** `unchanged`: the layer already held version v's features — no version was made */
export type RestoreResult = WriteResult & { unchanged: boolean };

/** thrown inside the transaction to roll back a restore that changed nothing */
class Unchanged extends Error {
  constructor(
    readonly result: WriteResult,
    /** the layer's version, which stays */
    readonly current: number,
  ) {
    super('unchanged');
  }
}

/**
 * A restore that would change nothing (the layer already holds version v's features: restored
 * twice, or to the current version) makes no version — it wrote an empty one, 0/0/0 (found by a
 * walkthrough) — and says `unchanged`.
 */
export async function restoreVersion(db: Kysely<Schema>, layerId: string, v: number, author: string, note?: string | null): Promise<RestoreResult> {
  try {
    const result = await restoreInTransaction(db, layerId, v, author, note);
    refreshStatisticsAfter(db, result);
    return { ...result, unchanged: false };
  } catch (e) {
    if (!(e instanceof Unchanged)) throw e;
    return { ...e.result, version: e.current, unchanged: true };
  }
}

async function restoreInTransaction(db: Kysely<Schema>, layerId: string, v: number, author: string, note?: string | null): Promise<WriteResult> {
  return db.transaction().execute(async (trx) => {
    const layer = await sql<{ version: number }>`select version from layers where id = ${layerId} for update`.execute(trx);
    if (layer.rows.length === 0) throw new NotFoundError(`图层不存在 (no layer "${layerId}")`, { layer: layerId });
    // version 0 is every layer's empty beginning (created, nothing uploaded yet): it has no row
    const known = v === 0 || (await trx.selectFrom('layer_versions').select('version').where('layer_id', '=', layerId).where('version', '=', v).executeTakeFirst());
    if (!known) throw new NotFoundError(`图层“${layerId}”没有版本 ${v} (no version ${v})`, { layer: layerId, version: v });
    await sql`create temp table restore_staging (idx integer, fid text, properties jsonb, geom geometry) on commit drop`.execute(trx);
    await sql`insert into restore_staging (idx, fid, properties, geom)
      select (row_number() over (order by f.fid))::int - 1, f.fid, f.properties, f.geom
      from features f where f.layer_id = ${layerId} and ${visibleAt(v)}`.execute(trx);
    const written = await writeStagedInTransaction(trx, {
      layerId,
      mode: 'replace',
      table: 'restore_staging',
      author,
      note: note ?? `恢复到版本 ${v} (restored from version ${v})`,
      source: { restoredFrom: v },
      restoredFrom: v,
    });
    // Nothing changed: no version — except a restore to 0 over a version written empty, which
    // changes what the layer says: "not loaded" instead of "none" (checks skip a layer restored to
    // 0 as unverified, and check a written empty one as data; found by a review)
    if (written.added + written.removed + written.changed === 0) {
      const before = layer.rows[0].version;
      const wasZero = before === 0 || (await trx.selectFrom('layer_versions').select('restored_from').where('layer_id', '=', layerId).where('version', '=', before).executeTakeFirst())?.restored_from === 0;
      if (v !== 0 || wasZero) throw new Unchanged(written, before);
    }
    return written;
  });
}
