/**
 * Wrong, hostile and huge input on the endpoints a review of the tests found untried: each is a 4xx
 * naming what was wrong, and the stored data is unchanged (tokens, layers, versions).
 */
import net from 'node:net';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { buildTestApp, testConfig } from '../helpers/test-app.js';
import { usingPostgres } from '../helpers/test-db.js';
import { collection, feature, multipart, square } from '../fixtures/uploads/upload-files.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };
const BODY_BYTES = 256 * 1024;

describe(`refusals leave the store unchanged (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini', { limits: { ...testConfig().limits, bodyBytes: BODY_BYTES } });
  /** everything a refusal must not change: tokens, layers, versions, current features */
  const snapshot = async () =>
    (
      await sql<{ s: string }>`select concat_ws('|', (select count(*) from tokens), (select count(*) from layers),
        (select string_agg(id || '@' || version, ',' order by id) from layers), (select count(*) from layer_versions),
        (select count(*) from features where valid_to is null)) as s`.execute(fx.db.kysely)
    ).rows[0].s;
  const expectRefused = async (r: { statusCode: number; json: () => { message?: string; details?: Record<string, unknown> } }, status: number, parameter?: string | RegExp) => {
    expect(r.statusCode).toBe(status);
    expect(r.json().message).toEqual(expect.any(String));
    if (parameter) expect(String(r.json().details?.parameter ?? r.json().details?.limit)).toMatch(parameter);
  };

  it('POST /api/tokens: a name over 200 characters, a wrong role, a body over bodyBytes', async () => {
    const before = await snapshot();
    await expectRefused(await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: ADMIN, payload: { name: 'x'.repeat(201), role: 'viewer' } }), 400, /name/);
    await expectRefused(await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: ADMIN, payload: { name: 'x', role: 'root' } }), 400, /role/);
    const huge = await fx.app.inject({ method: 'POST', url: '/api/tokens', headers: { ...ADMIN, 'content-type': 'application/json' }, payload: JSON.stringify({ name: 'x', role: 'viewer', pad: 'y'.repeat(BODY_BYTES) }) });
    await expectRefused(huge, 413, /bodyBytes/);
    await expectRefused(await fx.app.inject({ method: 'DELETE', url: '/api/tokens/abc', headers: ADMIN }), 400);
    expect(await snapshot()).toBe(before);
  });

  // found by a security review: the message quoted the value with String(), whose Array#toString
  // recursion overflowed the stack on a deeply nested array → 500
  it('POST /api/checks: an activity or mineral nested deeply in arrays → 400 naming it', async () => {
    const before = await snapshot();
    const nested = (depth: number) => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;
    const block = JSON.stringify({ type: 'Polygon', coordinates: [[[125.6, 44.4], [125.61, 44.4], [125.61, 44.41], [125.6, 44.41], [125.6, 44.4]]] });
    for (const [field, body] of [
      ['activity', `{"geometry":${block},"activity":${nested(60_000)},"mineral":"地热"}`],
      ['mineral', `{"geometry":${block},"activity":"exploration","mineral":${nested(60_000)}}`],
    ] as const) {
      const r = await fx.app.inject({ method: 'POST', url: '/api/checks', headers: { ...ADMIN, 'content-type': 'application/json' }, payload: body });
      await expectRefused(r, 400, field);
    }
    expect(await snapshot()).toBe(before);
  });

  // found by a walkthrough: Chinese typed into a URL unencoded got Fastify's bare {"message":"Client Error"}
  it('a URL with unencoded Chinese (Node cannot parse it) is a 400 in the project\'s error format, saying to percent-encode', async () => {
    const app = await buildTestApp(fx.db);
    try {
      const base = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(base.port), '127.0.0.1', () =>
          socket.write(Buffer.concat([Buffer.from('GET /ogc/collections/permanent-farmland/items?township='), Buffer.from('松花江镇'), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')])),
        );
        let text = '';
        socket.on('data', (d) => (text += d.toString('utf8'))).on('end', () => resolve(text)).on('error', reject);
      });
      const [head, body] = raw.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 400/);
      expect(head).toMatch(/content-type: application\/json/i);
      expect(JSON.parse(body)).toMatchObject({ error: 'bad_request', message: expect.stringContaining('URL 编码'), details: { parameter: 'url' } });
      // (found by a review: the handler made every parse error a 400) headers over Node's bound stay a 431
      const big = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(base.port), '127.0.0.1', () => socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`));
        let text = '';
        socket.on('data', (d) => (text += d.toString('utf8'))).on('end', () => resolve(text)).on('error', reject);
      });
      expect(big).toMatch(/^HTTP\/1\.1 431/);
      expect(JSON.parse(big.split('\r\n\r\n')[1])).toMatchObject({ details: { parameter: 'headers' } });
    } finally {
      await app.close();
    }
  });

  it('POST /api/layers: a title over 200 characters, 201 attributes, a description over 4,000 characters', async () => {
    const before = await snapshot();
    const def = { id: 'refused', title: '拒绝', kind: 'other', geometryType: 'Polygon', attributes: [] as unknown[] };
    for (const [payload, parameter] of [
      [{ ...def, title: '长'.repeat(201) }, /title/],
      [{ ...def, attributes: Array.from({ length: 201 }, (_, i) => ({ name: `a${i}`, label: `属性${i}`, type: 'string' })) }, /attributes/],
      [{ ...def, description: '述'.repeat(4001) }, /description/],
    ] as const) {
      await expectRefused(await fx.app.inject({ method: 'POST', url: '/api/layers', headers: ADMIN, payload: payload as object }), 400, parameter);
    }
    expect(await snapshot()).toBe(before);
  });

  it('restore: a note that is not text or over 500 characters, an unknown layer, a malformed version', async () => {
    const before = await snapshot();
    const url = '/api/layers/permanent-farmland/versions/1/restore';
    await expectRefused(await fx.app.inject({ method: 'POST', url, headers: ADMIN, payload: { note: 5 } }), 400, /note/);
    await expectRefused(await fx.app.inject({ method: 'POST', url, headers: ADMIN, payload: { note: '注'.repeat(501) } }), 400, /note/);
    await expectRefused(await fx.app.inject({ method: 'POST', url: '/api/layers/no-such-layer/versions/1/restore', headers: ADMIN, payload: {} }), 404);
    await expectRefused(await fx.app.inject({ method: 'POST', url: '/api/layers/permanent-farmland/versions/1x/restore', headers: ADMIN, payload: {} }), 400);
    expect(await snapshot()).toBe(before);
  });

  it('uploads: each bad option is a 400 naming it', async () => {
    const before = await snapshot();
    const file = { name: 'a.geojson', data: JSON.stringify(collection([feature('R-1', { code: 'R-1' }, square(125.7, 44.5))])) };
    for (const [fields, parameter] of [
      [{ dryRun: 'maybe' }, 'dryRun'],
      [{ repair: '2' }, 'repair'],
      [{ crs: 'abc' }, 'crs'],
      [{ towgs84: '1,2' }, 'towgs84'],
      [{ encoding: 'latin9' }, 'encoding'],
      [{ note: '注'.repeat(501) }, 'note'],
      [{ mode: 'merge' }, 'mode'],
    ] as const) {
      const body = await multipart(file, fields as Record<string, string>);
      const r = await fx.app.inject({ method: 'POST', url: '/api/layers/permanent-farmland/uploads', headers: { ...ADMIN, ...body.headers }, payload: body.payload });
      expect({ fields, status: r.statusCode }).toEqual({ fields, status: 400 });
      expect(r.json().details.parameter).toBe(parameter);
    }
    expect(await snapshot()).toBe(before);
  });

  it('diff: malformed versions, an unknown parameter, an unknown layer', async () => {
    for (const [q, status] of [['from=abc&to=1', 400], ['from=1&to=1&nosuch=1', 400], ['from=-1&to=1', 400]] as const) {
      expect({ q, status: (await fx.app.inject(`/api/layers/permanent-farmland/diff?${q}`)).statusCode }).toEqual({ q, status });
    }
    expect((await fx.app.inject('/api/layers/no-such-layer/diff?from=0&to=1')).statusCode).toBe(404);
    // from after to: the same changes, reversed (not an error)
    expect((await fx.app.inject('/api/layers/permanent-farmland/diff?from=1&to=0')).statusCode).toBe(200);
  });

  it('tiles and TileJSON: more than 16 layers, a malformed or repeated id, a malformed version', async () => {
    const seventeen = Array.from({ length: 17 }, (_, i) => `layer-${i}`).join(',');
    for (const url of [`/tiles/${seventeen}/0/0/0.pbf`, `/tiles/${seventeen}.json`, '/tiles/Bad_Id.json', '/tiles/admin-county,admin-county.json', '/tiles/admin-county/0/0/0.pbf?version=abc', '/tiles/admin-county/0/0/0.pbf?v=1.2']) {
      const r = await fx.app.inject(url);
      expect({ url, status: r.statusCode }).toEqual({ url, status: 400 });
    }
  });

  it('OGC item writes: a body over bodyBytes is a 413 naming the limit, nothing written', async () => {
    const before = await snapshot();
    const big = JSON.stringify({ type: 'Feature', properties: { code: 'BIG', pad: 'p'.repeat(BODY_BYTES) }, geometry: square(125.7, 44.5) });
    for (const [method, url, type] of [
      ['POST', '/ogc/collections/permanent-farmland/items', 'application/geo+json'],
      ['PUT', '/ogc/collections/permanent-farmland/items/PF-0001', 'application/geo+json'],
      ['PATCH', '/ogc/collections/permanent-farmland/items/PF-0001', 'application/merge-patch+json'],
    ] as const) {
      const r = await fx.app.inject({ method, url, headers: { ...ADMIN, 'content-type': type }, payload: big });
      expect({ method, status: r.statusCode }).toEqual({ method, status: 413 });
    }
    expect(await snapshot()).toBe(before);
  });
});
