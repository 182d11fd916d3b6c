/**
 * Every character of the plan's Chinese labels renders offline: each distinct character of the
 * labelled layers' names (ideographs, full-width brackets （）, the dash —) plus the common CJK
 * punctuation is drawn by the viewer's own map, through the style's label font stack, one
 * character per grid cell, and each cell must show ink. Before the TinySDF fix (web/src/glyphs.ts)
 * the cells of （ 「 【 stayed empty. Also checks a real plan label with brackets on the map.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT } from '../helpers/templates.js';
import { artifact, captureMap, chromiumAvailable, launch, openViewer, waitIdle, type Opened } from './browser.js';

const baseUrl = inject('baseUrl');

/** distinct characters of every name in the dataset's labelled layers */
function datasetLabelCharacters(): string[] {
  const dir = path.join(ROOT, 'data/geojson');
  const chars = new Set<string>();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.geojson'))) {
    const fc = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as GeoJSON.FeatureCollection;
    for (const ft of fc.features) for (const c of String(ft.properties?.name ?? '')) if (c.trim()) chars.add(c);
  }
  return [...chars];
}

const PUNCTUATION = [...'（）「」【】《》〈〉『』“”‘’、，。：；！？·—…０１２ＡＢ'];

/**
 * Draw `chars` one per cell (cell px square) above a blank map and return the dark-pixel count
 * of each cell, read from a real screenshot of the canvas.
 */
async function inkPerCharacter(page: Page, chars: string[], cell: number, file: string): Promise<Record<string, number>> {
  const grid = await page.evaluate(
    ({ chars, cell }) => {
      const map = window.__map!;
      const font = (map.getStyle().layers.find((l) => l.type === 'symbol')?.layout as { 'text-font'?: string[] } | undefined)?.['text-font'] ?? ['Noto Sans Regular'];
      for (const l of map.getStyle().layers) if (l.type !== 'background') map.setLayoutProperty(l.id, 'visibility', 'none');
      const canvas = map.getCanvas();
      const cols = Math.floor((canvas.clientWidth - cell) / cell);
      const cells = chars.map((c, i) => ({ c, x: cell + (i % cols) * cell, y: cell + Math.floor(i / cols) * cell }));
      map.addSource('glyph-grid', {
        type: 'geojson',
        data: {
          type: 'FeatureCollection',
          features: cells.map((g) => ({ type: 'Feature', properties: { c: g.c }, geometry: { type: 'Point', coordinates: map.unproject([g.x, g.y]).toArray() } })),
        },
      });
      map.addLayer({
        id: 'glyph-grid',
        type: 'symbol',
        source: 'glyph-grid',
        layout: { 'text-field': ['get', 'c'], 'text-font': font, 'text-size': Math.round(cell * 0.6), 'text-allow-overlap': true, 'text-ignore-placement': true },
        paint: { 'text-color': '#000000' },
      });
      return cells;
    },
    { chars, cell },
  );
  await waitIdle(page);
  await captureMap(page, file);
  return page.evaluate(
    ({ grid, cell }) => {
      const { data: d, width } = window.__shot!;
      const out: Record<string, number> = {};
      for (const g of grid) {
        let dark = 0;
        const x0 = Math.floor(g.x - cell / 2);
        const y0 = Math.floor(g.y - cell / 2);
        for (let y = y0; y < y0 + cell; y++) {
          for (let x = x0; x < x0 + cell; x++) {
            const i = (y * width + x) * 4;
            if (d[i] + d[i + 1] + d[i + 2] < 384) dark++;
          }
        }
        out[g.c] = dark;
      }
      return out;
    },
    { grid, cell },
  );
}

describe.skipIf(!chromiumAvailable)('Chinese labels render every character offline', () => {
  let browser: Browser;
  let v: Opened;

  beforeAll(async () => {
    browser = await launch();
    v = await openViewer(browser, baseUrl);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('draws ink for every character of the plan’s labels and for CJK punctuation, full-width brackets included', async () => {
    const dataset = datasetLabelCharacters();
    expect(dataset).toEqual(expect.arrayContaining(['（', '）']));
    const chars = [...new Set([...dataset, ...PUNCTUATION])];
    const ink = await inkPerCharacter(v.page, chars, 44, artifact('10-label-glyphs.png'));
    const blank = chars.filter((c) => !(ink[c] >= 6));
    expect(blank, `characters drawn blank: ${blank.join(' ')}`).toEqual([]);
    // the full-width brackets carry as much ink as their ASCII cousins would: not a sliver
    expect(ink['（']).toBeGreaterThan(20);
    expect(ink['）']).toBeGreaterThan(20);
    expect(v.rec.external).toEqual([]);
    expect(v.rec.consoleErrors).toEqual([]);
  });
});
