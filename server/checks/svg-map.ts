/**
 * An inline SVG map for the printable report: the block, its overlap/outside pieces and nearby
 * plan layers, drawn from coordinates already projected by PostGIS to a GK zone (metres,
 * [easting, northing]). Pure string building; no external tiles, fonts or URLs, and no xmlns
 * (inline SVG in HTML needs none), so the page holds no URL at all.
 */
import type { ProjectedRings, ReportGeometry } from './check-store.js';

const VERDICT_COLOURS: Record<string, string> = { prohibited: '#d7191c', review: '#fd8d3c', notice: '#2b83ba' };
/** context layer → [fill, stroke]; anything else is grey */
const LAYER_COLOURS: Record<string, [string, string]> = {
  'admin-county': ['none', '#333333'],
  'ecological-redline': ['#1a9641', '#1a9641'],
  'permanent-farmland': ['#f5d142', '#c9a100'],
  'cultivated-land': ['#e6e0a0', '#b5aa50'],
  'urban-boundary': ['#9e9e9e', '#616161'],
  'mining-blocks': ['#7b3294', '#7b3294'],
  'exploration-blocks': ['#5e3c99', '#5e3c99'],
  'mining-rights': ['none', '#a50026'],
  'exploration-rights': ['none', '#313695'],
  'key-exploration-zones': ['none', '#0571b0'],
  'key-mining-zones': ['none', '#ca0020'],
  'key-development-areas': ['none', '#008837'],
};

interface Frame { x0: number; y1: number; scale: number }

function pathOf(polygons: ProjectedRings[], f: Frame): string {
  const pt = ([e, n]: [number, number]) => `${((e - f.x0) * f.scale).toFixed(1)} ${((f.y1 - n) * f.scale).toFixed(1)}`;
  return polygons.map((rings) => rings.map((ring) => `M${ring.map(pt).join('L')}Z`).join('')).join('');
}

/** width × height px; the frame is the block's extent plus a quarter on each side. */
export function renderSvgMap(g: ReportGeometry, layerTitles: Record<string, string>, width = 640, height = 480): string {
  const pts = g.block.flat(2);
  if (pts.length === 0) return '';
  let [minE, minN, maxE, maxN] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [e, n] of pts) [minE, minN, maxE, maxN] = [Math.min(minE, e), Math.min(minN, n), Math.max(maxE, e), Math.max(maxN, n)];
  const pad = Math.max(maxE - minE, maxN - minN) * 0.25 + 50;
  [minE, minN, maxE, maxN] = [minE - pad, minN - pad, maxE + pad, maxN + pad];
  const scale = Math.min(width / (maxE - minE), height / (maxN - minN));
  const f: Frame = { x0: minE, y1: maxN, scale };
  const out: string[] = [`<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="区块位置示意图">`];
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff" stroke="#999999"/>`);
  const shown = new Set<string>();
  for (const c of g.context) {
    const [fill, stroke] = LAYER_COLOURS[c.layer] ?? ['#cccccc', '#888888'];
    shown.add(c.layer);
    out.push(`<path d="${pathOf(c.rings, f)}" fill="${fill}" fill-opacity="0.35" stroke="${stroke}" stroke-width="0.8" fill-rule="evenodd"/>`);
  }
  for (const p of g.pieces) {
    const colour = VERDICT_COLOURS[p.verdict] ?? '#000000';
    out.push(`<path d="${pathOf(p.rings, f)}" fill="${colour}" fill-opacity="${p.role === 'outside' ? 0.25 : 0.55}" stroke="${colour}" stroke-width="1" ${p.role === 'outside' ? 'stroke-dasharray="4 3"' : ''} fill-rule="evenodd"/>`);
  }
  out.push(`<path d="${pathOf(g.block, f)}" fill="none" stroke="#000000" stroke-width="2.2" fill-rule="evenodd"/>`);
  out.push(scaleBar(scale, width, height), northArrow(width));
  out.push(legend([...shown].map((l) => [LAYER_COLOURS[l]?.[1] ?? '#888888', layerTitles[l] ?? l]), height));
  out.push('</svg>');
  return out.join('\n');
}

/** A bar of a round length near a fifth of the width. */
function scaleBar(scale: number, width: number, height: number): string {
  const target = width / 5 / scale;
  const step = 10 ** Math.floor(Math.log10(target));
  const metres = [5, 2, 1].map((k) => k * step).find((m) => m <= target) ?? step;
  const px = metres * scale;
  const label = metres >= 1000 ? `${metres / 1000} 千米` : `${metres} 米`;
  const x = width - px - 20;
  const y = height - 20;
  return `<g><rect x="${x.toFixed(1)}" y="${y - 6}" width="${px.toFixed(1)}" height="6" fill="#000000"/><text x="${x.toFixed(1)}" y="${y - 10}" font-size="12">${label}</text></g>`;
}

function northArrow(width: number): string {
  const x = width - 30;
  return `<g><path d="M${x} 14L${x - 8} 40L${x} 34L${x + 8} 40Z" fill="#000000"/><text x="${x - 5}" y="54" font-size="13">北</text></g>`;
}

function legend(items: [string, string][], height: number): string {
  const rows = [['#000000', '拟设区块'], ['#d7191c', '禁止'], ['#fd8d3c', '需论证'], ['#2b83ba', '提示'], ...items];
  const y0 = height - 10 - rows.length * 16;
  return `<g font-size="11">${rows
    .map(([c, t], i) => `<rect x="10" y="${y0 + i * 16}" width="14" height="10" fill="${c}" fill-opacity="0.6" stroke="${c}"/><text x="30" y="${y0 + i * 16 + 9}">${escapeXml(t)}</text>`)
    .join('')}</g>`;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
