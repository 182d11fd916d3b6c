/**
 * Db.close() may be called more than once (a test's own close, then its dispose; a shutdown path
 * racing another): the second call is a no-op, not a rejection — on PostgreSQL it ends both pools
 * (the main one and the prepared-statement one) once.
 */
import { describe, expect, it } from 'vitest';
import { openTestDb, usingPostgres } from '../helpers/test-db.js';

describe(`closing a database (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  it('close() twice resolves both times; queries after it are refused', async () => {
    const db = await openTestDb('empty');
    try {
      if (db.prepared) await db.prepared('test_close_probe', 'select 1 as one', []); // open the second pool too
      await db.ping();
      await expect(db.close()).resolves.toBeUndefined();
      await expect(db.close()).resolves.toBeUndefined();
      await expect(db.ping()).rejects.toThrow();
    } finally {
      await db.dispose();
    }
  });
});
