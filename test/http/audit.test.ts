/**
 * 全过程留痕 over HTTP: every kind of write (token change, layer create, upload, dry run, OGC item
 * create/replace/update/delete, restore, check, plan audit) and every refused write leaves an
 * audit row; GET /api/audit (admin) filters, pages with `next`, names a bad parameter in a 400;
 * nothing in the API edits the trail.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { collection, feature, multipart, square } from '../fixtures/uploads/upload-files.js';
import { RefusalThrottle } from '../../server/auth/audit-routes.js';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { buildTestApp } from '../helpers/test-app.js';
import { ROOT } from '../helpers/templates.js';
import { usingPostgres } from '../helpers/test-db.js';
import type { AuditEntryOut } from '../../server/auth/audit-query.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };
const ITEMS = '/ogc/collections/permanent-farmland/items';
const DEF = { id: 'audit-blocks', title: '审计测试区块', kind: 'block', geometryType: 'Polygon', attributes: [{ name: 'code', label: '区块编号', type: 'string' }] };

type Entry = AuditEntryOut;

describe(`audit trail (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini');
  const tokens: Record<string, Record<string, string>> = {};
  let plannerId = '';
  const started = new Date(Date.now() - 1000).toISOString();

  const audit = async (qs = '', headers: Record<string, string> = ADMIN) => fx.app.inject({ url: `/api/audit${qs}`, headers: { host: 'gis.test', ...headers } });
  const all = async (qs = ''): Promise<Entry[]> => {
    const r = await audit(`?limit=1000${qs}`);
    expect(r.statusCode).toBe(200);
    return r.json().entries;
  };
  const auditCount = async () => Number((await fx.db.kysely.selectFrom('audit').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    for (const role of ['viewer', 'planner', 'editor']) {
      const r = await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: ADMIN, payload: { name: `${role}-1`, role } });
      tokens[role] = { authorization: `Bearer ${r.json().token}` };
      if (role === 'planner') plannerId = r.json().id;
    }
  });

  it('records every kind of write: tokens, layer create, uploads, OGC edits, restore, checks, plan audit', async () => {
    const editor = tokens.editor;
    expect((await fx.app.inject({ method: 'POST', url: '/api/layers', headers: editor, payload: DEF })).statusCode).toBe(201);
    const upload = async (fields: Record<string, string> = {}) => {
      const body = await multipart({ name: 'blocks.geojson', data: JSON.stringify(collection([feature('B-1', { code: 'B-1' }, square(125.7, 44.5))])) }, fields);
      return fx.app.inject({ method: 'POST', url: `/api/layers/${DEF.id}/uploads`, headers: { ...editor, ...body.headers }, payload: body.payload });
    };
    expect((await upload({ dryRun: 'true' })).statusCode).toBe(200);
    expect((await upload()).statusCode).toBe(201);
    const json = { ...editor, 'content-type': 'application/geo+json' };
    const created = await fx.app.inject({ method: 'POST', url: ITEMS, headers: json, payload: JSON.stringify(feature('AUD-1', { code: 'AUD-1' }, square(125.7, 44.5))) });
    expect(created.statusCode).toBe(201);
    expect((await fx.app.inject({ method: 'PUT', url: `${ITEMS}/AUD-1`, headers: json, payload: JSON.stringify(feature('AUD-1', { code: 'AUD-1b' }, square(125.7, 44.5))) })).statusCode).toBe(200);
    expect((await fx.app.inject({ method: 'PATCH', url: `${ITEMS}/AUD-1`, headers: { ...editor, 'content-type': 'application/merge-patch+json' }, payload: JSON.stringify({ properties: { township: '米沙子镇' } }) })).statusCode).toBe(200);
    expect((await fx.app.inject({ method: 'DELETE', url: `${ITEMS}/AUD-1`, headers: editor })).statusCode).toBe(204);
    expect((await fx.app.inject({ method: 'POST', url: `/api/layers/${DEF.id}/versions/0/restore`, headers: editor })).statusCode).toBe(201); // (to 1, its current content, would change nothing)
    const check = await fx.app.inject({ method: 'POST', url: '/api/checks', headers: tokens.planner, payload: { geometry: square(125.7, 44.5, 0.01), activity: 'mining', mineral: '建筑用砂' } });
    expect(check.statusCode).toBe(201);
    expect((await fx.app.inject({ method: 'POST', url: '/api/checks/plan-audit', headers: tokens.planner })).statusCode).toBe(200);
    expect((await fx.app.inject({ method: 'DELETE', url: `/api/tokens/${plannerId}`, headers: ADMIN })).statusCode).toBe(204);

    const entries = await all();
    const kinds = new Set(entries.filter((e) => e.result === 'ok').map((e) => e.action));
    for (const kind of ['token.create', 'token.revoke', 'layer.create', 'layer.upload.dry-run', 'layer.upload', 'ogc.items.create', 'ogc.items.replace', 'ogc.items.update', 'ogc.items.delete', 'layer.restore', 'check.create', 'check.plan-audit']) {
      expect(kinds, kind).toContain(kind);
    }
    // who, when, what, from where, result
    const up = entries.find((e) => e.action === 'layer.upload')!;
    expect(up).toMatchObject({ actor: 'editor-1', role: 'editor', target: DEF.id, result: 'ok', ip: '127.0.0.1' });
    expect(up.details).toMatchObject({ fileName: 'blocks.geojson', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(Date.parse(up.at)).toBeGreaterThanOrEqual(Date.parse(started));
    expect(entries.find((e) => e.action === 'check.create')).toMatchObject({ actor: 'planner-1', target: check.json().id });
    // no secret ever reaches the trail
    const text = JSON.stringify(entries);
    for (const t of Object.values(tokens)) expect(text).not.toContain(t.authorization.slice(7));
  });

  it('records refused writes too, whether the handler ran or not, with who and the status', async () => {
    const before = await auditCount();
    expect((await fx.app.inject({ method: 'POST', url: '/api/checks', headers: tokens.viewer, payload: { geometry: square(125.7, 44.5), activity: 'mining', mineral: '建筑用砂' } })).statusCode).toBe(403);
    expect((await fx.app.inject({ method: 'POST', url: '/api/checks', headers: tokens.editor, payload: { geometry: { type: 'Polygon', coordinates: [[[0, 0]]] }, activity: 'mining', mineral: '建筑用砂' } })).statusCode).toBeGreaterThanOrEqual(400);
    expect((await fx.app.inject({ method: 'DELETE', url: `${ITEMS}/PF-1`, headers: { authorization: 'Bearer not-a-token' } })).statusCode).toBe(401);
    expect(await auditCount()).toBe(before + 3);
    const refused = (await all('&result=refused')).slice(0, 3);
    expect(refused.map((e) => e.details?.status)).toEqual([401, expect.any(Number), 403]);
    expect(refused[2]).toMatchObject({ action: 'http.write', actor: 'viewer-1', role: 'viewer', target: 'POST /api/checks', details: { route: '/api/checks', error: 'forbidden' } });
    expect(refused[0]).toMatchObject({ actor: 'anonymous', target: `DELETE ${ITEMS}/PF-1` });
    expect(refused[1].actor).toBe('editor-1');
  });

  it('every write route in the OpenAPI document leaves a row when called anonymously', async () => {
    // an app of its own: refusals without a token are recorded once per address, method and route a minute
    const app = await buildTestApp(fx.db);
    const doc = (await app.inject('/ogc/api')).json() as { paths: Record<string, Record<string, unknown>> };
    const writes = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops)
        .filter((m) => ['post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => ({ method: m.toUpperCase() as 'POST', url: p.replace(/\{[^}]+\}/g, (k) => (k.includes('collection') ? 'permanent-farmland' : k.includes('v}') ? '1' : 'x1')) })),
    );
    expect(writes.length).toBeGreaterThanOrEqual(10);
    for (const w of writes) {
      const before = await auditCount();
      const r = await app.inject({ method: w.method, url: w.url, payload: {} });
      // every write route checks the role before it reads the body
      expect(r.statusCode, `${w.method} ${w.url}`).toBe(401);
      expect(await auditCount(), `${w.method} ${w.url}`).toBe(before + 1);
    }
    await app.close();
  });

  // found by a security review: every anonymous refused write inserted a row, and the rate limit is off by default
  it('a flood of anonymous refused writes leaves one row per address, method and route a minute, and is counted in /metrics', async () => {
    // an app of its own: its throttle has seen none of this file's earlier refusals
    const app = await buildTestApp(fx.db);
    try {
      const metric = async () => Number(/^audit_refused_writes_suppressed_total (\d+)/m.exec((await app.inject('/metrics')).body)?.[1] ?? 0);
      const before = await auditCount();
      const suppressedBefore = await metric();
      for (let i = 0; i < 30; i++) expect((await app.inject({ method: 'DELETE', url: `${ITEMS}/FLOOD-${i}` })).statusCode).toBe(401);
      expect((await app.inject({ method: 'POST', url: '/api/checks', payload: {} })).statusCode).toBe(401);
      // DELETE …/items/:featureId once, POST /api/checks once
      expect(await auditCount()).toBe(before + 2);
      expect((await metric()) - suppressedBefore).toBe(29);
      // a token holder's refusal (403) is always recorded
      const viewer = (await app.inject({ method: 'POST', url: '/api/tokens', headers: ADMIN, payload: { name: 'flood-viewer', role: 'viewer' } })).json().token as string;
      const n = await auditCount();
      for (let i = 0; i < 3; i++) expect((await app.inject({ method: 'DELETE', url: `${ITEMS}/FLOOD-${i}`, headers: { authorization: `Bearer ${viewer}` } })).statusCode).toBe(403);
      expect(await auditCount()).toBe(n + 3);
    } finally {
      await app.close();
    }
  });

  it('RefusalThrottle: once per key a minute, a fresh minute starts afresh; past its bound a new key is still recorded, only not remembered', () => {
    const t = new RefusalThrottle(2);
    const m = 60_000 * 1000;
    expect([t.take('a', m), t.take('a', m + 1), t.take('b', m), t.take('c', m), t.take('c', m + 2), t.take('b', m + 3)]).toEqual([true, false, true, true, true, false]);
    expect([t.take('a', m + 60_000), t.take('c', m + 60_000), t.take('c', m + 60_001)]).toEqual([true, true, false]);
  });

  it('filters by actor, action (exact or prefix), target, result and time range', async () => {
    const byEditor = await all('&actor=editor-1');
    expect(byEditor.length).toBeGreaterThan(5);
    expect(byEditor.every((e) => e.actor === 'editor-1')).toBe(true);
    const ogc = await all('&action=ogc.items.*');
    expect(new Set(ogc.map((e) => e.action))).toEqual(new Set(['ogc.items.create', 'ogc.items.replace', 'ogc.items.update', 'ogc.items.delete']));
    expect((await all('&action=ogc.items')).length).toBe(0);
    const target = await all(`&target=${encodeURIComponent('feature:permanent-farmland/AUD-1')}`);
    expect(target.map((e) => e.action).sort()).toEqual(['ogc.items.delete', 'ogc.items.replace', 'ogc.items.update']);
    expect((await all('&result=ok')).every((e) => e.result === 'ok')).toBe(true);
    const everything = await all();
    expect((await all(`&from=${encodeURIComponent(started)}`)).length).toBe(everything.length);
    expect(await all(`&to=${encodeURIComponent(started)}`)).toEqual([]);
    expect(await all('&from=2999-01-01')).toEqual([]);
    // the range is half-open: [from, to)
    const pivot = everything[Math.floor(everything.length / 2)].at;
    const after = await all(`&from=${encodeURIComponent(pivot)}`);
    const beforePivot = await all(`&to=${encodeURIComponent(pivot)}`);
    expect(after.length + beforePivot.length).toBe(everything.length);
    expect(after.every((e) => e.at >= pivot) && beforePivot.every((e) => e.at < pivot)).toBe(true);
  });

  it('pages newest first through `next` links that keep the filters, with no gaps or repeats', async () => {
    const everything = await all('&actor=editor-1');
    const seen: Entry[] = [];
    let url: string | null = 'http://gis.test/api/audit?actor=editor-1&limit=3';
    while (url) {
      const r = await audit(url.replace('http://gis.test/api/audit', ''));
      expect(r.statusCode).toBe(200);
      const page = r.json();
      expect(page.numberReturned).toBeLessThanOrEqual(3);
      seen.push(...page.entries);
      url = page.next;
      if (url) expect(url).toContain('actor=editor-1');
    }
    expect(seen.map((e) => e.id)).toEqual(everything.map((e) => e.id));
    const ids = seen.map((e) => Number(e.id));
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect((await audit('?limit=1')).json().links.map((l: { rel: string }) => l.rel)).toEqual(['self', 'next']);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=ten', 'limit'],
    ['result=maybe', 'result'],
    ['from=yesterday', 'from'],
    ['to=2024-05-01T08:00:00', 'to'],
    ['from=2024-05-02&to=2024-05-01', 'from'],
    ['cursor=abc', 'cursor'],
    ['actor=', 'actor'],
    ['actor=a&actor=b', 'actor'],
    ['colour=red', 'colour'],
  ])('?%s is a 400 naming %s', async (qs, parameter) => {
    const r = await audit(`?${qs}`);
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: 'bad_request', details: { parameter } });
    expect(r.json().message).toMatch(/[\u4e00-\u9fff].*\(/);
  });

  it('is for admins only: 401 without a valid token (before any parameter check), 403 below admin', async () => {
    expect((await audit('', {})).statusCode).toBe(401);
    expect((await audit('?limit=0', {})).statusCode).toBe(401);
    expect((await audit('', { authorization: 'Bearer wrong' })).statusCode).toBe(401);
    expect((await audit('', tokens.editor)).statusCode).toBe(403);
    expect((await audit('', tokens.viewer)).statusCode).toBe(403);
  });

  it('cannot be edited through the API: no route writes, changes or deletes audit rows', async () => {
    const before = await fx.db.kysely.selectFrom('audit').selectAll().orderBy('id').execute();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      for (const url of ['/api/audit', `/api/audit/${before[0].id}`]) {
        const r = await fx.app.inject({ method, url, headers: ADMIN, payload: { action: 'forged', result: 'ok' } });
        expect([404, 405], `${method} ${url}`).toContain(r.statusCode);
      }
    }
    expect(await fx.db.kysely.selectFrom('audit').selectAll().orderBy('id').execute()).toEqual(before);
  });

  it('has one writer in the code: recordAudit (no other module inserts, updates or deletes audit rows)', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (p.endsWith('.ts') && p !== path.join(ROOT, 'server/auth/audit.ts')) {
          const src = fs.readFileSync(p, 'utf8');
          if (/(insertInto|updateTable|deleteFrom)\(\s*['"]audit['"]|\b(insert\s+into|update|delete\s+from|truncate)\s+audit\b/i.test(src)) offenders.push(path.relative(ROOT, p));
        }
      }
    };
    walk(path.join(ROOT, 'server'));
    expect(offenders).toEqual([]);
  });
});
