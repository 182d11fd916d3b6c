/**
 * Upload a layer file (editor): pick the layer, the file (GeoJSON, zipped shapefile, GeoPackage, KML/KMZ, TXT), the
 * mode (replace/append) and optionally a dry run; a progress bar from XHR upload events; then
 * the new version and counts, or a 422's problems row by row. A row whose feature has a known
 * location (the server's location/bbox, or the feature itself in a GeoJSON file read here)
 * zooms the map to it.
 */
import type { Map as MlMap } from 'maplibre-gl';
import { ApiError, describeError, uploadWithProgress, type InputProblem, type LayerSummary } from './api.ts';
import { CAPABILITY_ROLE } from './auth.ts';
import { h } from './dom.ts';
import { geojsonBounds, setOverlay, zoomTo } from './map.ts';

interface UploadResult {
  version?: number;
  added?: number;
  removed?: number;
  changed?: number;
  featureCount?: number;
  dryRun?: boolean;
  warnings?: InputProblem[];
}

const SEVERITY: Record<string, string> = { error: '错误', warning: '警告' };

/** Features of a GeoJSON file, by index, to locate problems; null for other formats. */
async function readGeoJsonFeatures(file: File): Promise<GeoJSON.Feature[] | null> {
  if (!/\.(geo)?json$/i.test(file.name) || file.size > 50e6) return null;
  try {
    const doc = JSON.parse(await file.text()) as GeoJSON.GeoJSON;
    if (doc.type === 'FeatureCollection') return doc.features;
    if (doc.type === 'Feature') return [doc];
  } catch {
    /* the server reports what is wrong with the file */
  }
  return null;
}

export function problemsTable(problems: InputProblem[], locate: (p: InputProblem) => GeoJSON.Feature | null, onZoom: (f: GeoJSON.Feature) => void): HTMLElement {
  const rows = problems.map((p, i) => {
    const feature = locate(p);
    const cells = [
      h('td', { class: 'num' }, String(i + 1)),
      h('td', {}, h('span', { class: `badge severity-${p.severity}` }, SEVERITY[p.severity] ?? p.severity)),
      // 0-based, as the server's messages count features
      h('td', { class: 'num' }, p.feature !== undefined ? String(p.feature) : '—'),
      h('td', { class: 'num' }, p.line !== undefined ? String(p.line) : '—'),
      h('td', {}, p.field ?? '—'),
      h('td', {}, p.message),
    ];
    const tr = h('tr', { class: feature ? 'locatable' : '' }, cells);
    if (feature) {
      // the whole row is a button for pointer users; keyboard users reach it by Tab
      tr.tabIndex = 0;
      tr.title = '点击定位到此要素';
      tr.setAttribute('aria-label', `第 ${i + 1} 条：${p.message}，按回车定位`);
      const go = () => onZoom(feature);
      tr.addEventListener('click', go);
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          go();
        }
      });
    }
    return tr;
  });
  return h(
    'table',
    { class: 'problems', 'data-testid': 'upload-problems' },
    h('caption', {}, `文件问题（${problems.length} 条）`),
    h(
      'thead',
      {},
      h('tr', {}, ['#', '级别', '要素号', '行号', '字段', '说明'].map((t) => h('th', { scope: 'col' }, t))),
    ),
    h('tbody', {}, rows),
  );
}

export function renderUploadPanel(panel: HTMLElement, map: MlMap, layers: () => LayerSummary[], onUploaded: (layerId: string) => void): void {
  const layerSelect = h('select', { id: 'upload-layer' });
  const fillLayers = () => {
    const current = layerSelect.value;
    layerSelect.replaceChildren(...layers().map((l) => h('option', { value: l.id }, `${l.title}（${l.id}）`)));
    if (current) layerSelect.value = current;
  };
  fillLayers();
  const file = h('input', { type: 'file', id: 'upload-file', accept: '.geojson,.json,.zip,.gpkg,.kml,.kmz,.txt', required: true });
  // which layer of a multi-layer file (a zip of several shapefiles, a GeoPackage of several tables):
  // the server's 422 lists them (details.layers), and they become the choices here
  const sourceLayerChoices = h('datalist', { id: 'upload-source-layers' });
  const sourceLayer = h('input', { type: 'text', id: 'upload-source-layer', list: 'upload-source-layers', placeholder: '文件含多个图层时填写', spellcheck: false });
  const sourceLayerField = h('div', { class: 'field', hidden: true }, h('label', { for: 'upload-source-layer' }, '文件内图层'), sourceLayer, sourceLayerChoices);
  const mode = h('select', { id: 'upload-mode' }, h('option', { value: 'replace' }, '替换（整层更新）'), h('option', { value: 'append' }, '追加'));
  const encoding = h('select', { id: 'upload-encoding' }, h('option', { value: '' }, '自动识别'), h('option', { value: 'GBK' }, 'GBK'), h('option', { value: 'UTF-8' }, 'UTF-8'));
  const crs = h('input', { type: 'text', id: 'upload-crs', placeholder: '如 EPSG:4530，可不填', spellcheck: false });
  const dryRun = h('input', { type: 'checkbox', id: 'upload-dry-run' });
  const repair = h('input', { type: 'checkbox', id: 'upload-repair' });
  const note = h('input', { type: 'text', id: 'upload-note', maxlength: 500, placeholder: '如：2026年第一季度探矿权更新' });
  const progress = h('progress', { id: 'upload-progress', max: 100, value: 0, 'aria-label': '上传进度' });
  const progressText = h('span', { class: 'progress-text', 'aria-live': 'polite' });
  const progressBox = h('div', { class: 'progress', hidden: true }, progress, progressText);
  const submit = h('button', { type: 'submit', class: 'primary', id: 'upload-submit' }, '上传');
  const cancel = h('button', { type: 'button', class: 'secondary', hidden: true }, '取消');
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite', 'data-testid': 'upload-status' });
  const result = h('div', { class: 'result' });

  const form = h(
    'form',
    { class: 'upload-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'upload-layer' }, '目标图层'), layerSelect),
    h('div', { class: 'field' }, h('label', { for: 'upload-file' }, '文件（GeoJSON、Shapefile 压缩包、GeoPackage、KML/KMZ、坐标 TXT）'), file),
    sourceLayerField,
    h('div', { class: 'row2' }, h('div', { class: 'field' }, h('label', { for: 'upload-mode' }, '方式'), mode), h('div', { class: 'field' }, h('label', { for: 'upload-encoding' }, '编码'), encoding)),
    h('div', { class: 'field' }, h('label', { for: 'upload-crs' }, '坐标系'), crs),
    h('div', { class: 'field' }, h('label', { for: 'upload-note' }, '版本说明'), note),
    h('div', { class: 'field checkbox' }, h('label', { for: 'upload-dry-run' }, dryRun, '仅校验（试运行，不写入）')),
    h('div', { class: 'field checkbox' }, h('label', { for: 'upload-repair' }, repair, '自动修复无效几何（如自相交）')),
    h('div', { class: 'row' }, submit, cancel),
    progressBox,
    status,
  );

  // another file: the layers offered were the previous file's
  file.addEventListener('change', () => {
    sourceLayer.value = '';
    sourceLayerChoices.replaceChildren();
    sourceLayerField.hidden = true;
  });

  let abort: (() => void) | null = null;
  cancel.addEventListener('click', () => abort?.());

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (submit.disabled) return; // one upload at a time (Enter in a field submits too)
    const f = file.files?.[0];
    if (!f) return void (status.textContent = '请选择文件。');
    // before the first await: a second click while the file is read must not send it twice, and
    // the previous upload's result and problems go at once
    submit.disabled = true;
    // the previous upload's outcome must not stand while this file is read (found by CI: a test read it as this upload's)
    status.textContent = '正在读取文件…';
    result.replaceChildren();
    setOverlay(map, 'problem', null);
    const layerId = layerSelect.value;
    const body = new FormData();
    // fields before the file: a streaming multipart reader sees them first
    body.append('mode', mode.value);
    if (dryRun.checked) body.append('dryRun', 'true');
    if (encoding.value) body.append('encoding', encoding.value);
    if (crs.value.trim()) body.append('crs', crs.value.trim());
    if (repair.checked) body.append('repair', 'true');
    if (note.value.trim()) body.append('note', note.value.trim());
    if (sourceLayer.value.trim()) body.append('layer', sourceLayer.value.trim());
    body.append('file', f, f.name);
    const features = await readGeoJsonFeatures(f); // never throws

    cancel.hidden = false;
    progressBox.hidden = false;
    progress.value = 0;
    progressText.textContent = '0%';
    status.textContent = '正在上传…';
    const up = uploadWithProgress<UploadResult>(
      `/api/layers/${encodeURIComponent(layerId)}/uploads`,
      body,
      (fraction) => {
        if (fraction === null) progress.removeAttribute('value');
        else {
          progress.value = Math.round(fraction * 100);
          progressText.textContent = fraction >= 1 ? '100%，服务器处理中…' : `${Math.round(fraction * 100)}%`;
        }
      },
      'upload',
    );
    abort = up.abort;
    try {
      const r = await up.promise;
      progressText.textContent = '完成';
      const dry = dryRun.checked || r?.dryRun;
      status.textContent = dry ? '校验通过（试运行，未写入）。' : `上传成功：新版本 ${r?.version ?? '—'}。`;
      result.replaceChildren(
        h(
          'dl',
          { class: 'counts', 'data-testid': 'upload-result' },
          r?.version !== undefined ? [h('dt', {}, dry ? '将生成版本' : '新版本'), h('dd', {}, String(r.version))] : null,
          h('dt', {}, '新增'),
          h('dd', {}, String(r?.added ?? 0)),
          h('dt', {}, '删除'),
          h('dd', {}, String(r?.removed ?? 0)),
          h('dt', {}, '修改'),
          h('dd', {}, String(r?.changed ?? 0)),
        ),
        ...(r?.warnings?.length ? [problemsTable(r.warnings, locateIn(features), (ft) => zoomToProblem(map, ft))] : []),
      );
      if (!dry) onUploaded(layerId);
    } catch (err) {
      progressText.textContent = '';
      status.textContent = describeError(err);
      if (err instanceof ApiError && err.denied) status.textContent += `（需要${CAPABILITY_ROLE.upload}角色）`;
      const problems = err instanceof ApiError ? ((err.details as { problems?: InputProblem[] } | undefined)?.problems ?? []) : [];
      const fileLayers = err instanceof ApiError ? (err.details as { layers?: unknown } | undefined)?.layers : undefined;
      if (Array.isArray(fileLayers) && fileLayers.length) {
        sourceLayerChoices.replaceChildren(...fileLayers.map((name) => h('option', { value: String(name) })));
        sourceLayerField.hidden = false;
        sourceLayer.focus();
      }
      if (problems.length) result.replaceChildren(problemsTable(problems, locateIn(features), (ft) => zoomToProblem(map, ft)));
    } finally {
      abort = null;
      submit.disabled = false;
      cancel.hidden = true;
    }
  });

  panel.replaceChildren(
    h('h2', { class: 'panel-title' }, '图层上传'),
    h('p', { class: 'hint' }, '上传后生成图层新版本，原数据保留在历史中，可随时恢复。出错的文件不会改动数据。'),
    form,
    result,
  );
  panel.addEventListener('focusin', fillLayers, { once: true });
}

/** A problem's feature on the map: the server's location/bbox, else the file's feature. */
function locateIn(features: GeoJSON.Feature[] | null) {
  return (p: InputProblem): GeoJSON.Feature | null => {
    if (p.location) return { type: 'Feature', properties: { status: 'problem' }, geometry: { type: 'Point', coordinates: p.location } };
    if (p.bbox) {
      const [a, b, c, d] = p.bbox;
      return { type: 'Feature', properties: { status: 'problem' }, geometry: { type: 'Polygon', coordinates: [[[a, b], [c, b], [c, d], [a, d], [a, b]]] } };
    }
    const f = p.feature !== undefined ? features?.[p.feature] : undefined;
    return f?.geometry && geojsonBounds(f.geometry) ? { ...f, properties: { ...(f.properties ?? {}), status: 'problem' } } : null;
  };
}

function zoomToProblem(map: MlMap, feature: GeoJSON.Feature): void {
  setOverlay(map, 'problem', { type: 'FeatureCollection', features: [feature] });
  zoomTo(map, geojsonBounds(feature), 16);
}
