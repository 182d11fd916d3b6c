/**
 * Authorisation comes before everything about the body: every write route in the OpenAPI
 * document (so routes added later are covered without editing this file) answers a caller
 * without a token 401 and a viewer 403 whatever the body — malformed JSON, a body the schema
 * refuses, broken multipart — so an unauthorised caller learns nothing about the schema, and
 * nothing is stored. (Role checks run as route `onRequest` hooks, before body parsing.)
 */
import type { InjectOptions } from 'fastify';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { usingPostgres } from '../helpers/test-db.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };
const WRITE_METHODS = ['post', 'put', 'patch', 'delete'];

/** bodies no route accepts, each failing at a different stage (parser, schema, multipart) */
const BAD_BODIES: Array<{ name: string; headers: Record<string, string>; payload: string }> = [
  { name: 'malformed JSON', headers: { 'content-type': 'application/json' }, payload: '{"name": ' },
  { name: 'JSON the schema refuses', headers: { 'content-type': 'application/json' }, payload: '{"unexpected": [1, 2, 3], "role": "emperor"}' },
  { name: 'malformed GeoJSON', headers: { 'content-type': 'application/geo+json' }, payload: '{"type": "Feature", ' },
  { name: 'broken multipart', headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, payload: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\nPK\u0003' },
  { name: 'an unsupported media type', headers: { 'content-type': 'text/x-nonsense' }, payload: 'hello' },
];

describe(`role checks precede body validation on every write route (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini');
  let viewer: Record<string, string>;
  let writes: Array<{ method: InjectOptions['method']; url: string }>;

  /** row counts of every table a write could change (the audit trail records refusals, so not it) */
  const stored = async () => {
    const counts: Record<string, number> = {};
    for (const table of ['layers', 'layer_versions', 'features', 'checks', 'tokens'] as const) {
      counts[table] = Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(fx.db.kysely)).rows[0].n);
    }
    return counts;
  };

  beforeAll(async () => {
    const minted = await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: ADMIN, payload: { name: 'viewer-1', role: 'viewer' } });
    expect(minted.statusCode).toBe(201);
    viewer = { authorization: `Bearer ${minted.json().token}` };
    const doc = (await fx.app.inject('/ogc/api')).json() as { paths: Record<string, Record<string, unknown>> };
    writes = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops)
        .filter((m) => WRITE_METHODS.includes(m))
        .map((m) => ({
          method: m.toUpperCase() as InjectOptions['method'],
          url: p.replace(/\{[^}]+\}/g, (k) => (k.includes('collection') ? 'permanent-farmland' : k === '{v}' ? '1' : 'x1')),
        })),
    );
  });

  it('the OpenAPI document lists the write routes (tokens, layers, uploads, restore, checks, OGC items)', () => {
    const listed = writes.map((w) => `${w.method} ${w.url}`);
    for (const route of [
      'POST /api/tokens',
      'DELETE /api/tokens/x1',
      'POST /api/layers',
      'POST /api/layers/x1/uploads',
      'POST /api/layers/x1/versions/1/restore',
      'POST /api/checks',
      'POST /api/checks/plan-audit',
      'POST /ogc/collections/permanent-farmland/items',
      'PUT /ogc/collections/permanent-farmland/items/x1',
      'PATCH /ogc/collections/permanent-farmland/items/x1',
      'DELETE /ogc/collections/permanent-farmland/items/x1',
    ]) {
      expect(listed).toContain(route);
    }
  });

  it.each(BAD_BODIES.map((b) => [b.name, b] as const))('%s: 401 without a token, 401 with an unknown one, 403 for a viewer; nothing stored', async (_name, body) => {
    const before = await stored();
    for (const w of writes) {
      const what = `${w.method} ${w.url} (${body.name})`;
      const anonymous = await fx.app.inject({ method: w.method, url: w.url, headers: body.headers, payload: body.payload });
      expect(anonymous.statusCode, `${what}: ${anonymous.body.slice(0, 200)}`).toBe(401);
      expect(anonymous.json().error, what).toBe('unauthorized');
      const unknown = await fx.app.inject({ method: w.method, url: w.url, headers: { ...body.headers, authorization: 'Bearer not-a-token-at-all' }, payload: body.payload });
      expect(unknown.statusCode, what).toBe(401);
      const asViewer = await fx.app.inject({ method: w.method, url: w.url, headers: { ...body.headers, ...viewer }, payload: body.payload });
      expect(asViewer.statusCode, `${what}: ${asViewer.body.slice(0, 200)}`).toBe(403);
      expect(asViewer.json().error, what).toBe('forbidden');
      // the refusal says nothing about the body
      for (const r of [anonymous, unknown, asViewer]) expect(JSON.stringify(r.json().details ?? {}), what).not.toMatch(/parameter|field|body|schema/i);
    }
    expect(await stored()).toEqual(before);
  });

  it('the malformed JSON really is malformed: an admin gets a 4xx for it on every write route, and nothing is stored', async () => {
    const before = await stored();
    const [bad] = BAD_BODIES;
    for (const w of writes) {
      const r = await fx.app.inject({ method: w.method, url: w.url, headers: { ...bad.headers, ...ADMIN }, payload: bad.payload });
      expect(r.statusCode, `${w.method} ${w.url}: ${r.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, `${w.method} ${w.url}`).not.toBe(401);
      expect(r.statusCode, `${w.method} ${w.url}`).not.toBe(403);
      expect(r.statusCode, `${w.method} ${w.url}`).toBeLessThan(500);
    }
    expect(await stored()).toEqual(before);
  });
});
