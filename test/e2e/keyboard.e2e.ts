/**
 * The viewer by keyboard alone: sign in, find a block, open the check tab, choose activity and
 * mineral, draw a block with the keyboard (arrow keys move the map, Space adds a vertex at the
 * centre, Enter finishes), submit, and read the verdict — no mouse event and no script-driven
 * click. Every element the Tab key reaches shows a visible focus indicator. Also: the map's
 * own controls are reachable, Escape cancels a keyboard drawing.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { artifact, chromiumAvailable, launch, openViewer, routeExists, waitIdle, type Opened } from './browser.js';

const baseUrl = inject('baseUrl');
const plannerToken = inject('plannerToken');
const checksExist = await routeExists(`${baseUrl}/api/checks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

/** what the focused element shows as its focus indicator ('' when nothing visible) */
async function focusIndicator(page: Page): Promise<{ id: string; tag: string; indicator: string }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { id: '', tag: 'BODY', indicator: '' };
    const cs = getComputedStyle(el);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2 ? `outline ${cs.outlineWidth} ${cs.outlineStyle}` : '';
    const shadow = cs.boxShadow !== 'none' ? `box-shadow ${cs.boxShadow}` : '';
    return { id: el.id, tag: el.tagName, indicator: outline || shadow };
  });
}

/**
 * Press Tab (or Shift+Tab) until the focused element matches `selector`; every element passed on
 * the way must show a focus indicator.
 */
async function tabTo(page: Page, selector: string, { back = false, max = 90 } = {}): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const f = await focusIndicator(page);
    if (f.tag !== 'BODY') expect(f.indicator, `focus indicator on ${f.tag}#${f.id}`).not.toBe('');
  }
  throw new Error(`${selector} not reached by ${back ? 'Shift+Tab' : 'Tab'} in ${max} presses`);
}

async function miningBlockName(): Promise<string> {
  const fc = (await (await fetch(`${baseUrl}/ogc/collections/mining-blocks/items?limit=1`)).json()) as GeoJSON.FeatureCollection;
  return String(fc.features[0].properties!.name);
}

describe.skipIf(!chromiumAvailable)('keyboard only', () => {
  let browser: Browser;
  let v: Opened;

  beforeAll(async () => {
    browser = await launch();
    v = await openViewer(browser, baseUrl);
    // no mouse from here on
    await v.page.evaluate(() => document.addEventListener('mousedown', () => ((window as unknown as { __mouse: boolean }).__mouse = true), true));
  });
  afterAll(async () => void (await browser?.close()));

  it('reaches the map’s own controls and moves the map with the arrow keys', async () => {
    await tabTo(v.page, 'canvas.maplibregl-canvas');
    const before = await v.page.evaluate(() => window.__map!.getCenter().toArray());
    await v.page.keyboard.press('ArrowRight');
    await waitIdle(v.page);
    const after = await v.page.evaluate(() => window.__map!.getCenter().toArray());
    expect(after[0]).toBeGreaterThan(before[0]);
    await tabTo(v.page, '.maplibregl-ctrl-zoom-in');
    const z = await v.page.evaluate(() => window.__map!.getZoom());
    await v.page.keyboard.press('Enter');
    await waitIdle(v.page);
    expect(await v.page.evaluate(() => window.__map!.getZoom())).toBeGreaterThan(z + 0.5);
  });

  it.skipIf(!checksExist)('signs in, finds a block, draws a block with the keyboard and gets a check result', async () => {
    const page = v.page;
    // sign in
    await tabTo(page, '#auth-button');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('signin-token');
    await page.keyboard.type(plannerToken);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#auth-status').textContent(), { timeout: 15_000 }).toContain('规划人员');

    // find a planned mining block and go there
    const name = await miningBlockName();
    await tabTo(page, '#search-input');
    await page.keyboard.type(name);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.classList.contains('search-hit')), { timeout: 15_000 }).toBe(true);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="feature-popup"]', { hasText: name }).waitFor({ timeout: 15_000 });
    await waitIdle(page);
    // Escape closes the popup and returns to the map
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('[data-testid="feature-popup"]').count()).toBe(0);

    // the check tab: reach the selected tab, arrow to 合规检查
    await tabTo(page, '[role="tab"][aria-selected="true"]');
    for (let i = 0; i < 4 && (await page.evaluate(() => document.activeElement?.id)) !== 'tab-check'; i++) await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-check');
    expect(await page.locator('#panel-check').isVisible()).toBe(true);

    await tabTo(page, '#check-activity');
    await page.keyboard.press('ArrowDown'); // 开采（采矿权）
    await tabTo(page, '#check-mineral');
    for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowDown'); // 地热 → 矿泉水 → 建筑用砂
    expect(await page.evaluate(() => [(document.getElementById('check-activity') as HTMLSelectElement).value, (document.getElementById('check-mineral') as HTMLSelectElement).value])).toEqual(['mining', '建筑用砂']);

    // draw: a square of four arrow-key steps around the block's centre
    await tabTo(page, '#check-draw-keyboard');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.classList.contains('maplibregl-canvas'))).toBe(true);
    expect(await page.locator('.draw-crosshair').isVisible()).toBe(true);
    expect((await focusIndicator(page)).indicator).not.toBe('');
    // zoom out one step ('-'), then Space at the centre and two arrow keys (100 px each) per side:
    // a square reaching past the block's edge into the farmland, so the check has findings
    // Each key's pan or zoom is animated: wait until the map stands still, or the next key moves it
    // less and the square may stay inside the block (then the check rightly finds nothing).
    const settled = () => expect.poll(() => page.evaluate(() => (window as unknown as { __map: { isMoving(): boolean } }).__map.isMoving())).toBe(false);
    await page.keyboard.press('-');
    await settled();
    for (const key of ['ArrowRight', 'ArrowDown', 'ArrowLeft']) {
      await page.keyboard.press('Space');
      for (let step = 0; step < 2; step++) {
        await page.keyboard.press(key);
        await settled();
      }
    }
    await page.keyboard.press('Space');
    await page.keyboard.press('Enter');
    const status = page.locator('[data-testid="draw-status"]');
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toContain('已绘制多边形（4 个拐点）');
    expect(await page.locator('.draw-crosshair').count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('check-draw-keyboard');
    await page.screenshot({ path: artifact('11-keyboard-drawn.png') });

    // submit with the keyboard
    await tabTo(page, '#check-submit');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="check-result"]').waitFor({ timeout: 60_000 });
    expect(['禁止', '需论证', '提示', '符合']).toContain((await page.locator('[data-testid="verdict"]').textContent())!.trim());
    expect(await page.locator('table.findings tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="check-result"]').textContent()).toMatch(/区块面积：\d+\.\d{2} 亩/);
    await page.screenshot({ path: artifact('12-keyboard-check-result.png') });
    expect(await page.evaluate(() => (window as unknown as { __mouse?: boolean }).__mouse ?? false)).toBe(false);
  });

  it.skipIf(!checksExist)('Escape cancels a keyboard drawing and leaves nothing on the map', async () => {
    const page = v.page;
    await tabTo(page, '#check-draw-keyboard', { back: true });
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.classList.contains('maplibregl-canvas'))).toBe(true);
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Space');
    await expect.poll(() => page.evaluate(() => (window.__map!.getSource('overlay-draft') as { serialize?: () => { data: GeoJSON.FeatureCollection } } | undefined)?.serialize?.().data.features.length ?? 0)).toBeGreaterThan(1);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('[data-testid="draw-status"]').textContent()).toContain('已取消绘制');
    expect(await page.evaluate(() => !!window.__map!.getSource('overlay-draft'))).toBe(false);
  });

  it('requested nothing but 127.0.0.1 and logged no console errors', () => {
    expect(v.rec.external).toEqual([]);
    expect(v.rec.consoleErrors).toEqual([]);
  });
});
