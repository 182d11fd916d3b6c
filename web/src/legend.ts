/**
 * Legend swatches drawn from the style's own paint properties, so the legend cannot drift from
 * the map: fill colour and opacity, outline colour, width and dash. A `match` on `mineral`
 * (blocks and rights) becomes one entry per mineral.
 */
import type { LayerSpecification } from 'maplibre-gl';
import { h } from './dom.ts';

type Paint = Record<string, unknown>;

export interface SwatchSpec {
  fill?: string;
  fillOpacity?: number;
  line?: string;
  lineWidth?: number;
  dashed?: boolean;
}

/** `['match', ['get', key], v1, c1, v2, c2, …, fallback]` → [[v1, c1], …] */
export function matchEntries(value: unknown): { key: string; entries: [string, string][] } | null {
  if (!Array.isArray(value) || value[0] !== 'match' || !Array.isArray(value[1]) || value[1][0] !== 'get') return null;
  const entries: [string, string][] = [];
  for (let i = 2; i + 1 < value.length; i += 2) entries.push([String(value[i]), String(value[i + 1])]);
  return { key: String(value[1][1]), entries };
}

const plainColour = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The swatch for one plan layer (its fill and line style layers). */
export function swatchSpec(styleLayers: LayerSpecification[]): SwatchSpec {
  const spec: SwatchSpec = {};
  for (const l of styleLayers) {
    const paint = ((l as { paint?: Paint }).paint ?? {}) as Paint;
    if (l.type === 'fill') {
      spec.fill = plainColour(paint['fill-color']);
      spec.fillOpacity = typeof paint['fill-opacity'] === 'number' ? paint['fill-opacity'] : 1;
    } else if (l.type === 'line') {
      // colours by mineral (a match expression): a neutral outline here, the minerals listed below
      spec.line = plainColour(paint['line-color']) ?? '#555555';
      spec.lineWidth = typeof paint['line-width'] === 'number' ? paint['line-width'] : 1;
      spec.dashed = Array.isArray(paint['line-dasharray']);
    }
  }
  return spec;
}

/** Mineral entries when the layer's colours depend on `mineral`. */
export function mineralEntries(styleLayers: LayerSpecification[]): [string, string][] {
  for (const l of styleLayers) {
    const paint = ((l as { paint?: Paint }).paint ?? {}) as Paint;
    const m = matchEntries(paint['line-color'] ?? paint['fill-color']);
    if (m) return m.entries;
  }
  return [];
}

export function swatch(spec: SwatchSpec, title: string): HTMLElement {
  const el = h('span', { class: 'swatch', 'aria-hidden': 'true', title });
  if (spec.fill) {
    // very faint fills are drawn a little stronger so the colour can be recognised
    const opacity = Math.max(spec.fillOpacity ?? 1, 0.3);
    el.style.background = `color-mix(in srgb, ${spec.fill} ${Math.round(opacity * 100)}%, transparent)`;
  }
  if (spec.line) {
    el.style.borderColor = spec.line;
    el.style.borderWidth = `${Math.min(Math.max(spec.lineWidth ?? 1, 1), 3)}px`;
    el.style.borderStyle = spec.dashed ? 'dashed' : 'solid';
  }
  return el;
}

/** A mineral colour legend (blocks and rights are coloured by mineral). */
export function mineralLegend(entries: [string, string][]): HTMLElement {
  return h(
    'ul',
    { class: 'mineral-legend', 'aria-label': '矿种颜色' },
    entries.map(([mineral, colour]) => h('li', {}, swatch({ fill: colour, fillOpacity: 0.3, line: colour, lineWidth: 2 }, mineral), mineral)),
  );
}
