/**
 * Browser helpers for the e2e tests: Debian's Chromium through playwright-core (no browser
 * downloads), a page that records console errors and every request's host, waits on the map's
 * own events (window.__map / window.__viewer), and pixel counts from real screenshots.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../helpers/templates.js';
// window.__map / window.__viewer, as the viewer declares them
import type {} from '../../web/src/map.ts';

declare global {
  interface Window {
    /** the last map screenshot, decoded (captureMap) */
    __shot?: ImageData;
  }
}

export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumAvailable = fs.existsSync(CHROMIUM);

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-angle=swiftshader', // WebGL without a GPU
      '--enable-unsafe-swiftshader',
    ],
  });
}

export interface Recorder {
  consoleErrors: string[];
  /** every request URL the page made (blob: and data: URLs stay in the page) */
  requests: string[];
  external: string[];
}

export interface Opened {
  context: BrowserContext;
  page: Page;
  rec: Recorder;
}

/** A new context and page; `token` is put in sessionStorage before the viewer starts. */
export async function openViewer(browser: Browser, baseUrl: string, opts: { viewport?: { width: number; height: number }; token?: string; waitReady?: boolean } = {}): Promise<Opened> {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 }, locale: 'zh-CN', deviceScaleFactor: 1 });
  const page = await context.newPage();
  const rec: Recorder = { consoleErrors: [], requests: [], external: [] };
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // a revoked token's GET /api/me (auth.ts) is an expected 401; Chromium logs it as a failed load
    if (m.text().startsWith('Failed to load resource') && m.location().url.endsWith('/api/me')) return;
    rec.consoleErrors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => rec.consoleErrors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    rec.requests.push(url);
    if (url.startsWith('blob:') || url.startsWith('data:')) return;
    if (new URL(url).hostname !== '127.0.0.1') rec.external.push(url);
  });
  if (opts.token) await page.addInitScript((t) => sessionStorage.setItem('dehui.token', t), opts.token);
  await page.goto(`${baseUrl}/`);
  if (opts.waitReady !== false) await waitMapReady(page);
  return { context, page, rec };
}

export async function waitMapReady(page: Page, timeout = 60_000): Promise<void> {
  // the first paint, and the panels and tabs set up after it (found by a review: a tab clicked before then had no listener)
  await page.waitForFunction(() => window.__viewer?.ready === true && window.__viewer.wired === true, null, { timeout });
}

/** Resolve when the map has rendered everything it needs (an 'idle' after the current frame). */
export async function waitIdle(page: Page, timeout = 30_000): Promise<void> {
  await page.waitForFunction(() => !!window.__map, null, { timeout });
  await page.evaluate(
    (ms) =>
      new Promise<void>((resolve, reject) => {
        const map = window.__map!;
        const t = setTimeout(() => reject(new Error('map did not become idle')), ms);
        const done = () => {
          clearTimeout(t);
          resolve();
        };
        // a change just made (layout property, camera) schedules a frame: wait for that idle
        map.once('idle', done);
        map.triggerRepaint();
      }),
    timeout,
  );
}

/**
 * Pixels of the map element's screenshot that differ from the style background (#f4f3ee)
 * by more than a small tolerance. The PNG is decoded by the page itself (no image library).
 */
export async function countMapPixels(page: Page, file?: string): Promise<{ total: number; drawn: number }> {
  await captureMap(page, file);
  return page.evaluate(() => {
    const d = window.__shot!.data;
    let drawn = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - 0xf4) + Math.abs(d[i + 1] - 0xf3) + Math.abs(d[i + 2] - 0xee) > 24) drawn++;
    }
    return { total: d.length / 4, drawn };
  });
}

/**
 * A real screenshot of the map canvas, decoded by the page itself (no image library) into
 * `window.__shot` (ImageData, CSS pixels at device pixel ratio 1) for the caller's page.evaluate.
 */
export async function captureMap(page: Page, file?: string): Promise<void> {
  const png = await page.locator('#map canvas').screenshot({ path: file, animations: 'disabled' });
  await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(img, 0, 0);
    window.__shot = ctx.getImageData(0, 0, c.width, c.height);
  }, png.toString('base64'));
}

export function artifact(name: string): string {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, name);
}

/** Does the server answer this route (anything but "no route" 404)? */
export async function routeExists(url: string, init: RequestInit = {}): Promise<boolean> {
  const res = await fetch(url, init);
  if (res.status !== 404) return true;
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  return !/no route|没有此路径/.test(body.message ?? '');
}
