import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/fixture-app.js';
import { usingPostgres } from '../helpers/test-db.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };

describe(`tokens and roles (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useTestApp('empty');

  it('an admin mints a token shown once, stored only as a hash, listed without the secret', async () => {
    const r = await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: ADMIN, payload: { name: '规划科 张三', role: 'planner' } });
    expect(r.statusCode).toBe(201);
    const { id, token } = r.json();
    expect(token).toMatch(/^dh_[\w-]{43}$/);
    const stored = await fx.db.kysely.selectFrom('tokens').select('hash').where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.hash).not.toContain(token);
    const list = await fx.app.inject({ url: '/api/tokens', headers: ADMIN });
    expect(list.body).not.toContain(token);
    expect(list.json()).toEqual([expect.objectContaining({ id, name: '规划科 张三', role: 'planner', revokedAt: null })]);
    const audit = await fx.db.kysely.selectFrom('audit').selectAll().where('action', '=', 'token.create').execute();
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('missing or wrong tokens are 401, a lower role is 403', async () => {
    expect((await fx.app.inject({ url: '/api/tokens' })).statusCode).toBe(401);
    expect((await fx.app.inject({ url: '/api/tokens', headers: { authorization: 'Bearer nope' } })).statusCode).toBe(401);
    expect((await fx.app.inject({ url: '/api/tokens', headers: { authorization: 'Basic abc' } })).statusCode).toBe(401);
    const minted = await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: ADMIN, payload: { name: 'viewer', role: 'viewer' } });
    const viewer = { authorization: `Bearer ${minted.json().token}` };
    expect((await fx.app.inject({ url: '/api/tokens', headers: viewer })).statusCode).toBe(403);
    // reads stay open to a valid viewer token and to anonymous users
    expect((await fx.app.inject({ url: '/api/layers', headers: viewer })).statusCode).toBe(200);
    expect((await fx.app.inject({ url: '/api/layers' })).statusCode).toBe(200);
  });

  // found by a walkthrough: the viewer learned a token's role by probing gated routes with invalid
  // requests, and every probe wrote a refused write to the audit trail
  it('GET /api/me says who the caller is, writes nothing to the audit trail, and is a 401 for a revoked token', async () => {
    const auditRows = async () => Number((await fx.db.kysely.selectFrom('audit').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await auditRows();
    expect((await fx.app.inject({ url: '/api/me' })).json()).toEqual({ name: 'anonymous', role: null, roles: [] });
    const minted = (await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: ADMIN, payload: { name: '规划科 李四', role: 'planner' } })).json();
    const planner = { authorization: `Bearer ${minted.token}` };
    expect((await fx.app.inject({ url: '/api/me', headers: planner })).json()).toEqual({ name: '规划科 李四', role: 'planner', roles: ['viewer', 'planner'] });
    expect((await fx.app.inject({ url: '/api/me', headers: ADMIN })).json()).toMatchObject({ role: 'admin', roles: ['viewer', 'planner', 'editor', 'admin'] });
    expect(await auditRows()).toBe(before + 1); // the token.create only
    expect((await fx.app.inject({ method: 'DELETE', url: `/api/tokens/${minted.id}`, headers: ADMIN })).statusCode).toBe(204);
    expect((await fx.app.inject({ url: '/api/me', headers: planner })).statusCode).toBe(401);
  });

  it('a revoked token stops working at once', async () => {
    const minted = (await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: ADMIN, payload: { name: 'temp', role: 'admin' } })).json();
    const auth = { authorization: `Bearer ${minted.token}` };
    expect((await fx.app.inject({ url: '/api/tokens', headers: auth })).statusCode).toBe(200);
    expect((await fx.app.inject({ method: 'DELETE', url: `/api/tokens/${minted.id}`, headers: ADMIN })).statusCode).toBe(204);
    expect((await fx.app.inject({ url: '/api/tokens', headers: auth })).statusCode).toBe(401);
    expect((await fx.app.inject({ method: 'DELETE', url: `/api/tokens/${minted.id}`, headers: ADMIN })).statusCode).toBe(404);
  });

  it.each([
    [{ name: '', role: 'planner' }, 'name'],
    [{ name: 'x', role: 'superuser' }, 'role'],
    [{ name: 'x' }, 'role'],
    [{ name: 'x', role: 'viewer', extra: 1 }, 'extra'],
  ])('a bad token request %j is a 400 naming %s', async (payload, parameter) => {
    const r = await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: ADMIN, payload });
    expect(r.statusCode).toBe(400);
    expect(r.json().details.parameter).toBe(parameter);
  });
});

// found by a review: TRUST_PROXY=1 (a hop count) made Fastify 5 trust nothing, so behind nginx every
// client had nginx's address in the audit trail and one shared rate-limit budget
describe(`behind a trusted proxy (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useTestApp('empty', { trustProxy: ['127.0.0.1'] });

  it('the client address comes from X-Forwarded-For (audit ip), and only from a trusted peer', async () => {
    const r = await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: { 'x-forwarded-for': '203.0.113.7' }, payload: { name: 'x', role: 'viewer' } });
    expect(r.statusCode).toBe(401);
    const refused = await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: { 'x-forwarded-for': '198.51.100.9' }, payload: { name: 'y', role: 'viewer' }, remoteAddress: '192.0.2.1' });
    expect(refused.statusCode).toBe(401);
    const ips = (await fx.db.kysely.selectFrom('audit').select('ip').where('action', '=', 'http.write').orderBy('id').execute()).map((a) => a.ip);
    expect(ips).toEqual(['203.0.113.7', '192.0.2.1']);
  });
});
