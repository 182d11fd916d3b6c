/**
 * History diff on the map: a layer of its own (created here through the API, so no other test's
 * data moves) gets three versions after its first — one feature changed (moved), one removed,
 * one added. Comparing the first and last versions in the viewer draws added, removed and the
 * changed feature's new shape filled, its OLD outline dashed, with a legend that says which is
 * which; the dashed outline's colour is found in the map's pixels.
 */
import crypto from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { artifact, captureMap, chromiumAvailable, launch, openViewer, routeExists, waitIdle, type Opened } from './browser.js';

const baseUrl = inject('baseUrl');
const editorToken = inject('editorToken');
const diffExists = await routeExists(`${baseUrl}/api/layers/admin-county/diff?from=1&to=1`);
const LAYER = `e2e-diff-${crypto.randomBytes(3).toString('hex')}`;

async function api(method: string, path: string, body?: unknown): Promise<unknown> {
  const headers: Record<string, string> = { authorization: `Bearer ${editorToken}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.status === 204 ? null : res.json();
}

/** a square of `size` degrees at (x, y), in the county's west (米沙子 area) */
function square(id: string, name: string, x: number, y: number, size = 0.01): GeoJSON.Feature {
  return { type: 'Feature', id, properties: { name }, geometry: { type: 'Polygon', coordinates: [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]] } };
}

/** pixels of the map canvas within `tol` of an RGB colour */
async function pixelsNear(page: Page, rgb: [number, number, number], tol = 40): Promise<number> {
  await captureMap(page);
  return page.evaluate(
    ({ rgb, tol }) => {
      const d = window.__shot!.data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - rgb[0]) + Math.abs(d[i + 1] - rgb[1]) + Math.abs(d[i + 2] - rgb[2]) <= tol) n++;
      return n;
    },
    { rgb, tol },
  );
}

describe.skipIf(!chromiumAvailable || !diffExists)('history: a diff between two versions on the map', () => {
  let browser: Browser;
  let v: Opened;
  let first = 0;
  let last = 0;

  beforeAll(async () => {
    await api('POST', '/api/layers', { id: LAYER, title: 'e2e 版本比较', kind: 'other', group: '其他', geometryType: 'Polygon', labelField: 'name', attributes: [{ name: 'name', label: '名称', type: 'string' }] });
    const [x, y] = [125.42, 44.3];
    first = ((await api('POST', `/ogc/collections/${LAYER}/items`, { type: 'FeatureCollection', features: [square('A', '甲（改）', x, y), square('B', '乙（删）', x + 0.03, y), square('C', '丙（不变）', x, y + 0.03)] })) as { layerVersion: number }).layerVersion;
    await api('PUT', `/ogc/collections/${LAYER}/items/A`, square('A', '甲（改）', x + 0.004, y + 0.004, 0.012)); // moved and grown
    await api('DELETE', `/ogc/collections/${LAYER}/items/B`);
    last = ((await api('POST', `/ogc/collections/${LAYER}/items`, square('D', '丁（增）', x + 0.03, y + 0.03))) as { layerVersion: number }).layerVersion;
    browser = await launch();
    v = await openViewer(browser, baseUrl, { token: editorToken });
  });
  afterAll(async () => void (await browser?.close()));

  it('draws added, removed, the changed feature’s new shape and its old outline dashed, with a legend', async () => {
    const page = v.page;
    await page.locator('#tab-history').click();
    await page.locator('#history-layer').selectOption(LAYER);
    await expect.poll(() => page.locator('#history-from option').count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
    await page.locator('#history-from').selectOption(String(first));
    await page.locator('#history-to').selectOption(String(last));
    await page.locator('#history-diff').click();
    const legend = page.locator('[data-testid="diff-summary"]');
    await legend.waitFor({ timeout: 30_000 });
    const text = (await legend.textContent())!;
    expect(text).toContain('新增 1 个');
    expect(text).toContain('删除 1 个');
    expect(text).toContain('修改 1 个');
    expect(await page.locator('[data-testid="diff-before-legend"]').textContent()).toMatch(/修改前的边界（第 \d+ 版，虚线/);
    expect(await page.locator('[data-testid="diff-before-legend"] .swatch').evaluate((e) => getComputedStyle(e).borderTopStyle)).toBe('dashed');

    const statuses = await page.evaluate(() => {
      const src = window.__map!.getSource('overlay-diff') as { serialize: () => { data: GeoJSON.FeatureCollection } };
      return src.serialize().data.features.map((f) => `${f.properties!.fid}:${f.properties!.status}`).sort();
    });
    expect(statuses).toEqual(['A:before', 'A:changed', 'B:removed', 'D:added']);
    expect(await page.evaluate(() => window.__map!.getPaintProperty('overlay-diff-before', 'line-dasharray'))).toBeTruthy();

    await waitIdle(page);
    // the old outline (#8a4b00, dashed), the changed feature (#7b3294: purple, apart from the farmland's
    // yellow), added (#1a9850) and removed (#d73027) all on screen
    expect(await pixelsNear(page, [0x8a, 0x4b, 0x00], 30)).toBeGreaterThan(30);
    expect(await pixelsNear(page, [0x7b, 0x32, 0x94], 30)).toBeGreaterThan(30);
    expect(await pixelsNear(page, [0x1a, 0x98, 0x50], 30)).toBeGreaterThan(30);
    expect(await pixelsNear(page, [0xd7, 0x30, 0x27], 30)).toBeGreaterThan(30);
    await page.screenshot({ path: artifact('13-history-diff-old-outline.png') });
  });

  it('clears the comparison from the map', async () => {
    await v.page.locator('#panel-history button', { hasText: '清除比较' }).click();
    expect(await v.page.evaluate(() => !!window.__map!.getSource('overlay-diff'))).toBe(false);
    expect(await v.page.locator('[data-testid="diff-summary"]').count()).toBe(0);
  });

  // found by a walkthrough: at 1280×800 the 恢复 buttons sat beyond the panel's edge, under the map
  it('every restore button lies inside the panel at 1280×800, and the panel does not scroll sideways to show it', async () => {
    // a version whose note is one long word (a file name), as uploads write them
    await api('POST', `/api/layers/${LAYER}/versions/${first}/restore`, { note: '德惠市采矿权_2026年11月29日_自然资源局导出_最终版_第二次修订.zip' });
    await v.page.locator('#history-layer').selectOption('admin-county');
    await v.page.locator('#history-layer').selectOption(LAYER);
    await expect.poll(() => v.page.locator('#panel-history table.version-table tbody tr').count(), { timeout: 15_000 }).toBe(5);
    const panel = (await v.page.locator('#panel-history').boundingBox())!;
    const buttons = v.page.locator('#panel-history table.version-table button', { hasText: '恢复' });
    expect(await buttons.count()).toBeGreaterThanOrEqual(3);
    for (const b of await buttons.all()) {
      const box = (await b.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(panel.x);
      expect(box.x + box.width).toBeLessThanOrEqual(panel.x + panel.width);
    }
    expect(await v.page.locator('#panel-history .versions').evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    await v.page.screenshot({ path: artifact('history-versions-1280x800.png') });
  });

  it('requested nothing but 127.0.0.1 and logged no console errors', () => {
    expect(v.rec.external).toEqual([]);
    expect(v.rec.consoleErrors).toEqual([]);
  });
});
