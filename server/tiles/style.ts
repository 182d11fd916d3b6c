/**
 * The MapLibre style for every layer: planning colours (red line red, farmland golden,
 * blocks outlined by mineral), Chinese labels, and only URLs of this server.
 * Each layer is its own source, so a hidden layer's tiles are never fetched, and each
 * source's tile URL carries that layer's version (immutable caching per layer).
 *
 * No `glyphs` URL, on purpose: MapLibre GL JS ≥ 5 then draws every label glyph locally (TinySDF
 * with the browser's fonts; CJK through the map's localIdeographFontFamily), so Chinese names,
 * digits and Latin codes render with no internet and no glyph files. Full-width brackets （） need
 * the viewer's fixed TinySDF (web/src/glyphs.ts): glyph PBFs would not help, since MapLibre draws
 * CJK punctuation and full-width forms locally whatever the style says.
 *
 * Labels of polygon layers come from the layer's label points (the MVT layer "<layer id>_label",
 * one point per feature: server/tiles/README.md, "Labels"), so a township or block is named once,
 * not once per tile its polygon crosses. A layer of points or lines keeps labels on its features.
 *
 * One source per layer was measured against shared sources (the overview's small layers in one
 * comma-separated tile): in Chromium the first view reached idle in the same time (medians 2.01 s
 * and 2.00 s over 8 interleaved runs), so the simpler per-layer sources stay.
 */

/** font stack for labels; resolved by the browser to a local font (Noto Sans on the servers here) */
const FONT_STACK = 'Noto Sans Regular';
import type { LayerDetail } from '../layers/layer-registry.js';
import { TILE_MAXZOOM } from './tilejson.js';
import { hasLabelPoints, labelLayerName } from './tile-source.js';

interface LayerStyle {
  fill?: string;
  fillOpacity?: number;
  line?: string;
  lineWidth?: number;
  lineDash?: number[];
  /** colours by an attribute's value (layer-create.ts checks its colours and that the field is a string attribute) */
  lineByValue?: { field: string; colors: Record<string, string> };
}

/**
 * The colour of a layer's lines or fill: by value when the layer's style says so (its own
 * table, `fallback` for other values), else by mineral for blocks and rights, else `fallback`.
 */
function colourOf(l: LayerDetail, s: LayerStyle, fallback: string): unknown {
  const byValue = s.lineByValue && Object.keys(s.lineByValue.colors).length ? s.lineByValue : null;
  const byMineral = l.kind === 'block' || l.kind === 'right';
  // a mineral the layer's own table leaves out still gets the common mineral colour
  if (byValue) return ['match', ['get', byValue.field], ...Object.entries(byValue.colors).flat(), byMineral && byValue.field === 'mineral' ? MINERAL_COLOURS : fallback];
  return byMineral ? MINERAL_COLOURS : fallback;
}

/** Draw order, bottom first: broad constraint areas, then admin lines, zones, blocks, rights. */
const DRAW_ORDER = [
  'cultivated-land',
  'permanent-farmland',
  'urban-boundary',
  'ecological-redline',
  'admin-townships',
  'key-development-areas',
  'key-mining-zones',
  'key-exploration-zones',
  'exploration-blocks',
  'mining-blocks',
  'exploration-rights',
  'mining-rights',
  'admin-county',
];
const rank = (id: string) => (DRAW_ORDER.includes(id) ? DRAW_ORDER.indexOf(id) : DRAW_ORDER.length - 1);

/** blocks and rights are outlined by mineral; colours after common mineral-planning maps */
/** blocks and rights by mineral: the palette of the seeded layers' lineByValue (data/geojson/layers.json), and clay */
const MINERAL_COLOURS = ['match', ['get', 'mineral'], '地热', '#d9480f', '矿泉水', '#0070c0', '建筑用砂', '#b8860b', '陶粒页岩', '#595959', '砖瓦用粘土', '#a0522d', '#555555'];

export function buildStyle(base: string, layers: LayerDetail[]) {
  const ordered = [...layers].sort((a, b) => rank(a.id) - rank(b.id));
  const sources = Object.fromEntries(
    ordered.map((l) => [
      l.id,
      {
        type: 'vector',
        tiles: [`${base}/tiles/${l.id}/{z}/{x}/{y}.pbf?v=${l.version}`],
        minzoom: 0,
        maxzoom: TILE_MAXZOOM,
        ...(l.bbox ? { bounds: l.bbox } : {}),
        attribution: '德惠市自然资源局',
      },
    ]),
  );
  const styleLayers: Record<string, unknown>[] = [{ id: 'background', type: 'background', paint: { 'background-color': '#f4f3ee' } }];
  const labels: Record<string, unknown>[] = [];
  for (const l of ordered) {
    const s = (l.style ?? {}) as LayerStyle;
    const meta = { 'dehui:group': l.group ?? '其他', 'dehui:layer': l.id, 'dehui:title': l.title };
    if (s.fill && (s.fillOpacity ?? 0) > 0) {
      styleLayers.push({
        id: `${l.id}-fill`,
        type: 'fill',
        source: l.id,
        'source-layer': l.id,
        minzoom: l.minzoom,
        metadata: meta,
        paint: { 'fill-color': colourOf(l, s, s.fill), 'fill-opacity': s.fillOpacity ?? 0.3 },
      });
    }
    styleLayers.push({
      id: `${l.id}-line`,
      type: 'line',
      source: l.id,
      'source-layer': l.id,
      minzoom: l.minzoom,
      metadata: meta,
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': colourOf(l, s, s.line ?? s.fill ?? '#333333'),
        'line-width': s.lineWidth ?? 1,
        ...(s.lineDash ? { 'line-dasharray': s.lineDash } : {}),
      },
    });
    if (l.labelField && l.id === 'admin-county') {
      // The county's name is not a township's: larger, spaced and brown, and placed after every
      // other label (the first label layer), moving off its point to a free spot when a township's
      // name is there — it took the place of 朝阳乡 and 夏家店街道 at the default view and read as
      // the name of the township it sat in (found by a walkthrough).
      labels.unshift({
        id: `${l.id}-label`,
        type: 'symbol',
        source: l.id,
        'source-layer': hasLabelPoints(l) ? labelLayerName(l.id) : l.id,
        minzoom: Math.max(l.minzoom, 7),
        metadata: meta,
        layout: {
          'text-field': ['get', l.labelField],
          'text-font': [FONT_STACK],
          'text-size': 20,
          'text-letter-spacing': 0.5,
          'text-variable-anchor': ['center', 'top', 'bottom', 'left', 'right', 'top-left', 'top-right', 'bottom-left', 'bottom-right'],
          'text-radial-offset': 1.5,
          'symbol-placement': 'point',
        },
        paint: { 'text-color': '#7a4a1f', 'text-halo-color': '#ffffff', 'text-halo-width': 2 },
      });
    } else if (l.labelField) {
      labels.push({
        id: `${l.id}-label`,
        type: 'symbol',
        source: l.id,
        'source-layer': hasLabelPoints(l) ? labelLayerName(l.id) : l.id,
        minzoom: Math.max(l.minzoom, l.kind === 'admin' ? 7 : 10),
        metadata: meta,
        layout: {
          'text-field': ['get', l.labelField],
          'text-font': [FONT_STACK],
          'text-size': l.kind === 'admin' ? 14 : 12,
          'text-max-width': 8,
          'symbol-placement': 'point',
        },
        paint: { 'text-color': l.kind === 'admin' ? '#333333' : '#1a1a1a', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
      });
    }
  }
  return {
    version: 8,
    name: '德惠市矿产资源总体规划（2021—2025年）',
    metadata: { 'dehui:groups': ['规划分区', '规划区块', '矿业权', '控制线', '行政区'] },
    center: [125.8, 44.5],
    zoom: 8.5,
    sources,
    layers: [...styleLayers, ...labels],
  };
}
