/**
 * Click a feature → a popup with its attributes under their Chinese labels (from
 * /api/layers/{id} attributes). Several features under the cursor → a list to choose from.
 * By keyboard: focus the map, move it with the arrow keys, Enter inspects the map centre.
 */
import maplibregl, { type Map as MlMap, type MapGeoJSONFeature } from 'maplibre-gl';
import { layerDetail, type AttributeDef } from './api.ts';
import { h } from './dom.ts';

/** set while a drawing tool owns map clicks */
let suspended = false;
export const suspendFeatureInfo = (on: boolean) => (suspended = on);

export interface FeatureRef {
  layer: string;
  layerTitle: string;
  properties: Record<string, unknown>;
}

export function formatValue(value: unknown, attr?: AttributeDef): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? '是' : '否';
  if (attr?.type === 'number' && typeof value === 'number') return String(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The attribute table for one feature; attributes in schema order, unknown ones after. */
export async function attributeTable(ref: FeatureRef): Promise<HTMLElement> {
  let attrs: AttributeDef[] = [];
  try {
    attrs = (await layerDetail(ref.layer)).attributes;
  } catch {
    attrs = [];
  }
  const known = new Set(attrs.map((a) => a.name));
  const rows: [string, string][] = [];
  if (ref.properties.fid !== undefined) rows.push(['要素编号', String(ref.properties.fid)]);
  for (const a of attrs) {
    if (!(a.name in ref.properties)) continue;
    const label = a.name === 'illustrative' ? '示意数据' : a.label;
    rows.push([label, formatValue(ref.properties[a.name], a)]);
  }
  for (const [k, v] of Object.entries(ref.properties)) if (!known.has(k) && k !== 'fid') rows.push([k, formatValue(v)]);
  return h(
    'table',
    { class: 'attr-table' },
    h('caption', {}, ref.layerTitle),
    h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v)))),
  );
}

function refsAt(map: MlMap, features: MapGeoJSONFeature[]): FeatureRef[] {
  const seen = new Set<string>();
  const refs: FeatureRef[] = [];
  for (const f of features) {
    const m = (f.layer as { metadata?: Record<string, string> }).metadata ?? {};
    const layer = m['dehui:layer'];
    if (!layer) continue;
    const key = `${layer}/${f.properties.fid ?? f.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    refs.push({ layer, layerTitle: m['dehui:title'] ?? layer, properties: f.properties });
  }
  void map;
  return refs;
}

const nameOf = (r: FeatureRef) => String(r.properties.name ?? r.properties.licence_no ?? r.properties.land_code ?? r.properties.code ?? r.properties.fid ?? '');

/** Pan the map so the whole popup is inside the map (tall attribute lists near an edge). */
function fitPopup(map: MlMap, popup: maplibregl.Popup): void {
  const el = popup.getElement();
  if (!el) return;
  const box = el.getBoundingClientRect();
  const frame = map.getContainer().getBoundingClientRect();
  const margin = 10;
  const dx = box.left < frame.left + margin ? box.left - frame.left - margin : box.right > frame.right - margin ? box.right - frame.right + margin : 0;
  const dy = box.top < frame.top + margin ? box.top - frame.top - margin : box.bottom > frame.bottom - margin ? box.bottom - frame.bottom + margin : 0;
  if (dx || dy) map.panBy([dx, dy], { duration: 0 });
}

export async function showFeaturePopup(map: MlMap, lngLat: maplibregl.LngLatLike, refs: FeatureRef[]): Promise<maplibregl.Popup | null> {
  if (!refs.length) return null;
  const body = h('div', { class: 'popup-body' });
  const content = h('div', { class: 'feature-popup', 'data-testid': 'feature-popup' }, body);
  const show = async (i: number) => {
    body.replaceChildren(h('p', {}, '正在读取属性…'));
    body.replaceChildren(await attributeTable(refs[i]));
  };
  if (refs.length > 1) {
    const list = h(
      'ul',
      { class: 'popup-choices', 'aria-label': '此处的要素' },
      refs.slice(0, 12).map((r, i) =>
        h('li', {}, h('button', { type: 'button', onclick: () => void show(i) }, `${r.layerTitle}：${nameOf(r) || '（无名称）'}`)),
      ),
    );
    content.prepend(h('p', { class: 'popup-count' }, `此处共 ${refs.length} 个要素：`), list);
  }
  const popup = new maplibregl.Popup({ maxWidth: '360px', focusAfterOpen: true, closeButton: true }).setLngLat(lngLat).setDOMContent(content).addTo(map);
  // keyboard: Escape closes the popup and gives the focus back to the map
  popup.getElement()?.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    popup.remove();
    map.getCanvas().focus();
  });
  await show(0);
  fitPopup(map, popup);
  return popup;
}

export function initFeatureInfo(map: MlMap): void {
  let popup: maplibregl.Popup | null = null;
  const inspect = async (point: maplibregl.Point, lngLat: maplibregl.LngLat) => {
    const planLayers = map
      .getStyle()
      .layers.filter((l) => (l as { metadata?: Record<string, string> }).metadata?.['dehui:layer'] && l.type !== 'symbol')
      .filter((l) => map.getLayoutProperty(l.id, 'visibility') !== 'none')
      .map((l) => l.id);
    const pad = 3;
    const features = map.queryRenderedFeatures(
      [
        [point.x - pad, point.y - pad],
        [point.x + pad, point.y + pad],
      ],
      { layers: planLayers },
    );
    popup?.remove();
    popup = await showFeaturePopup(map, lngLat, refsAt(map, features));
  };
  map.on('click', (e) => {
    if (!suspended) void inspect(e.point, e.lngLat);
  });
  // keyboard: with the map focused, Enter shows the attributes of what lies under the map centre
  // (the arrow keys and +/- move the map; drawing by keyboard suspends this, draw.ts)
  map.getCanvas().addEventListener('keydown', (e) => {
    if (suspended || e.key !== 'Enter' || e.altKey || e.ctrlKey || e.metaKey) return;
    e.preventDefault();
    const c = map.getCanvas();
    void inspect(new maplibregl.Point(c.clientWidth / 2, c.clientHeight / 2), map.getCenter());
  });
  map.on('mousemove', (e) => {
    if (suspended) return;
    const hit = map.queryRenderedFeatures(e.point).some((f) => (f.layer as { metadata?: Record<string, string> }).metadata?.['dehui:layer'] && f.layer.type === 'fill');
    map.getCanvas().style.cursor = hit ? 'pointer' : '';
  });
}
