/**
 * The public view: the plan draws, layers toggle, a feature shows its attributes with Chinese
 * labels, search zooms to a feature, coordinates switch to Gauss-Kruger; nothing is requested
 * from anywhere but the server, and the console stays clean.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { artifact, chromiumAvailable, countMapPixels, launch, openViewer, waitIdle, type Opened } from './browser.js';

const baseUrl = inject('baseUrl');

describe.skipIf(!chromiumAvailable)('the public viewer', () => {
  let browser: Browser;
  let v: Opened;

  /** first-paint figures of fresh pages (a fresh context each: no HTTP or code cache) */
  const paints: { idleAt: number; styleLoaded: number; idle: number; dcl: number }[] = [];

  beforeAll(async () => {
    browser = await launch();
    // warm the server (style, tiles), then measure fresh pages; the last one stays for the tests
    const warm = await openViewer(browser, baseUrl);
    await warm.context.close();
    for (let i = 0; i < 3; i++) {
      if (v) await v.context.close();
      v = await openViewer(browser, baseUrl);
      const t = await v.page.evaluate(() => ({ ...window.__viewer!, nav: performance.getEntriesByType('navigation')[0]?.toJSON() as { domContentLoadedEventEnd: number } }));
      paints.push({ idleAt: t.firstIdleAt!, styleLoaded: t.styleLoadedMs!, idle: t.firstIdleMs!, dcl: t.nav.domContentLoadedEventEnd });
    }
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('draws the plan at first paint, and reports how long that took', async () => {
    const median = paints.map((p) => p.idleAt).sort((a, b) => a - b)[1];
    const t = paints.find((p) => p.idleAt === median)!;
    console.log(
      `first meaningful paint (map idle, warm server, fresh page, 1280×800, SwiftShader WebGL): median of 3 ${Math.round(median)} ms after navigation start ` +
        `(all: ${paints.map((p) => Math.round(p.idleAt)).join(', ')} ms; median page: DOMContentLoaded ${Math.round(t.dcl)} ms, style loaded ${Math.round(t.styleLoaded)} ms and idle ${Math.round(t.idle)} ms after the map was created)`,
    );
    const px = await countMapPixels(v.page, artifact('01-viewer-1280x800-map.png'));
    await v.page.screenshot({ path: artifact('01-viewer-1280x800.png') });
    // the county outline, townships, red line, zones and labels cover a good part of the canvas
    expect(px.drawn / px.total).toBeGreaterThan(0.02);
  });

  it('lists the layers by group with Chinese titles and legend swatches', async () => {
    const groups = await v.page.locator('.layer-group legend').allTextContents();
    expect(groups.map((g) => g.trim())).toEqual(expect.arrayContaining(['规划分区', '规划区块', '矿业权', '控制线', '行政区']));
    await expect.poll(() => v.page.locator('.layer-item').count()).toBeGreaterThanOrEqual(13);
    expect(await v.page.locator('label[for="layer-ecological-redline"]').textContent()).toContain('生态保护红线');
    expect(await v.page.locator('label[for="layer-ecological-redline"] .swatch').evaluate((e) => getComputedStyle(e).borderTopColor)).not.toBe('rgba(0, 0, 0, 0)');
  });

  it('hides and shows a group of layers (the pixels change)', async () => {
    const before = await countMapPixels(v.page);
    for (const g of ['控制线', '行政区']) await v.page.locator(`input[data-group="${g}"]`).uncheck();
    await waitIdle(v.page);
    const hidden = await countMapPixels(v.page, artifact('02-layers-hidden.png'));
    expect(hidden.drawn).toBeLessThan(before.drawn * 0.7);
    const visibility = await v.page.evaluate(() => window.__map!.getLayoutProperty('admin-county-line', 'visibility'));
    expect(visibility).toBe('none');
    for (const g of ['控制线', '行政区']) await v.page.locator(`input[data-group="${g}"]`).check();
    await waitIdle(v.page);
    const shown = await countMapPixels(v.page);
    expect(Math.abs(shown.drawn - before.drawn)).toBeLessThan(before.drawn * 0.05);
  });

  it('hides one layer with its own checkbox', async () => {
    await v.page.locator('#layer-admin-townships').uncheck();
    await waitIdle(v.page);
    expect(await v.page.evaluate(() => window.__map!.getLayoutProperty('admin-townships-label', 'visibility'))).toBe('none');
    expect(await v.page.locator('input[data-group="行政区"]').evaluate((e: HTMLInputElement) => e.indeterminate)).toBe(true);
    await v.page.locator('#layer-admin-townships').check();
    await waitIdle(v.page);
  });

  it('shows a feature’s attributes under their Chinese labels when it is clicked', async () => {
    const fc = (await (await fetch(`${baseUrl}/ogc/collections/mining-rights/items?limit=1`)).json()) as GeoJSON.FeatureCollection<GeoJSON.Polygon>;
    const ring = fc.features[0].geometry.coordinates[0].slice(0, -1);
    const centre = [ring.reduce((s, c) => s + c[0], 0) / ring.length, ring.reduce((s, c) => s + c[1], 0) / ring.length];
    await v.page.evaluate((c) => window.__map!.jumpTo({ center: c as [number, number], zoom: 14 }), centre);
    await waitIdle(v.page);
    const box = (await v.page.locator('#map').boundingBox())!;
    await v.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    const popup = v.page.locator('[data-testid="feature-popup"]');
    await popup.waitFor({ timeout: 10_000 });
    await expect.poll(() => popup.textContent()).toContain('许可证号');
    const text = (await popup.textContent())!;
    expect(text).toContain(String(fc.features[0].properties!.name));
    expect(text).toContain('采矿权');
    expect(text).toContain('矿种');
    await v.page.screenshot({ path: artifact('03-feature-popup.png') });
  });

  it('finds a block by name and zooms to it', async () => {
    const blocks = (await (await fetch(`${baseUrl}/ogc/collections/exploration-blocks/items?limit=1`)).json()) as GeoJSON.FeatureCollection;
    const name = String(blocks.features[0].properties!.name);
    await v.page.locator('#search-input').fill(name.slice(0, Math.min(6, name.length)));
    await v.page.locator('#search-form button[type="submit"]').click();
    const hit = v.page.locator('.search-hit', { hasText: name }).first();
    await hit.waitFor({ timeout: 15_000 });
    await hit.click();
    await v.page.locator('[data-testid="feature-popup"]', { hasText: name }).waitFor({ timeout: 15_000 });
    await waitIdle(v.page);
    expect(await v.page.evaluate(() => window.__map!.getZoom())).toBeGreaterThan(9);
    expect(await v.page.evaluate(() => !!window.__map!.getSource('overlay-highlight'))).toBe(true);
    await v.page.screenshot({ path: artifact('04-search-result.png') });
  });

  it('finds a mining right by its licence number (exact match)', async () => {
    const rights = (await (await fetch(`${baseUrl}/ogc/collections/mining-rights/items?limit=1`)).json()) as GeoJSON.FeatureCollection;
    const licence = String(rights.features[0].properties!.licence_no);
    await v.page.locator('#search-input').fill(licence);
    await v.page.locator('#search-input').press('Enter');
    await v.page.locator('.search-hit', { hasText: String(rights.features[0].properties!.name) }).first().waitFor({ timeout: 15_000 });
    await v.page.keyboard.press('Escape');
  });

  it('shows cursor coordinates in CGCS2000 degrees and as Gauss-Kruger zone 42 X/Y', async () => {
    const box = (await v.page.locator('#map').boundingBox())!;
    await v.page.mouse.move(box.x + box.width / 2 + 5, box.y + box.height / 2 + 5);
    await expect.poll(() => v.page.locator('[data-testid="coords"]').textContent()).toMatch(/经度 12[56]\.\d{6}°\s+纬度 44\.\d{6}°/);
    const mode = v.page.locator('.coords-mode');
    await mode.click(); // 度分秒
    expect(await v.page.locator('[data-testid="coords"]').textContent()).toMatch(/东经 12[56]°/);
    await mode.click(); // Gauss-Kruger
    const gk = (await v.page.locator('[data-testid="coords"]').textContent())!;
    // X: northing ~4.9e6 m in Dehui; Y: easting with the zone prefix 42
    expect(gk).toMatch(/X=4[89]\d{5}\.\d{2}\s+Y=42[45]\d{5}\.\d{2}/);
    await mode.click(); // back to degrees
  });

  it('has a scale bar, keyboard-focusable tabs and visible focus', async () => {
    expect(await v.page.locator('.maplibregl-ctrl-scale').textContent()).toMatch(/米|公里/);
    await v.page.locator('#tab-layers').focus();
    await v.page.keyboard.press('ArrowRight');
    const focused = await v.page.evaluate(() => document.activeElement?.id);
    expect(focused).toBe('tab-history');
    const outline = await v.page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    await v.page.keyboard.press('ArrowLeft');
  });

  it('lays out at tablet size (768×1024) with the map above the panel', async () => {
    const tablet = await openViewer(browser, baseUrl, { viewport: { width: 768, height: 1024 } });
    const map = (await tablet.page.locator('#map').boundingBox())!;
    const side = (await tablet.page.locator('#sidebar').boundingBox())!;
    expect(map.width).toBeGreaterThan(700);
    expect(side.y).toBeGreaterThanOrEqual(map.y + map.height - 1);
    const px = await countMapPixels(tablet.page);
    expect(px.drawn / px.total).toBeGreaterThan(0.02);
    await tablet.page.screenshot({ path: artifact('05-tablet-768x1024.png') });
    expect(tablet.rec.external).toEqual([]);
    expect(tablet.rec.consoleErrors).toEqual([]);
    await tablet.context.close();
  });

  it('hides the planner and editor panels from the anonymous public', async () => {
    await expect.poll(() => v.page.locator('#tab-check').isHidden()).toBe(true);
    expect(await v.page.locator('#tab-upload').isHidden()).toBe(true);
    expect(await v.page.locator('#auth-status').textContent()).toContain('访客');
  });

  it('requested nothing but 127.0.0.1 and logged no console errors', async () => {
    expect(v.rec.requests.length).toBeGreaterThan(5);
    expect(v.rec.external).toEqual([]);
    expect(v.rec.consoleErrors).toEqual([]);
    expect(await v.page.evaluate(() => window.__viewer!.errors)).toEqual([]);
  });
});
