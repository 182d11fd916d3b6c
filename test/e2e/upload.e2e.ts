/**
 * GIS staff (editor): upload a layer file with a progress bar, see a bad file's problems row by
 * row; the layer's history: versions, a diff on the map, restore. Each flow runs only when
 * the server answers its route (uploads, diff and restore are being built alongside).
 */
import type { Browser, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { artifact, chromiumAvailable, launch, openViewer, routeExists, waitIdle, type Opened } from './browser.js';
import { geopackage } from '../fixtures/uploads/gpkg-kml-files.js';
import { hasOgr } from '../fixtures/uploads/upload-files.js';

const baseUrl = inject('baseUrl');
const editorToken = inject('editorToken');
const LAYER = 'exploration-rights';
const json = { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${editorToken}` }, body: '{}' };
const uploadsExist = await routeExists(`${baseUrl}/api/layers/${LAYER}/uploads`, json);
const diffExists = await routeExists(`${baseUrl}/api/layers/${LAYER}/diff?from=1&to=1`);
const restoreExists = await routeExists(`${baseUrl}/api/layers/__none__/versions/1/restore`, json);
if (!uploadsExist) console.warn('POST /api/layers/{id}/uploads is not served yet: the upload flow is skipped');
if (!diffExists) console.warn('GET /api/layers/{id}/diff is not served yet: the diff check is skipped');
if (!restoreExists) console.warn('POST /api/layers/{id}/versions/{v}/restore is not served yet: restore is skipped');

/** An exploration right inside Dehui (米沙子), with the layer's attributes. */
function rightFeature(name: string, dx = 0): GeoJSON.Feature {
  const [x, y] = [125.45 + dx, 44.2];
  return {
    type: 'Feature',
    properties: { licence_no: `T22018320260${name.length}0000${Math.round(dx * 1000)}`, name, holder: '吉林省地质调查院（e2e）', mineral: '地热', stage: '普查', township: '米沙子镇', valid_from: '2026-01-01', valid_to: '2030-12-31', area_km2: 1.2 },
    geometry: { type: 'Polygon', coordinates: [[[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]] },
  };
}

function fileOf(name: string, doc: unknown) {
  return { name, mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(doc)) };
}

describe.skipIf(!chromiumAvailable)('uploads and history (editor)', () => {
  let browser: Browser;
  let v: Opened;
  beforeAll(async () => {
    browser = await launch();
    v = await openViewer(browser, baseUrl, { token: editorToken });
  });
  afterAll(async () => void (await browser?.close()));

  it.skipIf(!uploadsExist)('a dry run validates without writing, then an upload shows progress and the new version', async () => {
    await v.page.locator('#tab-upload:not([hidden])').waitFor({ timeout: 15_000 });
    await v.page.locator('#tab-upload').click();
    await v.page.locator('#upload-layer').selectOption(LAYER);
    // ~1 MB of padding in a property so the upload takes several progress events
    const features = [rightFeature('e2e 地热探矿权（一）'), rightFeature('e2e 地热探矿权（二）', 0.03)];
    await v.page.locator('#upload-file').setInputFiles(fileOf('rights.geojson', { type: 'FeatureCollection', features }));
    await v.page.locator('#upload-mode').selectOption('append');
    await v.page.locator('#upload-dry-run').check();
    await v.page.locator('#upload-submit').click();
    await expect.poll(() => v.page.locator('[data-testid="upload-status"]').textContent(), { timeout: 60_000 }).toMatch(/校验通过|上传成功|错误|问题/);
    expect(await v.page.locator('#upload-progress').evaluate((p: HTMLProgressElement) => p.value)).toBe(100);

    await v.page.locator('#upload-dry-run').uncheck();
    await v.page.locator('#upload-submit').click();
    await expect.poll(() => v.page.locator('[data-testid="upload-status"]').textContent(), { timeout: 60_000 }).toContain('上传成功');
    expect(await v.page.locator('#upload-progress').evaluate((p: HTMLProgressElement) => p.value)).toBe(100);
    expect(await v.page.locator('[data-testid="upload-result"]').textContent()).toMatch(/新增\s*2/);
    await v.page.screenshot({ path: artifact('08-upload-done.png') });
  });

  // found by a review: the button was disabled only after the file had been read, so a double click sent it twice
  it.skipIf(!uploadsExist)('a double click on 上传 uploads once', async () => {
    const latest = async () => ((await (await fetch(`${baseUrl}/api/layers/${LAYER}/versions?limit=1`)).json()) as { version: number }[])[0].version;
    const before = await latest();
    await v.page.locator('#upload-mode').selectOption('append');
    await v.page.locator('#upload-dry-run').uncheck();
    await v.page.locator('#upload-file').setInputFiles(fileOf('twice.geojson', { type: 'FeatureCollection', features: [rightFeature('e2e 双击上传', 0.12)] }));
    const posts: string[] = [];
    const onRequest = (r: Request) => void (r.method() === 'POST' && r.url().includes('/uploads') && posts.push(r.url()));
    v.page.on('request', onRequest);
    try {
      await v.page.locator('#upload-submit').dblclick();
      // this upload's own outcome (found by CI: the previous test's 上传成功 stood while the file was read)
      await expect.poll(() => v.page.locator('[data-testid="upload-status"]').textContent(), { timeout: 60_000 }).toContain(`上传成功：新版本 ${before + 1}`);
      await expect.poll(() => v.page.locator('#upload-submit').isEnabled()).toBe(true);
    } finally {
      v.page.off('request', onRequest);
    }
    expect(posts).toHaveLength(1);
    expect(await latest()).toBe(before + 1);
  });

  it.skipIf(!uploadsExist)('a bad file lists its problems row by row; a row with a location zooms there', async () => {
    const bad = rightFeature('e2e 缺少矿种');
    delete (bad.properties as Record<string, unknown>).mineral;
    const selfCrossing: GeoJSON.Feature = { ...rightFeature('e2e 自相交'), geometry: { type: 'Polygon', coordinates: [[[125.5, 44.2], [125.51, 44.21], [125.51, 44.2], [125.5, 44.21], [125.5, 44.2]]] } };
    await v.page.locator('#upload-file').setInputFiles(fileOf('bad.geojson', { type: 'FeatureCollection', features: [bad, selfCrossing] }));
    await v.page.locator('#upload-submit').click();
    const table = v.page.locator('[data-testid="upload-problems"]');
    await table.waitFor({ timeout: 60_000 });
    expect(await table.locator('tbody tr').count()).toBeGreaterThan(0);
    const locatable = table.locator('tbody tr.locatable').first();
    if (await locatable.count()) {
      const before = await v.page.evaluate(() => window.__map!.getZoom());
      await locatable.click();
      await waitIdle(v.page);
      expect(await v.page.evaluate(() => window.__map!.getZoom())).not.toBe(before);
    }
    await v.page.screenshot({ path: artifact('09-upload-problems.png') });
  });

  it.skipIf(!uploadsExist || !hasOgr)('a GeoPackage of two tables: the server lists them, the form offers them, the chosen one is uploaded', async () => {
    const gpkg = geopackage({ 探矿权: { type: 'FeatureCollection', features: [rightFeature('e2e GeoPackage 探矿权', 0.06)] }, 采矿权: { type: 'FeatureCollection', features: [rightFeature('e2e GeoPackage 采矿权', 0.09)] } });
    await v.page.locator('#upload-file').setInputFiles({ name: 'rights.gpkg', mimeType: 'application/geopackage+sqlite3', buffer: gpkg });
    await v.page.locator('#upload-submit').click();
    const field = v.page.locator('#upload-source-layer');
    await field.waitFor({ state: 'visible', timeout: 60_000 });
    expect(await v.page.locator('[data-testid="upload-status"]').textContent()).toContain('探矿权');
    expect(await v.page.locator('#upload-source-layers option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value).sort())).toEqual(['探矿权', '采矿权'].sort());
    await field.fill('探矿权');
    await v.page.locator('#upload-submit').click();
    await expect.poll(() => v.page.locator('[data-testid="upload-status"]').textContent(), { timeout: 60_000 }).toContain('上传成功');
    expect(await v.page.locator('[data-testid="upload-result"]').textContent()).toMatch(/新增\s*1/);
    // another file: the previous file's tables are no longer offered, nor the one chosen (noted as untested earlier)
    await v.page.locator('#upload-file').setInputFiles(fileOf('next.geojson', { type: 'FeatureCollection', features: [rightFeature('e2e 下一个文件', 0.15)] }));
    expect(await field.isHidden()).toBe(true);
    expect(await field.inputValue()).toBe('');
    expect(await v.page.locator('#upload-source-layers option').count()).toBe(0);
  });

  it('lists a layer’s versions', async () => {
    await v.page.locator('#tab-history').click();
    await v.page.locator('#history-layer').selectOption(LAYER);
    const table = v.page.locator('.version-table');
    await table.waitFor({ timeout: 15_000 });
    expect(await table.locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
    expect(await table.locator('thead').textContent()).toContain('要素');
    await v.page.screenshot({ path: artifact('10-history.png') });
  });

  it.skipIf(!uploadsExist || !diffExists)('draws the difference between two versions on the map', async () => {
    await v.page.locator('#history-diff').click();
    await v.page.locator('[data-testid="diff-summary"]').waitFor({ timeout: 30_000 });
    expect(await v.page.locator('[data-testid="diff-summary"]').textContent()).toMatch(/新增 [1-9]/);
    expect(await v.page.evaluate(() => !!window.__map!.getSource('overlay-diff'))).toBe(true);
    await waitIdle(v.page);
    await v.page.screenshot({ path: artifact('11-history-diff.png') });
  });

  it.skipIf(!uploadsExist || !restoreExists)('restores an earlier version as a new one', async () => {
    const rows = v.page.locator('.version-table tbody tr');
    const before = await rows.count();
    v.page.once('dialog', (d) => void d.accept());
    await v.page.locator('.version-table button', { hasText: '恢复' }).last().click();
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(before + 1);
    await expect.poll(() => v.page.locator('#panel-history [role="status"]').first().textContent()).toMatch(/已恢复为第 \d+ 版的内容（第 \d+ 版）/);
    // found by a walkthrough: the same restore again made an empty version; now it makes none and says so
    v.page.once('dialog', (d) => void d.accept());
    await v.page.locator('.version-table button', { hasText: '恢复' }).last().click();
    await expect.poll(() => v.page.locator('#panel-history [role="status"]').first().textContent(), { timeout: 30_000 }).toContain('未生成新版本');
    expect(await rows.count()).toBe(before + 1);
  });

  // found by a review: the reload after an upload took the history panel back to the uploaded layer
  it.skipIf(!uploadsExist)('an upload leaves the history panel on the layer chosen there', async () => {
    const county = 'admin-county';
    await v.page.locator('#history-layer').selectOption(county);
    await expect.poll(() => v.page.locator('.version-table tbody tr').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    await v.page.locator('#tab-upload').click();
    await v.page.locator('#upload-layer').selectOption(LAYER);
    await v.page.locator('#upload-mode').selectOption('append');
    await v.page.locator('#upload-dry-run').uncheck();
    await v.page.locator('#upload-file').setInputFiles(fileOf('elsewhere.geojson', { type: 'FeatureCollection', features: [rightFeature('e2e 另一图层', 0.15)] }));
    await v.page.locator('#upload-submit').click();
    await expect.poll(() => v.page.locator('[data-testid="upload-status"]').textContent(), { timeout: 60_000 }).toContain('上传成功');
    // the reload after the upload (layer list, tiles, then the history) has run: the layer list names the new version
    const version = await (await fetch(`${baseUrl}/api/layers/${LAYER}`)).json().then((l: { version: number }) => l.version);
    await expect.poll(() => v.page.locator(`#history-layer option[value="${LAYER}"]`).textContent(), { timeout: 15_000 }).toContain(`当前第 ${version} 版`);
    await v.page.locator('#tab-history').click();
    expect(await v.page.locator('#history-layer').inputValue()).toBe(county);
  });

  it('requested nothing but 127.0.0.1 and logged no console errors (expected 4xx of the flows aside)', () => {
    expect(v.rec.external).toEqual([]);
    // the bad-file upload is a 422 by design: Chromium logs it as a failed load
    expect(v.rec.consoleErrors.filter((e) => !/status of 422/.test(e))).toEqual([]);
  });
});
