/**
 * A planner signs in with a token, draws a proposed block on the map (terra-draw), checks it
 * and gets a report with findings, overlaps drawn on the map and a printable report link.
 * Skipped when the server has no POST /api/checks.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { toGaussKruger } from '../../web/src/gauss-kruger.ts';
import { hasOgr, shapefileZip, square } from '../fixtures/uploads/upload-files.js';
import { artifact, chromiumAvailable, launch, openViewer, routeExists, waitIdle, type Opened } from './browser.js';

const baseUrl = inject('baseUrl');
const plannerToken = inject('plannerToken');
const viewerToken = inject('viewerToken');
const checksExist = await routeExists(`${baseUrl}/api/checks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
if (!checksExist) console.warn('POST /api/checks is not served yet: the check flow is skipped');

async function miningBlockCentre(): Promise<[number, number]> {
  const fc = (await (await fetch(`${baseUrl}/ogc/collections/mining-blocks/items?limit=1`)).json()) as GeoJSON.FeatureCollection<GeoJSON.Polygon>;
  const ring = fc.features[0].geometry.coordinates[0].slice(0, -1);
  return [ring.reduce((s, c) => s + c[0], 0) / ring.length, ring.reduce((s, c) => s + c[1], 0) / ring.length];
}

describe.skipIf(!chromiumAvailable)('signing in', () => {
  let browser: Browser;
  beforeAll(async () => void (browser = await launch()));
  afterAll(async () => void (await browser?.close()));

  it('rejects an unknown token with a Chinese message and keeps nothing', async () => {
    const v = await openViewer(browser, baseUrl);
    await v.page.locator('#auth-button').click();
    await v.page.locator('#signin-token').fill('not-a-real-token-0000000000');
    await v.page.locator('#signin-submit').click();
    await expect.poll(() => v.page.locator('#signin-error').textContent()).toContain('令牌无效');
    expect(await v.page.evaluate(() => sessionStorage.getItem('dehui.token'))).toBeNull();
    await v.context.close();
  });

  it('a viewer token sees no planner or editor controls (hidden after 401/403)', async () => {
    const v = await openViewer(browser, baseUrl);
    await v.page.locator('#auth-button').click();
    await v.page.locator('#signin-token').fill(viewerToken);
    await v.page.locator('#signin-submit').click();
    await expect.poll(() => v.page.locator('#auth-status').textContent()).toContain('已登录');
    expect(await v.page.locator('#tab-check').isHidden()).toBe(true);
    expect(await v.page.locator('#tab-upload').isHidden()).toBe(true);
    expect(await v.page.evaluate(() => sessionStorage.getItem('dehui.token'))).toBeTruthy();
    expect(await v.page.evaluate(() => localStorage.length)).toBe(0);
    await v.context.close();
  });

  it.skipIf(!checksExist)('a planner token shows the check panel', async () => {
    const v = await openViewer(browser, baseUrl);
    await v.page.locator('#auth-button').click();
    await v.page.locator('#signin-token').fill(plannerToken);
    await v.page.locator('#signin-submit').click();
    await expect.poll(() => v.page.locator('#auth-status').textContent()).toContain('规划人员');
    expect(await v.page.locator('#tab-check').isVisible()).toBe(true);
    // sign out forgets the token
    await v.page.locator('#auth-button').click();
    await expect.poll(() => v.page.evaluate(() => sessionStorage.getItem('dehui.token'))).toBeNull();
    await expect.poll(() => v.page.locator('#tab-check').isHidden()).toBe(true);
    await v.context.close();
  });
});

describe.skipIf(!chromiumAvailable || !checksExist)('checking a proposed block', () => {
  let browser: Browser;
  let v: Opened;
  beforeAll(async () => {
    browser = await launch();
    v = await openViewer(browser, baseUrl, { token: plannerToken });
    await v.page.locator('#tab-check:not([hidden])').waitFor({ timeout: 15_000 });
    await v.page.locator('#tab-check').click();
  });
  afterAll(async () => void (await browser?.close()));

  it('draws a polygon, checks it and shows the verdict, findings with areas, overlaps and the report link', async () => {
    const centre = await miningBlockCentre();
    await v.page.evaluate((c) => window.__map!.jumpTo({ center: c as [number, number], zoom: 13 }), centre);
    await waitIdle(v.page);
    await v.page.locator('#check-activity').selectOption('mining');
    await v.page.locator('#check-mineral').selectOption('建筑用砂');
    await v.page.locator('#check-name').fill('e2e 拟设建筑用砂区块');
    await v.page.locator('#check-draw').click();

    const box = (await v.page.locator('#map').boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    const pts: [number, number][] = [
      [cx - 120, cy - 100],
      [cx + 130, cy - 110],
      [cx + 120, cy + 100],
      [cx - 110, cy + 90],
      [cx - 120, cy - 100], // the first point again closes the ring
    ];
    for (const [x, y] of pts) {
      await v.page.mouse.move(x, y, { steps: 4 });
      await v.page.mouse.click(x, y);
      await v.page.waitForTimeout(250);
    }
    await expect.poll(() => v.page.locator('[data-testid="draw-status"]').textContent(), { timeout: 10_000 }).toContain('已绘制多边形（4 个拐点）');
    await v.page.screenshot({ path: artifact('06-check-drawn.png') });

    await v.page.locator('#check-submit').click();
    const result = v.page.locator('[data-testid="check-result"]');
    await result.waitFor({ timeout: 60_000 });
    const verdict = (await v.page.locator('[data-testid="verdict"]').textContent())!.trim();
    // the page shows the stored report's verdict (read independently through the API)
    const id = (await v.page.locator('[data-testid="report-link"]').getAttribute('href'))!.match(/checks\/([0-9a-f-]{36})/)![1];
    expect(verdict).toBe((await (await fetch(new URL(`/api/checks/${id}`, baseUrl))).json()).verdictLabel);
    const rows = v.page.locator('table.findings tbody tr');
    expect(await rows.count()).toBeGreaterThan(0);
    // a sand block this size cannot lie wholly inside a planned mining block
    expect(await result.textContent()).toMatch(/开采规划区块/);
    // areas in 亩 and 公顷
    expect(await v.page.locator('table.findings thead').textContent()).toContain('亩');
    expect(await result.textContent()).toMatch(/区块面积：\d+\.\d{2} 亩 \/ \d+\.\d{4} 公顷/);

    const href = await v.page.locator('[data-testid="report-link"]').getAttribute('href');
    expect(href).toMatch(/\/api\/checks\/[0-9a-f-]{36}\/report\.html$/);
    const report = await fetch(new URL(href!, baseUrl));
    expect(report.status).toBe(200);
    expect(await report.text()).toContain('建筑用砂');

    // the overlaps are fetched after the result is shown (found by a review: read once, they could be missing yet)
    const overlaps = () =>
      v.page.evaluate(() => {
        const src = window.__map!.getSource('overlay-check') as { serialize?: () => { data: GeoJSON.FeatureCollection } } | undefined;
        return src?.serialize?.().data.features.length ?? -1;
      });
    await expect.poll(overlaps, { timeout: 15_000 }).toBeGreaterThan(0);
    await waitIdle(v.page);
    await v.page.screenshot({ path: artifact('07-check-report.png') });
  });

  it('prints the map and the result without the controls', async () => {
    await v.page.emulateMedia({ media: 'print' });
    try {
      expect(await v.page.locator('.check-form').isVisible()).toBe(false);
      expect(await v.page.locator('.tabs').isVisible()).toBe(false);
      expect(await v.page.locator('[data-testid="check-result"]').isVisible()).toBe(true);
      expect(await v.page.locator('#map').isVisible()).toBe(true);
      await v.page.screenshot({ path: artifact('07-check-print.png'), fullPage: true });
    } finally {
      await v.page.emulateMedia({ media: 'screen' });
    }
  });

  it('checks a pasted boundary-coordinate TXT (GK zone 42, X = northing)', async () => {
    const [lon, lat] = await miningBlockCentre();
    const corners = [
      [lon - 0.004, lat + 0.003],
      [lon + 0.004, lat + 0.003],
      [lon + 0.004, lat - 0.003],
      [lon - 0.004, lat - 0.003],
    ].map(([x, y]) => toGaussKruger(x, y));
    const points = [...corners, corners[0]].map((p, i) => `J${(i % 4) + 1},1,${p.x.toFixed(3)},${p.y.toFixed(3)}`);
    const txt = ['[属性描述]', '坐标系=2000国家大地坐标系', '几度分带=3', '投影类型=高斯克吕格', '计量单位=米', '带号=42', '精度=0.001', '[地块坐标]', '5,,E2E-01,测试地块,面,,,,@', ...points].join('\n');
    await v.page.locator('#check-source-paste').check();
    await v.page.locator('#check-coordinates').fill(txt);
    await v.page.locator('#check-submit').click();
    await expect.poll(() => v.page.locator('.check-form .status').textContent(), { timeout: 60_000 }).toContain('检查完成');
    expect(await v.page.locator('table.findings tbody tr').count()).toBeGreaterThan(0);
  });

  it.skipIf(!hasOgr)('checks an uploaded zipped shapefile (GK zone 42 .prj, GBK name)', async () => {
    const [lon, lat] = await miningBlockCentre();
    const block = { type: 'Feature', properties: { 名称: '压缩包拟设区块' }, geometry: square(lon - 0.004, lat - 0.003, 0.008) };
    const zip = shapefileZip({ type: 'FeatureCollection', features: [block] }, { epsg: 4530, baseName: '拟设区块' });
    await v.page.locator('#check-source-file').check();
    await v.page.locator('#check-file').setInputFiles({ name: '拟设区块.zip', mimeType: 'application/zip', buffer: zip });
    await v.page.locator('#check-submit').click();
    await expect.poll(() => v.page.locator('.check-form .status').textContent(), { timeout: 60_000 }).toContain('检查完成');
    expect(await v.page.locator('table.findings tbody tr').count()).toBeGreaterThan(0);
    expect(await v.page.locator('[data-testid="check-result"]').textContent()).toMatch(/区块面积：\d+\.\d{2} 亩/);
  });

  it('requested nothing but 127.0.0.1 and logged no console errors', () => {
    expect(v.rec.external).toEqual([]);
    expect(v.rec.consoleErrors).toEqual([]);
  });
});
