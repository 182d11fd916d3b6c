/**
 * Layer history through the API: create a layer, fill it by upload, diff versions, restore an
 * old version as a new one. Writes are audited.
 */
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { usingPostgres } from '../helpers/test-db.js';
import { collection, feature, multipart, square } from '../fixtures/uploads/upload-files.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };
const DEF = {
  id: 'test-blocks',
  title: '测试区块',
  kind: 'block',
  geometryType: 'Polygon',
  attributes: [
    { name: 'code', label: '区块编号', type: 'string', required: true },
    { name: 'area_km2', label: '面积', type: 'number' },
  ],
};

describe(`layer history (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini');

  async function upload(features: unknown[]) {
    const body = await multipart({ name: 'blocks.geojson', data: JSON.stringify(collection(features)) });
    return fx.app.inject({ method: 'POST', url: `/api/layers/${DEF.id}/uploads`, headers: { ...ADMIN, ...body.headers }, payload: body.payload });
  }

  it('creates an empty layer (editor), 409 when it exists, 400 naming a bad field', async () => {
    expect((await fx.app.inject({ method: 'POST', url: '/api/layers', payload: DEF })).statusCode).toBe(401);
    const r = await fx.app.inject({ method: 'POST', url: '/api/layers', headers: ADMIN, payload: DEF });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ id: DEF.id, title: '测试区块', version: 0, featureCount: 0, geometryType: 'Polygon' });
    expect((await fx.app.inject({ method: 'POST', url: '/api/layers', headers: ADMIN, payload: DEF })).statusCode).toBe(409);
    const bad = await fx.app.inject({ method: 'POST', url: '/api/layers', headers: ADMIN, payload: { ...DEF, id: 'Bad_Id' } });
    expect(bad.json()).toMatchObject({ error: 'bad_request', details: { parameter: 'id' } });
    const english = await fx.app.inject({ method: 'POST', url: '/api/layers', headers: ADMIN, payload: { ...DEF, id: 'other', title: 'Blocks' } });
    expect(english.json()).toMatchObject({ error: 'bad_request', details: { parameter: 'title' } });
    // a tile's own property names (found by a review: such an attribute never reached a tile, nor labelled one)
    for (const name of ['merged', 'geom', 'mvt_id']) {
      const reserved = await fx.app.inject({ method: 'POST', url: '/api/layers', headers: ADMIN, payload: { ...DEF, id: 'reserved', attributes: [{ name, label: '保留', type: 'string' }] } });
      expect({ name, status: reserved.statusCode }).toEqual({ name, status: 400 });
      expect(reserved.json().details).toMatchObject({ parameter: 'attributes' });
    }
  });

  // found by a review: any object was accepted, and one bad value made /styles/default.json invalid for every viewer
  it('a layer style is checked value by value (400 naming the field, nothing created); a good one keeps the style valid by the spec', async () => {
    const layers = async () => (await fx.app.inject('/api/layers')).json().length as number;
    const before = await layers();
    for (const style of [{ fill: 'x' }, { fillOpacity: 1.5 }, { lineWidth: 'wide' }, { lineDash: ['a'] }, { line: 'red; }' }, { nosuch: 1 }, { lineByValue: { field: 'mineral', colors: { 地热: 'hot' } } }, { lineByValue: { field: 'area_km2', colors: { '1': '#ff0000' } } }, { lineByValue: { field: 'nosuch', colors: { A: '#ff0000' } } }]) {
      const r = await fx.app.inject({ method: 'POST', url: '/api/layers', headers: ADMIN, payload: { ...DEF, id: 'styled', style } });
      expect({ style, status: r.statusCode }).toEqual({ style, status: 400 });
      expect(r.json().details.parameter).toMatch(/style/);
    }
    expect(await layers()).toBe(before);
    const style = { fill: '#d7301f', fillOpacity: 0.25, line: '#990000', lineWidth: 1.5, lineDash: [4, 2], lineByValue: { field: 'code', colors: { A: '#00a0e9' } } };
    const r = await fx.app.inject({ method: 'POST', url: '/api/layers', headers: ADMIN, payload: { ...DEF, id: 'styled', style } });
    expect(r.statusCode, r.body).toBe(201);
    const doc = (await fx.app.inject('/styles/default.json')).json();
    expect(doc.layers.find((l: { id: string }) => l.id === 'styled-line').paint).toMatchObject({ 'line-width': 1.5, 'line-dasharray': [4, 2] });
    // the stored table draws (found by a review: blocks and rights always got a built-in one, others none)
    expect(doc.layers.find((l: { id: string }) => l.id === 'styled-line').paint['line-color']).toEqual(['match', ['get', 'code'], 'A', '#00a0e9', '#990000']);
    expect(doc.layers.find((l: { id: string }) => l.id === 'styled-fill').paint['fill-color']).toEqual(['match', ['get', 'code'], 'A', '#00a0e9', '#d7301f']);
    expect(validateStyleMin(doc)).toEqual([]);
  });

  it('a first upload maps 区块编号 → code and reports a missing required field row by row', async () => {
    const missing = await upload([feature(null, { 区块编号: 'A' }, square(125.7, 44.5)), feature(null, { 面积: 1 }, square(125.71, 44.5))]);
    expect(missing.statusCode).toBe(422);
    expect(missing.json().details.problems).toEqual([expect.objectContaining({ feature: 1, field: 'code', severity: 'error' })]);
    const v1 = await upload([feature(null, { 区块编号: 'A', 面积: '0.0100' }, square(125.7, 44.5)), feature(null, { 区块编号: 'B' }, square(125.71, 44.5))]);
    expect(v1.statusCode, v1.body).toBe(201);
    expect(v1.json()).toMatchObject({ version: 1, added: 2 });
    const v2 = await upload([feature(null, { 区块编号: 'A', 面积: 0.02 }, square(125.7, 44.5)), feature(null, { 区块编号: 'C' }, square(125.72, 44.5, 0.002))]);
    expect(v2.json()).toMatchObject({ version: 2, added: 1, removed: 1, changed: 1 });
  });

  it('diffs two versions, with geometry on request', async () => {
    const r = await fx.app.inject({ url: `/api/layers/${DEF.id}/diff?from=1&to=2&geometry=true` });
    expect(r.statusCode, r.body).toBe(200);
    const d = r.json();
    expect(d.counts).toEqual({ added: 1, removed: 1, changed: 1 });
    expect(d.added).toEqual([{ id: 'C', properties: { code: 'C' }, geometry: expect.objectContaining({ type: 'Polygon' }) }]);
    expect(d.removed.map((f: { id: string }) => f.id)).toEqual(['B']);
    expect(d.changed[0]).toMatchObject({ id: 'A', propertiesChanged: ['area_km2'], geometryChanged: false, before: { properties: { code: 'A', area_km2: 0.01 } } });
    const noGeom = (await fx.app.inject({ url: `/api/layers/${DEF.id}/diff?from=1&to=2` })).json();
    expect(noGeom.added[0].geometry).toBeUndefined();
    expect((await fx.app.inject({ url: `/api/layers/${DEF.id}/diff?from=9` })).json()).toMatchObject({ error: 'bad_request', details: { parameter: 'from' } });
  });

  it('restores version 1 as version 3 (restoredFrom 1), and the diff 1→3 is empty', async () => {
    expect((await fx.app.inject({ method: 'POST', url: `/api/layers/${DEF.id}/versions/1/restore` })).statusCode).toBe(401);
    const r = await fx.app.inject({ method: 'POST', url: `/api/layers/${DEF.id}/versions/1/restore`, headers: ADMIN });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ version: 3, restoredFrom: 1, added: 1, removed: 1, changed: 1, featureCount: 2 });
    const d = (await fx.app.inject({ url: `/api/layers/${DEF.id}/diff?from=1&to=3` })).json();
    expect(d.counts).toEqual({ added: 0, removed: 0, changed: 0 });
    const versions = (await fx.app.inject({ url: `/api/layers/${DEF.id}/versions` })).json();
    expect(versions[0]).toMatchObject({ version: 3, restoredFrom: 1 });
    expect((await fx.app.inject({ method: 'POST', url: `/api/layers/${DEF.id}/versions/7/restore`, headers: ADMIN })).statusCode).toBe(404);
  });

  // found by a review: version 0 (the layer as created) could not be restored, so a bad first upload could not be undone
  it('restores version 0: the layer emptied as a new version; the diff 0→it is empty', async () => {
    const r = await fx.app.inject({ method: 'POST', url: `/api/layers/${DEF.id}/versions/0/restore`, headers: ADMIN });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ version: 4, restoredFrom: 0, removed: 2, added: 0, featureCount: 0 });
    expect((await fx.app.inject({ url: `/api/layers/${DEF.id}/diff?from=0&to=4` })).json().counts).toEqual({ added: 0, removed: 0, changed: 0 });
    expect((await fx.app.inject(`/ogc/collections/${DEF.id}/items`)).json().features).toEqual([]);
    const back = await fx.app.inject({ method: 'POST', url: `/api/layers/${DEF.id}/versions/3/restore`, headers: ADMIN });
    expect(back.json()).toMatchObject({ version: 5, featureCount: 2 });
    expect((await fx.app.inject({ method: 'POST', url: `/api/layers/${DEF.id}/versions/00/restore`, headers: ADMIN })).statusCode).toBe(400);
  });

  // found by a walkthrough: restoring the same version twice made an empty version (0/0/0)
  it('a restore that would change nothing (restored twice, or to the current version) makes no version: 200, unchanged', async () => {
    const before = (await fx.app.inject(`/api/layers/${DEF.id}/versions`)).json().length;
    for (const v of [3, 5]) {
      const r = await fx.app.inject({ method: 'POST', url: `/api/layers/${DEF.id}/versions/${v}/restore`, headers: ADMIN });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ version: 5, unchanged: true, added: 0, removed: 0, changed: 0, featureCount: 2 });
    }
    expect((await fx.app.inject(`/api/layers/${DEF.id}/versions`)).json().length).toBe(before);
    const audit = (await fx.app.inject({ url: '/api/audit?action=layer.restore&limit=1', headers: ADMIN })).json().entries[0];
    expect(audit).toMatchObject({ result: 'ok', details: { restoredFrom: 5, unchanged: true, version: 5 } });
  });

  // found by a review: every OGC item edit is a version, and the list had no bound
  it('pages the version list newest first (limit, before, Link rel=next); bad paging parameters are a 400 naming them', async () => {
    const all = (await fx.app.inject(`/api/layers/${DEF.id}/versions`)).json().map((v: { version: number }) => v.version);
    expect(all).toEqual([5, 4, 3, 2, 1]);
    const seen: number[] = [];
    let url: string | null = `/api/layers/${DEF.id}/versions?limit=2`;
    while (url) {
      const r = await fx.app.inject(url);
      expect(r.statusCode, r.body).toBe(200);
      const page = r.json() as { version: number }[];
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page.map((v) => v.version));
      const link = r.headers.link as string | undefined;
      if (link) expect(link).toMatch(/^<http:\/\/[^>]+\/api\/layers\/test-blocks\/versions\?/); // absolute (PUBLIC_URL when set)
      url = link ? /^<([^>]+)>; rel="next"$/.exec(link)![1] : null;
    }
    expect(seen).toEqual(all);
    for (const q of ['limit=0', 'limit=1001', 'limit=x', 'before=0', 'before=-1', 'nosuch=1']) {
      const r = await fx.app.inject(`/api/layers/${DEF.id}/versions?${q}`);
      expect({ q, status: r.statusCode }).toEqual({ q, status: 400 });
      expect(r.json().message).toMatch(q.split('=')[0]);
    }
    // a diff with geometry pages by at most 1000 features per kind
    const big = await fx.app.inject(`/api/layers/${DEF.id}/diff?from=1&to=2&geometry=true&limit=5000`);
    expect(big.statusCode).toBe(400);
    expect(big.json().details).toMatchObject({ parameter: 'limit', max: 1000 });
    expect((await fx.app.inject(`/api/layers/${DEF.id}/diff?from=1&to=2&limit=5000`)).statusCode).toBe(200);
  });

  // found by a review: a `code` over 200 characters taken as the id was refused by the column's CHECK as a 500
  it('a code too long to be an id is not taken as one: the features get generated ids', async () => {
    const def = { ...DEF, id: 'long-codes' };
    expect((await fx.app.inject({ method: 'POST', url: '/api/layers', headers: ADMIN, payload: def })).statusCode).toBe(201);
    const body = await multipart({ name: 'blocks.geojson', data: JSON.stringify(collection([feature(null, { 区块编号: 'A'.repeat(201) }, square(125.7, 44.5)), feature(null, { 区块编号: 'B' }, square(125.71, 44.5))])) });
    const r = await fx.app.inject({ method: 'POST', url: `/api/layers/${def.id}/uploads`, headers: { ...ADMIN, ...body.headers }, payload: body.payload });
    expect(r.statusCode, r.body).toBe(201);
    const ids = (await fx.app.inject(`/ogc/collections/${def.id}/items`)).json().features.map((f: { id: string }) => f.id).sort();
    expect(ids).toEqual(['long-codes-1-1', 'long-codes-1-2']);
  });

  // found by a review: a restore committed, then its audit row failed, and the client got a 500 (a retry writes it again)
  it('a committed restore whose audit row fails still answers 201; the safety net records it', async () => {
    await fx.db.kysely.executeQuery(
      sql`create function refuse_restore_audit() returns trigger language plpgsql as $$ begin if new.action = 'layer.restore' then raise exception 'audit down'; end if; return new; end $$`.compile(fx.db.kysely),
    );
    await fx.db.kysely.executeQuery(sql`create trigger refuse_restore_audit before insert on audit for each row execute function refuse_restore_audit()`.compile(fx.db.kysely));
    try {
      const r = await fx.app.inject({ method: 'POST', url: `/api/layers/${DEF.id}/versions/0/restore`, headers: ADMIN }); // (version 1's features are the current ones: that restore would change nothing)
      expect(r.statusCode, r.body).toBe(201);
      const version = r.json().version as number;
      expect((await fx.app.inject(`/api/layers/${DEF.id}/versions?limit=1`)).json()[0]).toMatchObject({ version, restoredFrom: 0 });
      const net = await fx.db.kysely.selectFrom('audit').select(['action', 'result', 'details']).where('target', '=', `POST /api/layers/${DEF.id}/versions/0/restore`).where('result', '=', 'ok').execute();
      expect(net).toEqual([expect.objectContaining({ action: 'http.write', result: 'ok' })]);
    } finally {
      await fx.db.kysely.executeQuery(sql`drop trigger refuse_restore_audit on audit`.compile(fx.db.kysely));
    }
  });

  it('create, upload and restore are audited, refusals too', async () => {
    const rows = await fx.db.kysely.selectFrom('audit').select(['action', 'result']).where('target', '=', DEF.id).orderBy('id').execute();
    const seen = rows.map((r) => `${r.action}:${r.result}`);
    expect(seen).toEqual(expect.arrayContaining(['layer.create:ok', 'layer.create:refused', 'layer.upload:refused', 'layer.upload:ok', 'layer.restore:ok', 'layer.restore:refused']));
  });
});
