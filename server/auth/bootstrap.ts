/**
 * Embedded mode without ADMIN_TOKEN: mint one admin token on the very first start and print
 * it once; later starts find it and print nothing (set ADMIN_TOKEN to choose your own).
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { mintToken } from './tokens.js';

export async function bootstrapAdminToken(db: Kysely<Schema>): Promise<string | null> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(4220185)`.execute(trx);
    const existing = await trx.selectFrom('tokens').select('id').where('role', '=', 'admin').where('revoked_at', 'is', null).executeTakeFirst();
    if (existing) return null;
    const { secret } = await mintToken(trx, '初始管理员 (bootstrap admin)', 'admin', 'system');
    return secret;
  });
}
