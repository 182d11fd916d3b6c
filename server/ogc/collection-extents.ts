/**
 * What a collection document needs beyond the layer summary: the attribute schema (for the
 * queryables link and the temporal extent) and the temporal extent itself, from the current
 * rows' date attributes (see datetime.ts for which attributes carry time).
 */
import { storedDate } from './stored-date.js';
import { sql, type Kysely } from 'kysely';
import type { AttributeDef, Schema } from '../db/schema.js';
import { temporalAttributes } from './datetime.js';

export interface CollectionExtras {
  attributes: AttributeDef[];
  /** [start, end] as ISO dates; null ends are open */
  temporal: [string | null, string | null] | null;
}

export async function collectionExtras(db: Kysely<Schema>, layerIds: string[]): Promise<Map<string, CollectionExtras>> {
  const rows = await db.selectFrom('layers').select(['id', 'attributes']).where('id', 'in', layerIds.length ? layerIds : ['']).execute();
  const out = new Map<string, CollectionExtras>();
  for (const row of rows) {
    const attrs = temporalAttributes(row.attributes);
    let temporal: CollectionExtras['temporal'] = null;
    if (attrs) {
      // calendar dates only: a stored 2024-02-30 would publish an extent that is no RFC 3339 time
      const date = (name: string) => sql`to_char(${storedDate(sql`f.properties->>${name}`)}, 'YYYY-MM-DD')`;
      const r = await sql<{ lo: string | null; hi: string | null }>`
        select min(${date(attrs[0])}) as lo, max(${date(attrs[1])}) as hi
        from features f where f.layer_id = ${row.id} and f.valid_to is null`.execute(db);
      const { lo, hi } = r.rows[0];
      // An empty layer still has a temporal dimension: an open interval says so.
      temporal = [lo ? `${lo}T00:00:00+08:00` : null, hi ? `${hi}T23:59:59+08:00` : null]; // the dates are Beijing dates (datetime.ts)
    }
    out.set(row.id, { attributes: row.attributes, temporal });
  }
  return out;
}
