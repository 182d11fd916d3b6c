/**
 * A layer's history: its versions, the difference between two versions drawn on the map
 * (added green, removed red, changed amber with its older outline dashed), with a legend,
 * and restore of an old version (editor).
 */
import type { Map as MlMap } from 'maplibre-gl';
import { ApiError, describeError, getJson, request, type LayerSummary, type VersionSummary } from './api.ts';
import { CAPABILITY_ROLE, can, onAuthChange } from './auth.ts';
import { h } from './dom.ts';
import { geojsonBounds, setOverlay, zoomTo } from './map.ts';

/** versions listed per layer (the API's maximum page) */
const VERSIONS_SHOWN = 1000;

type Status = 'added' | 'removed' | 'changed';

/**
 * The diff as one FeatureCollection with properties.status. Accepts a FeatureCollection whose
 * features say their change (`status`/`change`/`op`), or `{added, removed, changed}` lists of
 * features (a changed entry may be `{before, after}`).
 */
export function normaliseDiff(raw: unknown): GeoJSON.FeatureCollection & { counts?: Record<Status, number>; truncated?: boolean } {
  // (features with status 'before' are the older state of changed ones; they are not counted)
  const out: GeoJSON.Feature[] = [];
  const push = (f: unknown, status: Status) => {
    if (!f || typeof f !== 'object') return;
    const o = f as Record<string, unknown>;
    let feature: GeoJSON.Feature | undefined;
    if (o.type === 'Feature') feature = o as unknown as GeoJSON.Feature;
    else if (o.geometry && typeof o.geometry === 'object') {
      // the server's DiffEntry: {id, properties, geometry, before?}
      feature = { type: 'Feature', id: o.id as string, properties: (o.properties ?? {}) as GeoJSON.GeoJsonProperties, geometry: o.geometry as GeoJSON.Geometry };
    } else {
      const inner = (o.after ?? o.to ?? o.feature ?? o.before ?? o.from) as Record<string, unknown> | undefined;
      if (inner) return push(inner.type === 'Feature' || inner.geometry ? { id: o.id, ...inner } : null, status);
    }
    if (!feature?.geometry) return;
    out.push({ ...feature, properties: { ...(feature.properties ?? {}), fid: feature.id ?? o.id, status } });
    // a changed feature's older geometry: drawn as a dashed outline under the newer one
    const before = o.before as { properties?: GeoJSON.GeoJsonProperties; geometry?: GeoJSON.Geometry } | undefined;
    if (status === 'changed' && before?.geometry && o.geometryChanged !== false) {
      out.push({ type: 'Feature', properties: { ...(before.properties ?? {}), fid: feature.id ?? o.id, status: 'before' }, geometry: before.geometry });
    }
  };
  const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v && typeof v === 'object' && Array.isArray((v as GeoJSON.FeatureCollection).features) ? (v as GeoJSON.FeatureCollection).features : []);
  const r = (raw ?? {}) as Record<string, unknown>;
  if (r.type === 'FeatureCollection') {
    for (const f of asList(r)) {
      const p = ((f as GeoJSON.Feature).properties ?? {}) as Record<string, unknown>;
      const s = String(p.status ?? p.change ?? p.op ?? p.diff ?? 'changed') as Status;
      push(f, (['added', 'removed', 'changed'] as Status[]).includes(s) ? s : 'changed');
    }
  } else {
    for (const s of ['added', 'removed', 'changed'] as Status[]) for (const f of asList(r[s])) push(f, s);
  }
  const counts = r.counts && typeof r.counts === 'object' ? (r.counts as Record<Status, number>) : undefined;
  return { type: 'FeatureCollection', features: out, counts, truncated: r.truncated === true };
}

export function renderHistoryPanel(panel: HTMLElement, map: MlMap, layers: () => LayerSummary[], onRestored: (layerId: string) => void): { refresh: (changed?: { layerId: string; by: 'upload' | 'restore' }) => void } {
  const layerSelect = h('select', { id: 'history-layer' });
  const fromSelect = h('select', { id: 'history-from' });
  const toSelect = h('select', { id: 'history-to' });
  const diffButton = h('button', { type: 'button', id: 'history-diff' }, '在地图上比较');
  const clearButton = h('button', { type: 'button', class: 'secondary' }, '清除比较');
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const list = h('div', { class: 'versions' });
  const diffSummary = h('div', { class: 'diff-summary' });
  let versions: VersionSummary[] = [];
  /** the layer `versions` belongs to: restore and compare act on it, never on a newer selection */
  let versionsOf = '';
  /** the latest load: an answer for an earlier selection that arrives late is dropped */
  let loading = 0;
  /** the outcome of the last restore, said under the reloaded list (cleared when another layer is chosen) */
  let notice = '';
  /** the user has chosen a layer here: a reload after a write elsewhere does not take the panel from it */
  let chosen = false;

  const fillLayers = () => {
    const current = layerSelect.value;
    layerSelect.replaceChildren(...layers().map((l) => h('option', { value: l.id }, `${l.title}（当前第 ${l.version} 版）`)));
    if (current) layerSelect.value = current;
  };

  const load = async () => {
    const id = layerSelect.value;
    if (!id) return;
    const ticket = ++loading;
    if (id !== versionsOf) {
      // another layer's versions and comparison must not stay on screen while this one loads
      versions = [];
      versionsOf = '';
      renderList();
      // and its versions must not be offered for a comparison (found by a review)
      fromSelect.replaceChildren();
      toSelect.replaceChildren();
      if (diffSummary.childNodes.length) {
        setOverlay(map, 'diff', null);
        diffSummary.replaceChildren();
      }
      status.textContent = '正在读取版本…';
    }
    // the same layer again (a restore, an upload, the tab shown again): its list stays until the new one replaces it
    // (found by CI: a reload after a restore emptied the table a moment after the restore's outcome was said)
    let loaded: VersionSummary[] = [];
    let failed: unknown = null;
    try {
      // the newest VERSIONS_SHOWN (the API pages by 100 unless asked)
      loaded = await getJson<VersionSummary[]>(`/api/layers/${encodeURIComponent(id)}/versions?limit=${VERSIONS_SHOWN}`);
    } catch (err) {
      failed = err;
    }
    if (ticket !== loading) return; // a newer selection is loading
    versions = loaded;
    versionsOf = failed ? '' : id;
    status.textContent = failed ? describeError(failed) : [notice, versions.length === VERSIONS_SHOWN ? `仅列出最近 ${VERSIONS_SHOWN} 个版本。` : ''].filter(Boolean).join(' ');
    const opts = () => versions.map((v) => h('option', { value: String(v.version) }, `第 ${v.version} 版`));
    fromSelect.replaceChildren(...opts());
    toSelect.replaceChildren(...opts());
    if (versions.length > 1) fromSelect.value = String(versions[1].version);
    if (versions.length) toSelect.value = String(versions[0].version);
    renderList();
  };

  const renderList = () => {
    const canRestore = can('restore') !== false;
    const latest = versions[0]?.version;
    list.replaceChildren(
      versions.length
        ? h(
            'table',
            { class: 'version-table' },
            h('caption', {}, '版本记录'),
            // the action first and 增/删/改 in one cell: the table fits the 360 px panel at 1280×800
            // (found by a walkthrough: the 恢复 buttons sat beyond the panel's edge, under the map)
            h('thead', {}, h('tr', {}, ['版本', '', '时间', '操作人', '增/删/改', '要素'].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              {},
              versions.map((v) =>
                h(
                  'tr',
                  {},
                  h('td', { class: 'num' }, String(v.version), v.restoredFrom !== null && v.restoredFrom !== undefined ? h('div', { class: 'muted' }, `恢复自第${v.restoredFrom}版`) : null),
                  h('td', {}, v.version !== latest && canRestore ? h('button', { type: 'button', class: 'small', 'data-cap': 'restore', 'aria-label': `恢复为第 ${v.version} 版`, onclick: () => void restore(v.version) }, '恢复') : null),
                  h('td', { title: new Date(v.createdAt).toLocaleString('zh-CN', { hour12: false }) }, shortTime(v.createdAt)),
                  h('td', { class: 'wrap' }, v.author, v.note ? h('div', { class: 'muted' }, v.note) : null),
                  h('td', { class: 'num', 'aria-label': `增 ${v.added}，删 ${v.removed}，改 ${v.changed}` }, `+${v.added} −${v.removed} ~${v.changed}`),
                  h('td', { class: 'num' }, String(v.featureCount)),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, '暂无版本记录。'),
    );
  };

  const restore = async (version: number) => {
    const id = versionsOf;
    if (!id) return;
    const title = layers().find((l) => l.id === id)?.title ?? id;
    if (!confirm(`将图层“${title}”恢复为第 ${version} 版？（会生成一个新版本，历史不丢失）`)) return;
    status.textContent = '正在恢复…';
    try {
      const done = await request<{ unchanged?: boolean; version?: number }>(`/api/layers/${encodeURIComponent(id)}/versions/${version}/restore`, { method: 'POST', json: {}, capability: 'restore' });
      // shown by every reload of this list (the layer list's refresh reloads it too) until another layer is chosen
      // (not under another layer chosen while the restore ran)
      if (layerSelect.value === id) notice = done?.unchanged ? `图层内容已与第 ${version} 版相同，未生成新版本。` : `已恢复为第 ${version} 版的内容（第 ${done?.version ?? '?'} 版）。`;
      // reloads the layer list, the tiles and then this list (one load, not two racing)
      onRestored(id);
    } catch (err) {
      notice = ''; // an earlier restore's outcome must not come back with the next reload
      status.textContent = describeError(err);
      if (err instanceof ApiError && err.denied) status.textContent += `（需要${CAPABILITY_ROLE.restore}角色）`;
    }
  };

  diffButton.addEventListener('click', async () => {
    const id = versionsOf;
    if (!id) return;
    const from = fromSelect.value;
    const to = toSelect.value;
    if (!from || !to || from === to) return void (status.textContent = '请选择两个不同的版本。');
    status.textContent = '正在比较…';
    try {
      const raw = await getJson<unknown>(`/api/layers/${encodeURIComponent(id)}/diff?from=${from}&to=${to}&geometry=true`);
      if (versionsOf !== id) return; // another layer was chosen meanwhile
      const fc = normaliseDiff(raw);
      setOverlay(map, 'diff', fc, 'status');
      // counts from the server are complete; listed features may be truncated
      const n = (s: Status) => fc.counts?.[s] ?? fc.features.filter((f) => f.properties?.status === s).length;
      const movedOutlines = fc.features.filter((f) => f.properties?.status === 'before').length;
      diffSummary.replaceChildren(
        h(
          'ul',
          { class: 'diff-legend', 'data-testid': 'diff-summary', 'aria-label': '比较图例' },
          h('li', {}, h('span', { class: 'swatch diff-added', 'aria-hidden': 'true' }), `新增 ${n('added')} 个（第 ${to} 版的范围）`),
          h('li', {}, h('span', { class: 'swatch diff-removed', 'aria-hidden': 'true' }), `删除 ${n('removed')} 个（第 ${from} 版的范围）`),
          h('li', {}, h('span', { class: 'swatch diff-changed', 'aria-hidden': 'true' }), `修改 ${n('changed')} 个：修改后（第 ${to} 版）`),
          h('li', { 'data-testid': 'diff-before-legend' }, h('span', { class: 'swatch line dashed diff-before', 'aria-hidden': 'true' }), `修改前的边界（第 ${from} 版，虚线；${movedOutlines} 个图形有变动）`),
        ),
      );
      const total = (['added', 'removed', 'changed'] as Status[]).reduce((a, s) => a + n(s), 0);
      status.textContent = `第 ${from} 版 → 第 ${to} 版：共 ${total} 个要素有变化${fc.truncated ? `（地图上仅显示前 ${fc.features.length} 个）` : ''}。`;
      zoomTo(map, geojsonBounds(fc), 14);
    } catch (err) {
      status.textContent = describeError(err);
    }
  });
  clearButton.addEventListener('click', () => {
    setOverlay(map, 'diff', null);
    diffSummary.replaceChildren();
  });
  layerSelect.addEventListener('change', () => {
    chosen = true;
    notice = '';
    void load();
  });
  onAuthChange(renderList);

  panel.replaceChildren(
    h('h2', { class: 'panel-title' }, '历史版本'),
    h('div', { class: 'field' }, h('label', { for: 'history-layer' }, '图层'), layerSelect),
    h('fieldset', { class: 'diff' }, h('legend', {}, '版本比较'), h('div', { class: 'row2' }, h('div', { class: 'field' }, h('label', { for: 'history-from' }, '从'), fromSelect), h('div', { class: 'field' }, h('label', { for: 'history-to' }, '到'), toSelect)), h('div', { class: 'row' }, diffButton, clearButton), diffSummary),
    status,
    list,
  );
  return {
    /**
     * the layer list again, and this panel's versions; `changed`: the layer an upload or a restore
     * wrote, shown when the panel shows it or nothing yet — never instead of a layer chosen meanwhile
     * (found by a review: the reload after an upload took the panel back to the uploaded layer)
     */
    refresh: (changed?: { layerId: string; by: 'upload' | 'restore' }) => {
      fillLayers();
      if (changed && (!chosen || layerSelect.value === changed.layerId)) {
        layerSelect.value = changed.layerId;
        // a restore's outcome is said until the next change: not again under an upload's reload
        if (changed.by === 'upload') notice = '';
      }
      void load();
    },
  };
}

/** 11-29 20:36 this year, 2025-11-29 20:36 before: the full time is the cell's title */
function shortTime(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.getFullYear() === new Date().getFullYear() ? day : `${d.getFullYear()}-${day}`;
}
