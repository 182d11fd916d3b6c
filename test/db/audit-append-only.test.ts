/**
 * The audit trail is append-only in the database itself (migration 007): INSERT works; UPDATE,
 * DELETE and TRUNCATE raise for any client — the application's connection included — and leave
 * every row as it was, even a DELETE that would match nothing.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

describe(`audit table is append-only (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  const rows = () => db.kysely.selectFrom('audit').selectAll().orderBy('id').execute();

  beforeAll(async () => {
    db = await openTestDb('empty');
  });
  afterAll(() => db?.dispose());

  it('INSERT works, and the row reads back', async () => {
    await db.kysely.insertInto('audit').values({ actor: 'tester', role: 'admin', action: 'test.insert', target: 'x', ip: '127.0.0.1', result: 'ok', details: JSON.stringify({ n: 1 }) }).execute();
    await db.kysely.insertInto('audit').values({ actor: 'tester', action: 'test.insert', result: 'refused' }).execute();
    const all = await rows();
    expect(all.slice(-2).map((r) => [r.actor, r.action, r.result])).toEqual([
      ['tester', 'test.insert', 'ok'],
      ['tester', 'test.insert', 'refused'],
    ]);
  });

  it.each([
    ['UPDATE', "update audit set result = 'ok', actor = 'someone else'"],
    ['UPDATE', 'update audit set details = null where id = (select max(id) from audit)'],
    ['DELETE', 'delete from audit'],
    ['DELETE', "delete from audit where result = 'refused'"],
    ['DELETE', 'delete from audit where false'],
    ['TRUNCATE', 'truncate audit'],
    ['TRUNCATE', 'truncate audit restart identity cascade'],
  ])('%s is refused: %s', async (op, statement) => {
    const before = await rows();
    expect(before.length).toBeGreaterThanOrEqual(2);
    const err = await db.session((s) => s.exec(statement)).then(
      () => null,
      (e: { code?: string; message?: string }) => e,
    );
    expect(err, statement).not.toBeNull();
    expect(err!.code).toBe('42501');
    expect(err!.message).toMatch(new RegExp(`append-only: ${op} refused`));
    expect(err!.message).toMatch(/审计记录只能追加/);
    expect(await rows()).toEqual(before);
  });

  it('a refused DELETE inside a transaction rolls it back: the inserts before it are gone too', async () => {
    const before = await rows();
    await expect(
      db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('audit').values({ actor: 'tester', action: 'test.in-transaction', result: 'ok' }).execute();
        await trx.deleteFrom('audit').where('action', '=', 'test.insert').execute();
      }),
    ).rejects.toThrow(/append-only/);
    expect(await rows()).toEqual(before);
  });

  it('other tables are not affected: a layer row can still be deleted', async () => {
    await sql`insert into layers (id, title, kind, geometry_type) values ('append-only-probe', '探测', 'block', 'Polygon')`.execute(db.kysely);
    const deleted = await db.kysely.deleteFrom('layers').where('id', '=', 'append-only-probe').executeTakeFirst();
    expect(Number(deleted.numDeletedRows)).toBe(1);
  });

  it('the trigger is installed by the migrations, for UPDATE, DELETE and TRUNCATE', async () => {
    const r = await sql<{ tgtype: number }>`select tgtype from pg_trigger where tgname = 'audit_append_only' and tgrelid = 'audit'::regclass`.execute(db.kysely);
    expect(r.rows).toHaveLength(1);
    // pg_trigger.tgtype bits: 1 row-level (unset: per statement), 2 before, 8 delete, 16 update, 32 truncate
    const t = r.rows[0].tgtype;
    expect(t & 1).toBe(0);
    expect(t & 2).toBe(2);
    expect(t & (8 | 16 | 32)).toBe(8 | 16 | 32);
  });
});
