/**
 * The layer list: the style's layers grouped by metadata['dehui:group'], one checkbox per plan
 * layer (its fill, line and label style layers together) and one per group, with the legend
 * swatch beside each. Minimum zooms are shown, so an empty map at a small scale is explained.
 */
import type { LayerSpecification, Map as MlMap, StyleSpecification } from 'maplibre-gl';
import type { LayerSummary } from './api.ts';
import { h } from './dom.ts';
import { mineralEntries, mineralLegend, swatch, swatchSpec } from './legend.ts';

export interface PlanLayer {
  id: string;
  title: string;
  group: string;
  styleLayerIds: string[];
  minzoom: number;
}

type Meta = { 'dehui:group'?: string; 'dehui:layer'?: string; 'dehui:title'?: string };
const meta = (l: LayerSpecification): Meta => ((l as { metadata?: unknown }).metadata ?? {}) as Meta;

/** Plan layers in style order, top of the drawing order first (as a legend reads). */
export function planLayers(style: StyleSpecification): PlanLayer[] {
  const byId = new Map<string, PlanLayer>();
  for (const l of style.layers) {
    const m = meta(l);
    if (!m['dehui:layer']) continue;
    let p = byId.get(m['dehui:layer']);
    if (!p) {
      p = { id: m['dehui:layer'], title: m['dehui:title'] ?? m['dehui:layer'], group: m['dehui:group'] ?? '其他', styleLayerIds: [], minzoom: 24 };
      byId.set(p.id, p);
    }
    p.styleLayerIds.push(l.id);
    if (l.type !== 'symbol') p.minzoom = Math.min(p.minzoom, l.minzoom ?? 0);
  }
  return [...byId.values()].reverse();
}

export function groupOrder(style: StyleSpecification, layers: PlanLayer[]): string[] {
  const declared = ((style.metadata as Record<string, unknown> | undefined)?.['dehui:groups'] as string[] | undefined) ?? [];
  const present = [...new Set(layers.map((l) => l.group))];
  return [...declared.filter((g) => present.includes(g)), ...present.filter((g) => !declared.includes(g))];
}

export function setLayerVisible(map: MlMap, layer: PlanLayer, visible: boolean): void {
  for (const id of layer.styleLayerIds) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
}

export function isLayerVisible(map: MlMap, layer: PlanLayer): boolean {
  return layer.styleLayerIds.some((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none');
}

export function renderLayersPanel(panel: HTMLElement, map: MlMap, style: StyleSpecification, summaries: LayerSummary[]): PlanLayer[] {
  const layers = planLayers(style);
  const counts = new Map(summaries.map((s) => [s.id, s]));
  const groups = groupOrder(style, layers);
  const updaters: (() => void)[] = [];

  const list = h('div', { class: 'layer-groups' });
  for (const group of groups) {
    const members = layers.filter((l) => l.group === group);
    const groupBox = h('input', { type: 'checkbox', id: `group-${group}`, 'data-group': group });
    const items = h('ul', { class: 'layer-list' });
    const boxes: HTMLInputElement[] = [];
    for (const layer of members) {
      const styleLayers = style.layers.filter((l) => layer.styleLayerIds.includes(l.id));
      const id = `layer-${layer.id}`;
      const box = h('input', { type: 'checkbox', id, checked: true, 'data-layer': layer.id });
      boxes.push(box);
      box.addEventListener('change', () => {
        setLayerVisible(map, layer, box.checked);
        syncGroup();
      });
      const summary = counts.get(layer.id);
      const minors = mineralEntries(styleLayers);
      const zoomNote = h('span', { class: 'zoom-note', 'data-minzoom': layer.minzoom }, `放大至${layer.minzoom}级显示`);
      updaters.push(() => (zoomNote.hidden = map.getZoom() >= layer.minzoom));
      items.append(
        h(
          'li',
          { class: 'layer-item' },
          h(
            'label',
            { for: id },
            box,
            swatch(swatchSpec(styleLayers), layer.title),
            h('span', { class: 'layer-title' }, layer.title),
            summary ? h('span', { class: 'count', title: '要素数' }, `${summary.featureCount}`) : null,
          ),
          zoomNote,
          minors.length ? mineralLegend(minors) : null,
        ),
      );
    }
    const syncGroup = () => {
      const on = boxes.filter((b) => b.checked).length;
      groupBox.checked = on === boxes.length;
      groupBox.indeterminate = on > 0 && on < boxes.length;
    };
    groupBox.addEventListener('change', () => {
      for (const b of boxes) {
        b.checked = groupBox.checked;
        setLayerVisible(map, layers.find((l) => l.id === b.dataset.layer)!, b.checked);
      }
      syncGroup();
    });
    syncGroup();
    list.append(
      h(
        'fieldset',
        { class: 'layer-group' },
        h('legend', {}, h('label', { for: `group-${group}` }, groupBox, h('span', {}, group))),
        items,
      ),
    );
  }
  const update = () => updaters.forEach((u) => u());
  map.on('zoomend', update);
  update();
  panel.replaceChildren(
    h('h2', { class: 'panel-title' }, '图层与图例'),
    h('p', { class: 'hint' }, '勾选以显示或隐藏图层；点击地图上的要素查看属性。'),
    list,
  );
  return layers;
}
