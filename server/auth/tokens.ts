/** Token minting, hashing and lookup. Secrets are never stored or logged; only hashes. */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { Principal, Role } from './roles.js';

export function newTokenSecret(): string {
  return `dh_${crypto.randomBytes(32).toString('base64url')}`;
}

export function hashToken(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

/** constant-time comparison of two secrets of any length */
export function sameSecret(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

export async function findTokenPrincipal(db: Kysely<Schema>, secret: string): Promise<Principal | null> {
  const row = await sql<{ id: string; name: string; role: Role }>`
    update tokens set last_used_at = now() where hash = ${hashToken(secret)} and revoked_at is null
    returning id::text as id, name, role`.execute(db);
  const t = row.rows[0];
  return t ? { name: t.name, role: t.role, tokenId: t.id } : null;
}

export async function mintToken(db: Kysely<Schema>, name: string, role: Role, createdBy: string): Promise<{ id: string; secret: string }> {
  const secret = newTokenSecret();
  const row = await sql<{ id: string }>`insert into tokens (name, role, hash, created_by)
    values (${name}, ${role}, ${hashToken(secret)}, ${createdBy}) returning id::text as id`.execute(db);
  return { id: row.rows[0].id, secret };
}
