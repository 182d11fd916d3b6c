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

export const VERSIONS_LIMIT_DEFAULT = 100;
export const VERSIONS_LIMIT_MAX = 1000;

/**
 * Newest first, at most `limit`, below version `before` when given (keyset paging: every OGC
 * item edit is a version, so a layer edited through the API gathers thousands). `more`: an
 * older page exists.
 */
export async function versionPage(
  db: Kysely<Schema>,
  layerId: string,
  page: { limit?: number; before?: number } = {},
): Promise<{ versions: VersionSummary[]; more: boolean }> {
  const limit = page.limit ?? VERSIONS_LIMIT_DEFAULT;
  let q = db.selectFrom('layer_versions').selectAll().where('layer_id', '=', layerId);
  if (page.before !== undefined) q = q.where('version', '<', page.before);
  const rows = await q.orderBy('version', 'desc').limit(limit + 1).execute();
  const versions = rows.slice(0, limit).map((r) => ({
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
  return { versions, more: rows.length > limit };
}

/** the newest page (VERSIONS_LIMIT_DEFAULT versions) */
export async function listVersions(db: Kysely<Schema>, layerId: string): Promise<VersionSummary[]> {
  return (await versionPage(db, layerId)).versions;
}
