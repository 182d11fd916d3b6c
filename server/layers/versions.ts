/** Layer history: one row per version (who, when, what file, counts). */
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';

export interface VersionSummary {
  version: number;
  createdAt: string;
  author: string;
  note: string | null;
  source: Record<string, unknown> | null;
  added: number;
  removed: number;
  changed: number;
  featureCount: number;
  restoredFrom: number | null;
}

export async function listVersions(db: Kysely<Schema>, layerId: string): Promise<VersionSummary[]> {
  const rows = await db.selectFrom('layer_versions').selectAll().where('layer_id', '=', layerId).orderBy('version', 'desc').execute();
  return rows.map((r) => ({
    version: r.version,
    createdAt: new Date(r.created_at).toISOString(),
    author: r.author,
    note: r.note,
    source: r.source,
    added: r.added,
    removed: r.removed,
    changed: r.changed,
    featureCount: r.feature_count,
    restoredFrom: r.restored_from,
  }));
}
