/**
 * The viewer when answers come late, fail, or motion is reduced: a slower, older answer never
 * replaces a newer one (search, a layer's history), a lost connection is said in Chinese, a
 * search hit opens its popup with reduced motion, and the map's own controls are labelled in
 * Chinese. Late answers are made by holding the request in the browser (page.route) until the
 * newer one is on screen — no timing is assumed.
 */
import crypto from 'node:crypto';
import type { Browser, Page, Request, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromiumAvailable, launch, openViewer, type Opened } from './browser.js';

const baseUrl = inject('baseUrl');
const editorToken = inject('editorToken');
const tag = crypto.randomBytes(3).toString('hex');
const ONE = `e2e-race-one-${tag}`;
const THREE = `e2e-race-three-${tag}`;

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${editorToken}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (res.status === 204 ? null : await res.json()) as T;
}

const square = (id: string, x: number, y: number): GeoJSON.Feature => ({
  type: 'Feature',
  id,
  properties: { name: id },
  geometry: { type: 'Polygon', coordinates: [[[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]] },
});

/**
 * Holds the requests `match` selects until release(). `seen`: the first is held. `finished`: every
 * held request has completed in the page, and the page has had time to run what awaited it.
 */
async function hold(page: Page, match: (url: URL) => boolean): Promise<{ release: () => void; seen: Promise<void>; finished: () => Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let sawOne!: () => void;
  const seen = new Promise<void>((r) => (sawOne = r));
  const held = new Set<Request>();
  const done = new Set<Request>();
  page.on('requestfinished', (r) => done.add(r));
  page.on('requestfailed', (r) => done.add(r));
  await page.route(match, async (route: Route) => {
    held.add(route.request());
    sawOne();
    await released;
    await route.continue();
  });
  const finished = async () => {
    await expect.poll(() => [...held].every((r) => done.has(r)), { timeout: 15_000 }).toBe(true);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 200))));
  };
  return { release, seen, finished };
}

describe.skipIf(!chromiumAvailable)('the viewer with late, failed and reduced-motion answers', () => {
  let browser: Browser;
  let block = '';
  let parcel = '';

  beforeAll(async () => {
    for (const [id, n] of [[ONE, 1], [THREE, 3]] as const) {
      await api('POST', '/api/layers', { id, title: `e2e 竞态 ${n}`, kind: 'other', group: '其他', geometryType: 'Polygon', attributes: [{ name: 'name', label: '名称', type: 'string' }] });
      for (let i = 0; i < n; i++) await api('POST', `/ogc/collections/${id}/items`, square(`F${i}`, 125.42 + i * 0.02, 44.3));
    }
    const blocks = await api<GeoJSON.FeatureCollection>('GET', '/ogc/collections/exploration-blocks/items?limit=1');
    block = String(blocks.features[0].properties!.name);
    const parcels = await api<GeoJSON.FeatureCollection>('GET', '/ogc/collections/permanent-farmland/items?limit=1');
    parcel = String(parcels.features[0].properties!.land_code);
    browser = await launch();
  });
  afterAll(async () => void (await browser?.close()));

  it('a newer search wins over an older one answered later', async () => {
    const v: Opened = await openViewer(browser, baseUrl);
    try {
      const page = v.page;
      // the first search's exact look-ups in the large layers answer only after the second search is shown
      const late = await hold(page, (u) => u.pathname.endsWith('/items') && u.searchParams.get('land_code') === parcel);
      await page.locator('#search-input').fill(parcel);
      await page.locator('#search-input').press('Enter');
      await late.seen;
      await page.locator('#search-input').fill(block.slice(0, Math.min(6, block.length)));
      await page.locator('#search-input').press('Enter');
      await page.locator('.search-hit', { hasText: block }).first().waitFor({ timeout: 15_000 });
      late.release();
      await late.finished();
      expect(await page.locator('.search-hit', { hasText: block }).count()).toBeGreaterThan(0);
      expect(await page.locator('.search-hit', { hasText: parcel }).count()).toBe(0);
    } finally {
      await v.context.close();
    }
  });

  it("a layer's versions answered after another layer was chosen do not replace that layer's", async () => {
    const v = await openViewer(browser, baseUrl, { token: editorToken });
    try {
      const page = v.page;
      const three = (await api<unknown[]>('GET', `/api/layers/${THREE}/versions`)).length;
      const one = (await api<unknown[]>('GET', `/api/layers/${ONE}/versions`)).length;
      expect(three).not.toBe(one);
      await page.locator('#tab-history').click();
      const late = await hold(page, (u) => u.pathname === `/api/layers/${ONE}/versions`);
      await page.locator('#history-layer').selectOption(ONE);
      await late.seen;
      await page.locator('#history-layer').selectOption(THREE);
      await expect.poll(() => page.locator('#history-from option').count(), { timeout: 15_000 }).toBe(three);
      late.release();
      await late.finished();
      expect(await page.locator('#history-from option').count()).toBe(three);
      expect(await page.locator('#history-layer').inputValue()).toBe(THREE);
    } finally {
      await v.context.close();
    }
  });

  it('a lost connection is said in Chinese', async () => {
    const v = await openViewer(browser, baseUrl, { token: editorToken });
    try {
      const page = v.page;
      await page.route((u) => u.pathname === `/api/layers/${THREE}/versions`, (route) => route.abort('internetdisconnected'));
      await page.locator('#tab-history').click();
      await page.locator('#history-layer').selectOption(THREE);
      await expect.poll(() => page.locator('[role="status"]').allTextContents(), { timeout: 15_000 }).toEqual(
        expect.arrayContaining([expect.stringContaining('网络错误')]),
      );
    } finally {
      await v.context.close();
    }
  });

  it('with reduced motion, a chosen search hit still opens its popup; the map and the popup close button are labelled in Chinese', async () => {
    const v = await openViewer(browser, baseUrl);
    try {
      const page = v.page;
      await page.emulateMedia({ reducedMotion: 'reduce' });
      expect(await page.evaluate(() => matchMedia('(prefers-reduced-motion: reduce)').matches)).toBe(true);
      expect(await page.locator('canvas.maplibregl-canvas').getAttribute('aria-label')).toBe('规划地图');
      await page.locator('#search-input').fill(block.slice(0, Math.min(6, block.length)));
      await page.locator('#search-input').press('Enter');
      // found by a walkthrough: a result's name was white (the top bar's button colour) on the white list
      const hit = page.locator('.search-hit', { hasText: block }).first();
      await hit.focus();
      const colours = await hit.evaluate((b) => ({ name: getComputedStyle(b.querySelector('.hit-name')!).color, background: getComputedStyle(b).backgroundColor }));
      expect(colours).toEqual({ name: 'rgb(31, 35, 40)', background: 'rgb(232, 240, 251)' });
      await hit.click();
      const popup = page.locator('[data-testid="feature-popup"]', { hasText: block });
      await popup.waitFor({ timeout: 15_000 });
      expect(await page.locator('.maplibregl-popup-close-button').getAttribute('aria-label')).toBe('关闭');
    } finally {
      await v.context.close();
    }
  });
});
