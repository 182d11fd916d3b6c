/**
 * Find a feature by name, code (区块编号), licence number (许可证号) or township, through the
 * OGC API Features items endpoint:
 * - small layers (blocks, zones, rights, townships, red line…) are read once, whole, and matched
 *   by substring, so partial names work;
 * - large layers (耕地, 永久基本农田 parcels) are asked with exact property filters
 *   (`?land_code=…`, `?township=…`), the server's equality filters.
 * Choosing a result zooms to it, highlights it and opens its attributes.
 */
import type { Map as MlMap } from 'maplibre-gl';
import { describeError, getJson, layerDetail, type LayerSummary } from './api.ts';
import { h } from './dom.ts';
import { showFeaturePopup } from './feature-info.ts';
import { geojsonBounds, setOverlay, zoomTo } from './map.ts';

/** layers read whole when they have at most this many features */
const SMALL_LAYER = 500;
const SEARCH_FIELDS = ['name', 'code', 'licence_no', 'land_code', 'township', 'holder', 'parent_zone'];

interface Hit {
  layer: LayerSummary;
  feature: GeoJSON.Feature;
  field: string;
  exact: boolean;
}

type Collection = GeoJSON.FeatureCollection;

const wholeLayers = new Map<string, Promise<Collection>>();
function wholeLayer(l: LayerSummary): Promise<Collection> {
  let p = wholeLayers.get(l.id);
  if (!p) {
    p = getJson<Collection>(`/ogc/collections/${encodeURIComponent(l.id)}/items?limit=${SMALL_LAYER}`);
    p.catch(() => wholeLayers.delete(l.id));
    wholeLayers.set(l.id, p);
  }
  return p;
}

/** Search every layer; exact matches first, then by layer order. */
export async function searchFeatures(layers: LayerSummary[], raw: string): Promise<Hit[]> {
  const q = raw.trim();
  if (!q) return [];
  const needle = q.toLowerCase();
  const hits: Hit[] = [];
  await Promise.all(
    layers
      .filter((l) => l.featureCount > 0)
      .map(async (l) => {
        if (l.featureCount <= SMALL_LAYER) {
          const fc = await wholeLayer(l).catch(() => null);
          for (const f of fc?.features ?? []) {
            const props = f.properties ?? {};
            for (const field of SEARCH_FIELDS) {
              const v = props[field];
              if (v === null || v === undefined) continue;
              const s = String(v).toLowerCase();
              if (s.includes(needle)) {
                hits.push({ layer: l, feature: f, field, exact: s === needle });
                break;
              }
            }
          }
          return;
        }
        // large layer: exact property filters on the fields it has
        const attrs = new Set((await layerDetail(l.id).catch(() => null))?.attributes.map((a) => a.name) ?? []);
        const fields = SEARCH_FIELDS.filter((f) => attrs.has(f) && f !== 'township'); // a township matches thousands of parcels
        await Promise.all(
          fields.map(async (field) => {
            const url = `/ogc/collections/${encodeURIComponent(l.id)}/items?limit=20&${encodeURIComponent(field)}=${encodeURIComponent(q)}`;
            const fc = await getJson<Collection>(url).catch(() => null);
            for (const f of fc?.features ?? []) hits.push({ layer: l, feature: f, field, exact: true });
          }),
        );
      }),
  );
  const rank = (l: LayerSummary) => KIND_ORDER.indexOf(l.kind) >>> 0;
  return hits.sort((a, b) => Number(b.exact) - Number(a.exact) || rank(a.layer) - rank(b.layer));
}

/** results: rights and blocks first, then zones, admin units, constraint parcels */
const KIND_ORDER = ['right', 'block', 'zone', 'admin', 'constraint'];

const FIELD_LABEL: Record<string, string> = { name: '名称', code: '编号', licence_no: '许可证号', land_code: '图斑编号', township: '乡镇', holder: '权利人', parent_zone: '所属区' };

export function initSearch(map: MlMap, layers: () => LayerSummary[]): void {
  const form = document.getElementById('search-form') as HTMLFormElement;
  const input = document.getElementById('search-input') as HTMLInputElement;
  const list = document.getElementById('search-results') as HTMLUListElement;

  const choose = async (hit: Hit) => {
    list.hidden = true;
    const bounds = geojsonBounds(hit.feature);
    setOverlay(map, 'highlight', { type: 'FeatureCollection', features: [hit.feature] });
    // listen first: with reduced motion the jump ends (moveend) inside zoomTo, and without bounds there is no move
    const moved = new Promise((r) => map.once('moveend', r));
    const wasMoving = map.isMoving();
    zoomTo(map, bounds, 14);
    if (bounds || wasMoving || map.isMoving()) await Promise.race([moved, new Promise((r) => setTimeout(r, 3000))]);
    const p = hit.feature.properties ?? {};
    const at: [number, number] = bounds ? [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2] : [map.getCenter().lng, map.getCenter().lat];
    await showFeaturePopup(map, at, [{ layer: hit.layer.id, layerTitle: hit.layer.title, properties: { fid: hit.feature.id, ...p } }]);
  };

  let searching = 0;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const q = input.value;
    if (!q.trim()) return;
    const ticket = ++searching;
    list.hidden = false;
    list.replaceChildren(h('li', { class: 'muted' }, '正在查找…'));
    let hits: Hit[];
    try {
      hits = await searchFeatures(layers(), q);
    } catch (err) {
      if (ticket === searching) list.replaceChildren(h('li', { class: 'muted' }, describeError(err)));
      return;
    }
    if (ticket !== searching) return; // a newer search was started meanwhile
    if (!hits.length) {
      list.replaceChildren(h('li', { class: 'muted' }, `未找到“${q.trim()}”`));
      return;
    }
    list.replaceChildren(
      ...hits.slice(0, 30).map((hit) => {
        const p = hit.feature.properties ?? {};
        const name = String(p.name ?? p.licence_no ?? p.land_code ?? p.code ?? hit.feature.id ?? '');
        return h(
          'li',
          { role: 'option' },
          h(
            'button',
            { type: 'button', class: 'search-hit', onclick: () => void choose(hit) },
            h('span', { class: 'hit-name' }, name),
            h('span', { class: 'hit-meta' }, `${hit.layer.title} · ${FIELD_LABEL[hit.field] ?? hit.field}：${String(p[hit.field] ?? '')}`),
          ),
        );
      }),
      ...(hits.length > 30 ? [h('li', { class: 'muted' }, `共 ${hits.length} 条，仅显示前 30 条`)] : []),
    );
    list.querySelector('button')?.focus();
  });
  // Escape closes the list; arrow keys move between results
  list.addEventListener('keydown', (e) => {
    const buttons = [...list.querySelectorAll('button')];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') {
      list.hidden = true;
      input.focus();
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      buttons[Math.min(i + 1, buttons.length - 1)]?.focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      (i <= 0 ? input : buttons[i - 1]).focus();
    }
  });
  document.addEventListener('click', (e) => {
    if (!form.contains(e.target as Node)) list.hidden = true;
  });
}
