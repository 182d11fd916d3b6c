/**
 * Restore: a NEW version whose features equal those visible at version v (`restoredFrom: v`).
 * History is never rewritten; the restore is itself undoable. One transaction, through
 * writeInTransaction like every other write.
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { NotFoundError } from '../errors.js';
import { visibleAt } from './feature-reads.js';
import { writeInTransaction, type FeatureInput, type WriteResult } from './layer-writes.js';

export async function restoreVersion(db: Kysely<Schema>, layerId: string, v: number, author: string, note?: string | null): Promise<WriteResult> {
  return db.transaction().execute(async (trx) => {
    const layer = await sql<{ version: number }>`select version from layers where id = ${layerId} for update`.execute(trx);
    if (layer.rows.length === 0) throw new NotFoundError(`图层不存在 (no layer "${layerId}")`, { layer: layerId });
    const known = await trx.selectFrom('layer_versions').select('version').where('layer_id', '=', layerId).where('version', '=', v).executeTakeFirst();
    if (!known) throw new NotFoundError(`图层“${layerId}”没有版本 ${v} (no version ${v})`, { layer: layerId, version: v });
    const rows = await sql<{ fid: string; properties: Record<string, unknown>; geometry: FeatureInput['geometry'] | string }>`
      select f.fid, f.properties, ST_AsGeoJSON(f.geom, 9)::json as geometry
      from features f where f.layer_id = ${layerId} and ${visibleAt(v)} order by f.fid`.execute(trx);
    const features: FeatureInput[] = rows.rows.map((r) => ({
      id: r.fid,
      properties: r.properties,
      geometry: typeof r.geometry === 'string' ? JSON.parse(r.geometry) : r.geometry,
    }));
    return writeInTransaction(trx, {
      layerId,
      mode: 'replace',
      features,
      author,
      note: note ?? `恢复到版本 ${v} (restored from version ${v})`,
      source: { restoredFrom: v },
      restoredFrom: v,
    });
  });
}
