/**
 * Conflict checks against the checks fixture (test/fixtures/checks, rectangles in GK zone 42 km
 * offsets, see make.ts). Expected areas are computed independently: PostGIS geography area of the
 * same rectangles (ST_MakeEnvelope in EPSG:4530 → 4490), intersected with the stored features —
 * not through any function of server/checks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckRequest, type CheckRequestBody } from '../../server/checks/check-request.js';
import { countChecks, runCheck } from '../../server/checks/check-service.js';
import { overlapsGeoJson, reportGeometry } from '../../server/checks/check-store.js';
import { backgroundCoverageSettled, storedCoverage, verifyCoverage, verifyDeclaredCoverage } from '../../server/checks/coverage.js';
import { gaussKrugerToLonLat } from '../../server/ingest/gauss-kruger.js';
import { writeLayerVersion } from '../../server/layers/layer-writes.js';
import { restoreVersion } from '../../server/layers/restore.js';
import { runPlanAudit } from '../../server/checks/plan-audit.js';
import { renderReportHtml } from '../../server/checks/report-html.js';
import { RULES, ruleApplies, type Rule } from '../../server/checks/rules.js';
import { insertLayer } from '../../server/layers/layer-registry.js';
import { seedDataset } from '../../server/layers/seed.js';
import { E0, N0, gkRect } from '../fixtures/checks/make.js';
import { ROOT } from '../helpers/templates.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/checks');
const OPTS = { actor: 'tester', role: 'planner', maxVertices: 1000 };

/** A GK zone-42 rectangle (km offsets) as a GeoJSON polygon in EPSG:4530. */
const block = (r: number[]) => ({ type: 'Polygon', coordinates: [gkRect(r)] });
const envelope = ([x0, y0, x1, y1]: number[]) => sql`ST_Transform(ST_MakeEnvelope(${E0 + x0 * 1000}, ${N0 + y0 * 1000}, ${E0 + x1 * 1000}, ${N0 + y1 * 1000}, 4530), 4490)`;
/** m², ellipsoidal, edges straight in lon/lat (densified to ~2 m, finer than the service's ~10 m) */
const geoArea = (g: ReturnType<typeof sql>) => sql`ST_Area(ST_Segmentize(${g}, 0.00002)::geography)`;
/** "to the square metre" */
const M2 = 0.5;

describe(`conflict checks (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openTestDb('empty');
    await seedDataset(db.kysely, FIXTURE, 'checks-fixture');
    // the declared coverages verified (as the first check would start in the background), so the
    // tests below run the summed path; the last tests cover the unverified and overlapping cases
    await verifyDeclaredCoverage(db.kysely);
  });
  afterAll(async () => {
    if (db) await backgroundCoverageSettled(db.kysely);
    await db?.dispose();
  });

  const check = (body: CheckRequestBody, opts: Parameters<typeof runCheck>[2] = OPTS) => runCheck(db.kysely, parseCheckRequest(body), opts);
  const gk = (r: number[], activity: string, mineral: string, extra: Partial<CheckRequestBody> = {}) =>
    check({ geometry: block(r), crs: 'EPSG:4530', activity, mineral, ...extra });
  /** m², ellipsoidal, of the rectangle r (independent of server/checks) */
  const areaOf = async (r: number[]) => (await sql<{ a: number }>`select ${geoArea(envelope(r))} as a`.execute(db.kysely)).rows[0].a;
  /** m², ellipsoidal, of rectangle r ∩ the union of the given stored features */
  const overlapWith = async (r: number[], layer: string, fids?: string[]) =>
    (await sql<{ a: number }>`select coalesce(${geoArea(sql`ST_Intersection(${envelope(r)}, ST_Union(geom))`)}, 0) as a from features
      where layer_id = ${layer} and valid_to is null ${fids ? sql`and fid in (${sql.join(fids)})` : sql``}`.execute(db.kysely)).rows[0].a;
  const finding = (report: Awaited<ReturnType<typeof check>>, ruleId: string) => report.findings.find((f) => f.ruleId === ruleId);

  it('a clean sand block inside its mining block passes, with the ellipsoidal area in m², ha, 亩 and km²', async () => {
    const r = [4.5, 4.5, 5.5, 5.5];
    const report = await gk(r, 'mining', '建筑用砂', { scale: { value: 20, unit: '万吨/年' }, name: '测试区块' });
    expect(report.findings).toEqual([]);
    expect(report.verdict).toBe('pass');
    expect(report.verdictLabel).toBe('符合');
    const expected = await areaOf(r);
    expect(Math.abs(report.block.area.m2 - expected)).toBeLessThan(M2);
    expect(report.block.area.m2).toBeCloseTo(1_000_000, -2); // a 1 km GK square is ~1 km² on the ellipsoid (scale factor ~1)
    expect(report.block.area.ha).toBeCloseTo(expected / 10_000, 4);
    expect(report.block.area.mu).toBeCloseTo((expected * 15) / 10_000, 2);
    expect(report.block.area.km2).toBe(Math.round(expected / 100) / 10_000);
    expect(report.layerVersions).toMatchObject({ 'ecological-redline': 1, 'mining-blocks': 1 });
    expect(report.skippedRules.map((s) => s.ruleId)).toContain('key-development-area'); // layer not in the fixture
  });

  // found by a review: a rule that could not be checked (its layer missing, the scale not given) left the verdict 符合
  it('a rule that applies but could not be checked makes the verdict at least review; an unchecked notice does not', async () => {
    const r = [4.5, 4.5, 5.5, 5.5];
    const noScale = await gk(r, 'mining', '建筑用砂');
    expect(noScale.findings).toEqual([]);
    expect(noScale.verdict).toBe('review');
    expect(noScale.skippedRules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ruleId: 'minimum-scale', unverified: true }),
        expect.objectContaining({ ruleId: 'key-development-area', unverified: true }), // notice: listed, no escalation alone
      ]),
    );
    const redline = RULES.find((x) => x.id === 'redline-mining')!;
    const missing = await check({ geometry: block(r), crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂', scale: { value: 20, unit: '万吨/年' } }, {
      ...OPTS,
      rules: [...RULES, { ...redline, id: 'redline-mining-2', layer: 'no-such-layer' } as Rule],
    });
    expect(missing.findings).toEqual([]);
    expect(missing.verdict).toBe('review');
    expect(missing.skippedRules).toContainEqual(expect.objectContaining({ ruleId: 'redline-mining-2', unverified: true }));
    // a layer that exists but holds no features (created and never uploaded, or restored to version 0) is not checked either
    await insertLayer(db.kysely, { id: 'empty-redline', title: '空红线', kind: 'constraint', geometryType: 'MultiPolygon', attributes: [] });
    const empty = await check({ geometry: block(r), crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂', scale: { value: 20, unit: '万吨/年' } }, {
      ...OPTS,
      rules: [...RULES, { ...redline, id: 'redline-mining-3', layer: 'empty-redline' } as Rule],
    });
    expect(empty.verdict).toBe('review');
    expect(empty.skippedRules).toContainEqual(expect.objectContaining({ ruleId: 'redline-mining-3', unverified: true }));
    // found by a walkthrough: a layer WRITTEN empty (the plan lists none) is data — its rules are checked;
    // restored to version 0 it is as never loaded again
    await writeLayerVersion(db.kysely, { layerId: 'empty-redline', mode: 'replace', features: [], author: 'test' });
    const written = await check({ geometry: block(r), crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂', scale: { value: 20, unit: '万吨/年' } }, {
      ...OPTS,
      rules: [...RULES, { ...redline, id: 'redline-mining-3', layer: 'empty-redline' } as Rule],
    });
    expect(written.skippedRules.map((x) => x.ruleId)).not.toContain('redline-mining-3');
    expect(written.verdict).toBe('pass');
    // restoring the written-empty layer to version 0 makes a version (it now says "not loaded", not "none"); again, none
    expect((await restoreVersion(db.kysely, 'empty-redline', 0, 'test')).unchanged).toBe(false);
    expect((await restoreVersion(db.kysely, 'empty-redline', 0, 'test')).unchanged).toBe(true);
    const restored = await check({ geometry: block(r), crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂', scale: { value: 20, unit: '万吨/年' } }, {
      ...OPTS,
      rules: [...RULES, { ...redline, id: 'redline-mining-3', layer: 'empty-redline' } as Rule],
    });
    expect(restored.skippedRules).toContainEqual(expect.objectContaining({ ruleId: 'redline-mining-3', unverified: true }));
    const html = renderReportHtml(missing, await reportGeometry(db.kysely, missing, []), { zone: 42, epsg: 4530 });
    expect(html).toContain('有规则未能检查');
    expect(html).not.toContain('未发现与规划及控制线的冲突');
  });

  // found by a review: ST_MakeValid of the whole block cut out the area where two of its parts overlap
  it('a block whose parts overlap is their union: the shared area counts once and is checked', async () => {
    const a = [9, 12, 11, 14];
    const b = [10, 13, 12, 15]; // overlaps a over [10, 13, 11, 14], on the red line (x 10–12, y 10–20)
    const report = await check({ geometry: { type: 'MultiPolygon', coordinates: [[gkRect(a)], [gkRect(b)]] }, crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂' });
    // expected: the union drawn in GK (as the block was), then on the ellipsoid
    const gkBox = ([x0, y0, x1, y1]: number[]) => sql`ST_MakeEnvelope(${E0 + x0 * 1000}, ${N0 + y0 * 1000}, ${E0 + x1 * 1000}, ${N0 + y1 * 1000}, 4530)`;
    const union = sql`ST_Transform(ST_Union(${gkBox(a)}, ${gkBox(b)}), 4490)`;
    const expected = (
      await sql<{ block: number; red: number }>`select ${geoArea(union)} as block, (select ${geoArea(sql`ST_Intersection(${union}, ST_Union(geom))`)} from features
        where layer_id = 'ecological-redline' and valid_to is null) as red`.execute(db.kysely)
    ).rows[0];
    expect(Math.abs(report.block.area.m2 - expected.block)).toBeLessThan(M2);
    const hit = finding(report, 'redline-mining')!;
    expect(Math.abs(hit.area!.m2 - expected.red)).toBeLessThan(M2);
    expect(report.input.repaired).toBe(true);
    expect(report.warnings).toContainEqual(expect.objectContaining({ field: 'geometry', message: expect.stringContaining('ST_MakeValid') }));
  });

  it('mining over the red line is prohibited, exploration over it needs review, with the exact overlap', async () => {
    const r = [11, 12, 13, 13]; // 1 km² of its 2 km² lies on the red line (x 10–12)
    const expected = await overlapWith(r, 'ecological-redline');
    const mining = await gk(r, 'mining', '建筑用砂');
    const hit = finding(mining, 'redline-mining')!;
    expect(hit).toMatchObject({ verdict: 'prohibited', verdictLabel: '禁止', layer: 'ecological-redline', featureCount: 1 });
    expect(Math.abs(hit.area!.m2 - expected)).toBeLessThan(M2);
    expect(hit.sharePercent).toBeCloseTo(50, 1);
    expect(hit.features[0]).toMatchObject({ id: 'ER1', name: '松花江红线' });
    expect(hit.citation).toContain('第三章第一节');
    expect(hit.message).toContain('生态保护红线');
    expect(mining.verdict).toBe('prohibited');

    const exploration = await gk(r, 'exploration', '地热');
    expect(finding(exploration, 'redline-exploration')).toMatchObject({ verdict: 'review' });
    expect(finding(exploration, 'redline-mining')).toBeUndefined();
    expect(exploration.verdict).toBe('review');
  });

  it('mining on permanent farmland is prohibited with the exact area per parcel and in total', async () => {
    const r = [20.25, 10, 21.25, 10.25]; // parcels PF-1 (quarter), PF-2 (half), PF-3 (quarter)
    const report = await gk(r, 'mining', '建筑用砂');
    const hit = finding(report, 'farmland-mining')!;
    expect(hit.verdict).toBe('prohibited');
    expect(hit.featureCount).toBe(3);
    expect(Math.abs(hit.area!.m2 - (await overlapWith(r, 'permanent-farmland')))).toBeLessThan(M2);
    expect(hit.features[0].id).toBe('PF-2'); // the largest piece first
    expect(hit.features.map((f) => f.id).sort()).toEqual(['PF-1', 'PF-2', 'PF-3']);
    const pf2 = hit.features.find((f) => f.id === 'PF-2')!;
    expect(Math.abs(pf2.area.m2 - (await overlapWith(r, 'permanent-farmland', ['PF-2'])))).toBeLessThan(M2);
    expect(pf2.area.m2).toBeCloseTo(125_000, -2);
    expect(hit.area!.mu).toBeCloseTo((hit.area!.m2 * 15) / 10_000, 1);
  });

  it('a mining block half outside its mining block reports the share outside', async () => {
    const r = [5, 2, 7, 4]; // x 6–7 outside KC-01 (x 2–6)
    const report = await gk(r, 'mining', '建筑用砂');
    const hit = finding(report, 'inside-mining-block')!;
    expect(hit).toMatchObject({ verdict: 'review', measure: 'outside' });
    const outside = (await areaOf(r)) - (await overlapWith(r, 'mining-blocks', ['KC-01']));
    expect(Math.abs(hit.area!.m2 - outside)).toBeLessThan(M2);
    expect(hit.sharePercent).toBeCloseTo(50, 1);
    // the same block for 矿泉水 is wholly outside: KC-01 is a sand block
    const water = await gk(r, 'mining', '矿泉水');
    expect(finding(water, 'inside-mining-block')!.sharePercent).toBe(100);
  });

  it('overlapping an existing mining right is prohibited', async () => {
    const report = await gk([3.5, 3.5, 4.5, 4.5], 'mining', '建筑用砂');
    expect(finding(report, 'existing-mining-right')).toMatchObject({ verdict: 'prohibited', featureCount: 1, features: [{ id: 'CK-1', name: '某建筑用砂矿' }] });
    expect(finding(report, 'existing-mining-right')!.sharePercent).toBeCloseTo(25, 1);
  });

  it('a geothermal exploration block in its block and key zone gets only the notice', async () => {
    const report = await gk([3, 21, 4, 22], 'exploration', '地热');
    expect(report.findings.map((f) => [f.ruleId, f.verdict])).toEqual([['key-exploration-zone', 'notice']]);
    expect(report.verdict).toBe('notice');
    expect(report.verdictLabel).toBe('提示');
    const overRight = await gk([5.5, 21, 6.5, 22], 'exploration', '地热');
    expect(finding(overRight, 'existing-exploration-right')?.verdict).toBe('prohibited');
  });

  it('a scale below a published minimum is prohibited; below the plan\'s illustrative one (专栏10 prints **) it needs review, and says why; the unit must match', async () => {
    const published = [{ mineral: '建筑用砂', unit: '万吨/年', large: 100, medium: 50, small: 10, illustrative: false }];
    const body = { geometry: block([4.5, 4.5, 5.5, 5.5]), crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂', scale: { value: 1, unit: '万吨/年' } };
    const report = await check(body, { ...OPTS, scales: published });
    expect(finding(report, 'minimum-scale')).toMatchObject({ verdict: 'prohibited', details: { value: 1, unit: '万吨/年', illustrative: false } });
    expect(finding(report, 'minimum-scale')!.message).not.toContain('示意值');
    expect(report.verdict).toBe('prohibited');
    // found by a walkthrough: a 禁止 rested on a number the plan never published
    const shipped = await gk([4.5, 4.5, 5.5, 5.5], 'mining', '建筑用砂', { scale: { value: 1, unit: '万吨/年' } });
    expect(finding(shipped, 'minimum-scale')).toMatchObject({ verdict: 'review', verdictLabel: '需论证', details: { illustrative: true } });
    expect(finding(shipped, 'minimum-scale')!.message).toMatch(/示意值.*\*\*/);
    expect(shipped.verdict).toBe('review');
    // at or above the illustrative figure: listed as not decided by the plan, never as passed (found by a review)
    const above = await gk([4.5, 4.5, 5.5, 5.5], 'mining', '建筑用砂', { scale: { value: 20, unit: '万吨/年' } });
    expect(above.passedRules!.map((x) => x.ruleId)).not.toContain('minimum-scale');
    expect(above.skippedRules).toContainEqual(expect.objectContaining({ ruleId: 'minimum-scale', unverified: false, reason: expect.stringContaining('示意值') }));
    const abovePublished = await check({ ...body, scale: { value: 20, unit: '万吨/年' } }, { ...OPTS, scales: published });
    expect(abovePublished.passedRules!.map((x) => x.ruleId)).toContain('minimum-scale');
    await expect(gk([4.5, 4.5, 5.5, 5.5], 'mining', '建筑用砂', { scale: { value: 50, unit: '万立方米/年' } })).rejects.toMatchObject({ code: 'bad_request', details: { parameter: 'scale.unit' } });
  });

  // found by a walkthrough: the report listed what it found, never what it checked and found clear
  it('every applicable rule is a finding, skipped, or passed — exactly one — and passed ones name their layer version', async () => {
    for (const [r, activity, mineral] of [[[11, 12, 13, 13], 'mining', '建筑用砂'], [[4.5, 4.5, 5.5, 5.5], 'exploration', '地热'], [[38, 28, 42, 29], 'mining', '矿泉水']] as const) {
      const report = await gk([...r], activity, mineral);
      const lists = [report.findings.map((f) => f.ruleId), report.skippedRules.map((x) => x.ruleId), report.passedRules!.map((x) => x.ruleId)];
      const all = lists.flat();
      expect(new Set(all).size, `${activity} ${r}`).toBe(all.length);
      expect(all.sort()).toEqual(RULES.filter((x) => ruleApplies(x, activity, mineral)).map((x) => x.id).sort());
      for (const p of report.passedRules!) if (p.layer) expect(p.layerVersion).toBe(report.layerVersions[p.layer]);
      expect(report.passedRules!.length).toBeGreaterThan(0);
    }
  });

  it('a block partly outside the county needs review, with the share outside', async () => {
    const r = [38, 28, 42, 29]; // x 40–42 outside the county (x 0–40)
    const report = await gk(r, 'exploration', '地热');
    const hit = finding(report, 'outside-county')!;
    expect(hit.verdict).toBe('review');
    expect(Math.abs(hit.area!.m2 - ((await areaOf(r)) - (await overlapWith(r, 'admin-county'))))).toBeLessThan(M2);
    expect(hit.sharePercent).toBeCloseTo(50, 1);
    // the county it lies partly in is listed with the area inside it, headed so (found by a walkthrough: headed 重叠面积)
    expect(hit.features).toHaveLength(1);
    expect(hit.features[0].area.m2).toBeCloseTo(await overlapWith(r, 'admin-county'), 0);
    const html = renderReportHtml(report, await reportGeometry(db.kysely, report, []), { zone: 42, epsg: 4530 });
    expect(html).toContain('区块位于其内的面积（平方米）');
  });

  it('overlap with the urban development boundary needs review', async () => {
    const report = await gk([15, 3, 16, 4], 'exploration', '地热');
    expect(finding(report, 'urban-boundary')).toMatchObject({ verdict: 'review', sharePercent: 100 });
  });

  it('brick clay on cultivated land is prohibited, and off it needs review', async () => {
    const on = await gk([27, 11, 28, 12], 'mining', '砖瓦用粘土');
    expect(finding(on, 'clay-on-cultivated-land')).toMatchObject({ verdict: 'prohibited', sharePercent: 100 });
    expect(finding(on, 'clay-off-cultivated-land')).toBeUndefined();
    const half = await gk([29.5, 13, 30.5, 14], 'mining', '砖瓦用粘土');
    expect(finding(half, 'clay-on-cultivated-land')!.sharePercent).toBeCloseTo(50, 1);
    expect(finding(half, 'clay-off-cultivated-land')).toMatchObject({ verdict: 'review' });
    expect(finding(half, 'clay-off-cultivated-land')!.sharePercent).toBeCloseTo(50, 1);
    // sand on the same cultivated land is not this rule's business
    expect(finding(await gk([27, 11, 28, 12], 'mining', '建筑用砂'), 'clay-on-cultivated-land')).toBeUndefined();
  });

  it('the reference parcel TXT (zone 40) computes its ellipsoidal area (~57 089 m²) and reports its declared area', async () => {
    const txt = fs.readFileSync(path.join(FIXTURE, 'pengbu-zone40.txt'), 'utf8');
    const report = await check({ coordinates: txt, activity: 'mining', mineral: '建筑用砂' });
    // independently: the J points (X north, Y zone-prefixed east) as an EPSG:4528 ring, on the ellipsoid
    const ring = [...txt.matchAll(/^J\d+,1,([\d.]+),([\d.]+)\s*$/gm)].map((m) => [Number(m[2]), Number(m[1])]);
    ring.push(ring[0]);
    const wkt = `POLYGON((${ring.map(([e, n]) => `${e} ${n}`).join(',')}))`;
    const expected = (await sql<{ a: number }>`select ${geoArea(sql`ST_Transform(ST_GeomFromText(${wkt}, 4528), 4490)`)} as a`.execute(db.kysely)).rows[0].a;
    expect(Math.abs(report.block.area.m2 - expected)).toBeLessThan(M2);
    expect(report.block.area.m2 / 10_000).toBeCloseTo(5.7089, 3); // the file's declared 公顷
    expect(report.input.declaredArea!.ha).toBe(5.7089);
    expect(report.input.format).toBe('txt');
    expect(report.warnings.some((w) => /吉林省以外/.test(w.message))).toBe(true);
    expect(finding(report, 'outside-county')).toMatchObject({ verdict: 'review', sharePercent: 100 });
  });

  it('a self-intersecting ring is repaired and the warning says where', async () => {
    const [a, b, c, d] = gkRect([4.5, 4.5, 5.5, 5.5]);
    const bowtie = { type: 'Polygon', coordinates: [[a, c, b, d, a]] };
    const report = await check({ geometry: bowtie, crs: '4530', activity: 'mining', mineral: '建筑用砂' });
    expect(report.input.repaired).toBe(true);
    const w = report.warnings.find((x) => /Self-intersection/.test(x.message))!;
    expect(w.message).toContain(`X(北)=${(N0 + 5000).toFixed(3)} Y(东)=${(E0 + 5000).toFixed(3)}`);
    expect(report.block.area.m2).toBeCloseTo((await areaOf([4.5, 4.5, 5.5, 5.5])) / 2, -1); // two triangles, half the square
  });

  it('stores every finding’s overlap geometry and each listed feature’s piece as GeoJSON in EPSG:4490', async () => {
    const report = await gk([11, 12, 13, 13], 'mining', '建筑用砂');
    const fc = JSON.parse(await overlapsGeoJson(db.kysely, report.id));
    expect(fc.checkId).toBe(report.id);
    const redline = fc.features.filter((f: { properties: { ruleId: string } }) => f.properties.ruleId === 'redline-mining');
    expect(redline.map((f: { properties: { role: string } }) => f.properties.role).sort()).toEqual(['feature', 'union']);
    expect(redline[0].properties).toMatchObject({ verdict: 'prohibited', layer: 'ecological-redline' });
    expect(redline.find((f: { properties: { featureId: string } }) => f.properties.featureId === 'ER1').properties.areaM2).toBeCloseTo(finding(report, 'redline-mining')!.area!.m2, 1);
    const lon = redline[0].geometry.coordinates.flat(3).filter((_: number, i: number) => i % 2 === 0);
    expect(Math.min(...lon)).toBeGreaterThan(125.8);
    expect(Math.max(...lon)).toBeLessThan(126);
  });

  it('a refused input stores nothing', async () => {
    const before = await countChecks(db.kysely);
    await expect(check({ geometry: { type: 'Point', coordinates: [125.8, 44.3] }, activity: 'mining', mineral: '建筑用砂' })).rejects.toMatchObject({ code: 'unprocessable' });
    await expect(gk([4.5, 4.5, 5.5, 5.5], 'mining', '建筑用砂', { scale: { value: 5, unit: '吨' } })).rejects.toMatchObject({ code: 'bad_request' });
    expect(await countChecks(db.kysely)).toBe(before);
  });

  it('the plan audit judges every planning feature in one report, set-based', async () => {
    const audit = await runPlanAudit(db.kysely);
    expect(audit.summary.features).toBe(7); // 2 mining blocks, 1 exploration block, 1 right each, 2 key zones
    const right = audit.features.find((f) => f.layer === 'mining-rights' && f.id === 'CK-1')!;
    expect(right.findings.map((f) => f.ruleId)).toEqual([]); // inside KC-01, same mineral, nothing else there
    const kt = audit.features.find((f) => f.id === 'KT-01')!;
    expect(kt.findings.map((f) => [f.ruleId, f.verdict])).toEqual([['key-exploration-zone', 'notice']]);
    const kc2 = audit.features.find((f) => f.id === 'KC-02')!;
    expect(kc2.findings.map((f) => f.ruleId)).toEqual(['key-mining-zone']);
    const zk = audit.features.find((f) => f.id === 'ZK-1')!;
    expect(zk.findings.map((f) => f.ruleId)).toEqual([]); // the key zone contains KT-01, but a zone is not judged by block containment
    expect(audit.verdict).toBe('notice');
    expect(audit.skippedRules).toContainEqual(expect.objectContaining({ ruleId: 'key-development-area', unverified: true })); // notice: listed only
    // a prohibiting rule whose layer is missing: every feature it applies to is at least review, never 符合
    const redline = RULES.find((x) => x.id === 'redline-mining')!;
    const missing = await runPlanAudit(db.kysely, [...RULES, { ...redline, id: 'redline-mining-2', layer: 'no-such-layer' } as Rule]);
    expect(missing.skippedRules).toContainEqual(expect.objectContaining({ ruleId: 'redline-mining-2', unverified: true }));
    expect(missing.features.find((f) => f.layer === 'mining-rights' && f.id === 'CK-1')).toMatchObject({ findings: [], verdict: 'review' });
    expect(missing.verdict).toBe('review');
  });

  it('declared coverages are verified per layer version; an unverified or overlapping layer is unioned, never double counted', async () => {
    const verified = await storedCoverage(db.kysely, ['permanent-farmland', 'ecological-redline', 'cultivated-land']);
    expect(verified.get('permanent-farmland')).toMatchObject({ version: 1, disjoint: true, features: 10, overlapPairs: 0 });
    expect(verified.get('ecological-redline')?.disjoint).toBe(true);
    // stored own areas of the verified features equal their geography areas
    const own = await sql<{ a: number; b: number }>`select fa.area_m2 as a, ${geoArea(sql`f.geom`)} as b from features f join check_feature_areas fa on fa.feature_id = f.id
      where f.layer_id = 'permanent-farmland' and f.fid = 'PF-5' and f.valid_to is null`.execute(db.kysely);
    expect(Math.abs(own.rows[0].a - own.rows[0].b)).toBeLessThan(M2);

    // a block holding two whole parcels and half of a third: their own (stored) areas plus one clipped piece
    const r = [22, 10, 23.25, 10.5];
    const whole = await gk(r, 'mining', '建筑用砂');
    expect(finding(whole, 'farmland-mining')!.featureCount).toBe(3);
    expect(Math.abs(finding(whole, 'farmland-mining')!.area!.m2 - (await overlapWith(r, 'permanent-farmland')))).toBeLessThan(M2);

    // version 2 adds two parcels overlapping each other by 0.25 km²: not verified yet → union
    const rect = (q: number[]) => ({ type: 'Polygon', coordinates: [gkRect(q).map(([e, n]) => gaussKrugerToLonLat(e, n, 42))] });
    await writeLayerVersion(db.kysely, {
      layerId: 'permanent-farmland', mode: 'append', author: 'tester', note: 'overlapping parcels',
      features: [
        { id: 'PF-X', properties: { code: 'PF-X' }, geometry: rect([20, 11, 21, 12]) },
        { id: 'PF-Y', properties: { code: 'PF-Y' }, geometry: rect([20.5, 11.5, 21.5, 12.5]) },
      ],
    });
    const b = [20, 11, 22, 13];
    const expected = await overlapWith(b, 'permanent-farmland'); // ≈ 1.75 km², the sum would be 2 km²
    expect(expected).toBeGreaterThan(1_700_000);
    expect(expected).toBeLessThan(1_800_000);
    const unverified = await check({ geometry: block(b), crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂' }, { ...OPTS, verifyCoverage: 'off' } as typeof OPTS);
    expect(Math.abs(finding(unverified, 'farmland-mining')!.area!.m2 - expected)).toBeLessThan(M2);
    expect(unverified.layerVersions['permanent-farmland']).toBe(2);
    expect((await storedCoverage(db.kysely, ['permanent-farmland'])).has('permanent-farmland')).toBe(false);
    // the plan audit does not wait for the verification it starts: the layer is listed as pending
    // (pieces unioned) or, when that verification won the race on another connection, as verified
    // and overlapping — never as disjoint
    const listed = (await runPlanAudit(db.kysely)).coverage.find((c) => c.layer === 'permanent-farmland')!;
    expect(listed.version).toBe(2);
    expect(listed.disjoint).not.toBe(true);
    expect('pending' in listed || listed.disjoint === false).toBe(true);

    // the next check starts the verification in the background; it finds the overlap
    await check({ geometry: block(b), crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂' });
    await backgroundCoverageSettled(db.kysely);
    const v2 = (await storedCoverage(db.kysely, ['permanent-farmland'])).get('permanent-farmland')!;
    expect(v2).toMatchObject({ version: 2, disjoint: false, features: 12, overlapPairs: 1, example: 'PF-X / PF-Y' });
    expect(v2.overlapM2).toBeCloseTo(250_000, -3);
    // examined in slices of 5 features (PF-X and PF-Y fall in different slices): the same verdict
    await sql`delete from check_layer_coverage where layer_id = 'permanent-farmland' and version = 2`.execute(db.kysely);
    expect(await verifyCoverage(db.kysely, 'permanent-farmland', 5)).toMatchObject({ version: 2, disjoint: false, features: 12, overlapPairs: 1, example: 'PF-X / PF-Y' });
    const after = await check({ geometry: block(b), crs: 'EPSG:4530', activity: 'mining', mineral: '建筑用砂' });
    const hit = finding(after, 'farmland-mining')!;
    expect(Math.abs(hit.area!.m2 - expected)).toBeLessThan(M2);
    expect(hit.features.map((f) => f.id).sort()).toEqual(['PF-X', 'PF-Y']);
    const audit = await runPlanAudit(db.kysely);
    expect(audit.coverage.find((c) => c.layer === 'permanent-farmland')).toMatchObject({ version: 2, disjoint: false, overlapPairs: 1 });
  });
});
