/**
 * A tablet-size screen (820×1180, portrait, as an iPad Air): the map on top and the panel below,
 * nothing wider than the screen, and no two visible controls overlapping — on every tab an
 * editor can open (the most controls). Screenshots of each tab are kept as artefacts.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { artifact, chromiumAvailable, countMapPixels, launch, openViewer, type Opened } from './browser.js';

const baseUrl = inject('baseUrl');
const editorToken = inject('editorToken');
const VIEWPORT = { width: 820, height: 1180 };

interface Overlap {
  a: string;
  b: string;
  area: number;
}

/** Pairs of visible controls whose boxes overlap (an element and its own ancestor excepted). */
async function overlappingControls(page: Page): Promise<{ overlaps: Overlap[]; checked: number; outside: string[] }> {
  return page.evaluate(() => {
    const selector = [
      'button',
      'input:not([type="hidden"])',
      'select',
      'textarea',
      'a.button',
      '[role="tab"]',
      '.maplibregl-ctrl-group',
      '.maplibregl-ctrl-scale',
      '.maplibregl-ctrl-attrib',
      '.coords',
      '.app-title',
      '#auth-status',
    ].join(',');
    const name = (e: Element) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className && typeof e.className === 'string' ? `.${e.className.trim().split(/\s+/).join('.')}` : ''}「${(e.textContent ?? '').trim().slice(0, 12)}」`;
    const visible = [...document.querySelectorAll(selector)].filter((e) => {
      const r = e.getBoundingClientRect();
      const cs = getComputedStyle(e);
      // radio buttons and checkboxes sit inside their labels; a visually hidden control is not drawn
      return r.width > 2 && r.height > 2 && cs.visibility !== 'hidden' && cs.opacity !== '0' && !e.closest('[hidden]');
    });
    const overlaps: { a: string; b: string; area: number }[] = [];
    for (let i = 0; i < visible.length; i++) {
      for (let j = i + 1; j < visible.length; j++) {
        const a = visible[i];
        const b = visible[j];
        if (a.contains(b) || b.contains(a)) continue;
        const ra = a.getBoundingClientRect();
        const rb = b.getBoundingClientRect();
        const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (w > 1 && h > 1) overlaps.push({ a: name(a), b: name(b), area: Math.round(w * h) });
      }
    }
    const outside = visible.filter((e) => {
      const r = e.getBoundingClientRect();
      return r.left < -1 || r.right > innerWidth + 1;
    });
    return { overlaps, checked: visible.length, outside: outside.map(name) };
  });
}

describe.skipIf(!chromiumAvailable)(`a tablet-size screen (${VIEWPORT.width}×${VIEWPORT.height})`, () => {
  let browser: Browser;
  let v: Opened;

  beforeAll(async () => {
    browser = await launch();
    v = await openViewer(browser, baseUrl, { viewport: VIEWPORT, token: editorToken });
    await v.page.locator('#tab-upload:not([hidden])').waitFor({ timeout: 15_000 });
  });
  afterAll(async () => void (await browser?.close()));

  it('puts the map on top, full width, drawn, and the panel below it; nothing scrolls sideways', async () => {
    const map = (await v.page.locator('#map').boundingBox())!;
    const side = (await v.page.locator('#sidebar').boundingBox())!;
    expect(map.width).toBeGreaterThan(VIEWPORT.width - 2);
    expect(map.height).toBeGreaterThan(400);
    expect(side.y).toBeGreaterThanOrEqual(map.y + map.height - 1);
    expect(await v.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(VIEWPORT.width);
    const px = await countMapPixels(v.page);
    expect(px.drawn / px.total).toBeGreaterThan(0.02);
  });

  for (const tab of ['tab-layers', 'tab-check', 'tab-upload', 'tab-history']) {
    it(`no two controls overlap on ${tab}`, async () => {
      await v.page.locator(`#${tab}`).click();
      await v.page.locator(`#${(await v.page.locator(`#${tab}`).getAttribute('aria-controls'))!}`).waitFor();
      const r = await overlappingControls(v.page);
      expect(r.checked).toBeGreaterThan(8);
      expect(r.overlaps).toEqual([]);
      expect(r.outside).toEqual([]);
      await v.page.screenshot({ path: artifact(`14-tablet-820x1180-${tab}.png`), fullPage: true });
    });
  }

  it('the overlap check sees an overlap when there is one (the coordinates box stretched over the scale bar)', async () => {
    await v.page.locator('#tab-layers').click();
    await v.page.evaluate(() => document.getElementById('coords')!.style.setProperty('right', '0'));
    try {
      const r = await overlappingControls(v.page);
      expect(r.overlaps.some((o) => /coords/.test(o.a + o.b))).toBe(true);
    } finally {
      await v.page.evaluate(() => document.getElementById('coords')!.style.removeProperty('right'));
    }
  });

  it('requested nothing but 127.0.0.1 and logged no console errors', () => {
    expect(v.rec.external).toEqual([]);
    expect(v.rec.consoleErrors).toEqual([]);
  });
});
