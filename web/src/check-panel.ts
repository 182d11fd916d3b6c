/**
 * Check a proposed block (planner): draw it, paste a boundary-coordinate TXT, or upload a TXT or a zipped shapefile;
 * choose the activity and mineral; POST /api/checks; show the verdict, each finding with its
 * area (亩 / 公顷 / %), the overlaps on the map (overlaps.geojson) and the printable report link.
 */
import type { Map as MlMap } from 'maplibre-gl';
import { ApiError, describeError, getJson, request, type CheckReport, type Finding } from './api.ts';
import { CAPABILITY_ROLE } from './auth.ts';
import { fmt, h, nextId } from './dom.ts';
import { clearDrawing, drawPolygon, drawPolygonByKeyboard } from './draw.ts';
import { geojsonBounds, setOverlay, zoomTo } from './map.ts';

export const MINERALS = ['地热', '矿泉水', '建筑用砂', '陶粒页岩', '砖瓦用粘土'];
export const VERDICT_LABELS: Record<string, string> = { prohibited: '禁止', review: '需论证', notice: '提示', pass: '符合' };
const SCALE_UNITS = ['万吨/年', '万立方米/年', '万立方米/日', '立方米/日'];

type Source = 'draw' | 'paste' | 'file';

function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id || nextId('f');
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('p', { class: 'hint' }, hint) : null);
}

function areaText(a: { m2: number; ha: number; mu: number } | null | undefined): string {
  return a ? `${fmt(a.mu, 2)} 亩 / ${fmt(a.ha, 4)} 公顷 / ${fmt(a.m2, 2)} m²` : '—';
}

export function renderFindings(report: CheckReport): HTMLElement {
  const area = report.block?.area ?? report.area;
  const verdict = report.verdict;
  const rows = report.findings.map((f: Finding) =>
    h(
      'tr',
      { class: `finding verdict-${f.verdict}` },
      h('td', {}, h('span', { class: `badge verdict-${f.verdict}` }, f.verdictLabel ?? VERDICT_LABELS[f.verdict] ?? f.verdict)),
      h(
        'td',
        {},
        h('strong', {}, f.title ?? f.layerTitle ?? f.ruleId),
        h('p', { class: 'finding-message' }, f.message),
        f.features?.length
          ? h(
              'ul',
              { class: 'finding-features' },
              f.features.map((x) => h('li', {}, `${x.name && x.name !== x.id ? `${x.name}（${x.id}）` : x.id}${x.area ? `：${fmt(x.area.mu, 2)} 亩` : ''}`)),
              (f.featureCount ?? 0) > f.features.length ? h('li', { class: 'muted' }, `等共 ${f.featureCount} 个`) : null,
            )
          : null,
        h('p', { class: 'citation' }, `依据：${f.citation}`),
      ),
      h('td', { class: 'num' }, f.area ? `${fmt(f.area.mu, 2)}` : '—'),
      h('td', { class: 'num' }, f.area ? `${fmt(f.area.ha, 4)}` : '—'),
      h('td', { class: 'num' }, fmt(f.sharePercent ?? f.share ?? null, 2)),
    ),
  );
  return h(
    'div',
    { class: 'check-result', 'data-testid': 'check-result' },
    h(
      'p',
      { class: 'verdict-line' },
      '总体结论：',
      h('span', { class: `badge big verdict-${verdict}`, 'data-testid': 'verdict' }, report.verdictLabel ?? VERDICT_LABELS[verdict] ?? verdict),
    ),
    h('p', {}, `区块面积：${areaText(area)}`),
    report.input?.declaredArea ? h('p', { class: 'hint' }, `坐标文件申报面积 ${fmt(report.input.declaredArea.ha, 4)} 公顷，计算差值 ${fmt(report.input.declaredDifferenceM2, 2)} m²`) : null,
    report.findings.length
      ? h(
          'table',
          { class: 'findings' },
          h('caption', {}, `检查发现（${report.findings.length} 项）`),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '结论'), h('th', { scope: 'col' }, '内容'), h('th', { scope: 'col' }, '面积（亩）'), h('th', { scope: 'col' }, '公顷'), h('th', { scope: 'col' }, '占比%'))),
          h('tbody', {}, rows),
        )
      : report.verdict !== 'pass' && report.skippedRules?.some((s) => s.unverified)
        ? h('p', { class: 'review' }, '已检查的规则未发现冲突，但有规则未能检查（见下），结论为需论证，请人工复核。')
        : h('p', { class: 'ok' }, '未发现冲突。'),
    report.warnings?.length ? h('ul', { class: 'warnings' }, report.warnings.map((w) => h('li', {}, `${w.line ? `第${w.line}行：` : ''}${w.message}`))) : null,
    report.skippedRules?.length ? h('details', { open: report.skippedRules.some((s) => s.unverified) && report.verdict !== 'pass' }, h('summary', {}, `未评估的规则（${report.skippedRules.length}）`), h('ul', {}, report.skippedRules.map((s) => h('li', {}, `${s.ruleId}：${s.reason}${s.unverified ? '（未检查，需人工复核）' : ''}`)))) : null,
    h(
      'p',
      { class: 'actions' },
      h('a', { href: report.links?.html ?? `/api/checks/${report.id}/report.html`, target: '_blank', rel: 'noopener', class: 'button', 'data-testid': 'report-link' }, '打开可打印报告'),
      ' ',
      h('a', { href: report.links?.overlaps ?? `/api/checks/${report.id}/overlaps.geojson`, download: `check-${report.id}-overlaps.geojson`, class: 'button secondary' }, '下载重叠部分 GeoJSON'),
    ),
  );
}

export function renderCheckPanel(panel: HTMLElement, map: MlMap): void {
  let source: Source = 'draw';
  let drawn: GeoJSON.Polygon | null = null;
  let cancelDraw: (() => void) | null = null;

  const name = h('input', { type: 'text', maxlength: 200, placeholder: '如：松花江镇建筑用砂拟设区块', id: 'check-name' });
  const activity = h('select', { id: 'check-activity' }, h('option', { value: 'exploration' }, '勘查（探矿权）'), h('option', { value: 'mining' }, '开采（采矿权）'));
  const mineral = h('select', { id: 'check-mineral' }, MINERALS.map((m) => h('option', { value: m }, m)));
  const scaleValue = h('input', { type: 'number', min: 0, step: 'any', id: 'check-scale', placeholder: '可不填', inputMode: 'decimal' });
  const scaleUnit = h('select', { id: 'check-scale-unit', 'aria-label': '规模单位' }, SCALE_UNITS.map((u) => h('option', { value: u }, u)));

  const drawStatus = h('p', { class: 'hint', 'aria-live': 'polite', 'data-testid': 'draw-status' }, '尚未绘制。');
  const drawButton = h('button', { type: 'button', id: 'check-draw' }, '在地图上绘制');
  const keyDrawButton = h('button', { type: 'button', id: 'check-draw-keyboard', 'aria-describedby': 'check-draw-keyboard-help' }, '用键盘绘制');
  const clearButton = h('button', { type: 'button', class: 'secondary' }, '清除');
  const paste = h('textarea', { id: 'check-coordinates', rows: 8, spellcheck: false, placeholder: '[属性描述]\n坐标系=2000国家大地坐标系\n…\n[地块坐标]\n5,12.3456,KC-01,地块1,面,,,,@\nJ1,1,4910000.000,42510000.000\n…' });
  const file = h('input', { type: 'file', id: 'check-file', accept: '.txt,.zip,.geojson,.json,text/plain,application/zip,application/geo+json,application/json' });

  const sourcePanels: Record<Source, HTMLElement> = {
    draw: h(
      'div',
      { class: 'source-panel' },
      h('div', { class: 'row' }, drawButton, keyDrawButton, clearButton),
      drawStatus,
      h('p', { class: 'hint' }, '在地图上依次点击拐点，点击第一个点或按回车键结束，Esc 取消。'),
      h('p', { class: 'hint', id: 'check-draw-keyboard-help' }, '键盘绘制：方向键移动地图，+/− 缩放，空格键在地图中心（十字）添加拐点，退格键撤销，回车键结束，Esc 取消。'),
    ),
    paste: h('div', { class: 'source-panel' }, field('界址点坐标（国土部标 TXT 格式）', paste, 'X 为北坐标，Y 为带号+东坐标，CGCS2000 3度带。')),
    file: h('div', { class: 'source-panel' }, field('界址点坐标文件（.txt，GBK 或 UTF-8）、Shapefile 压缩包（.zip，含 .prj）或 GeoJSON（.geojson）', file)),
  };
  const radios = (['draw', 'paste', 'file'] as Source[]).map((s) => {
    const id = `check-source-${s}`;
    const input = h('input', { type: 'radio', name: 'check-source', id, value: s, checked: s === source });
    input.addEventListener('change', () => {
      source = s;
      for (const [k, p] of Object.entries(sourcePanels)) p.hidden = k !== s;
    });
    return h('label', { for: id, class: 'radio' }, input, { draw: '绘制', paste: '粘贴坐标', file: '上传文件' }[s]);
  });
  for (const [k, p] of Object.entries(sourcePanels)) p.hidden = k !== source;

  // each drawing's number: a drawing cancelled because another began must not touch what the new one set up
  let drawing = 0;
  drawButton.addEventListener('click', async () => {
    cancelDraw?.();
    const mine = ++drawing;
    drawn = null;
    // the drawing tool is loaded on first use: clicks on the map before it is ready are not vertices
    // (found by a review: a test's first click could land while it loaded, and the ring never closed)
    drawStatus.textContent = '正在启动绘制工具…';
    let d: Awaited<ReturnType<typeof drawPolygon>>;
    try {
      d = await drawPolygon(map);
    } catch (err) {
      if (mine === drawing) drawStatus.textContent = `无法启动绘制工具：${describeError(err)}`;
      return;
    }
    if (mine !== drawing) return void d.cancel();
    drawStatus.textContent = '绘制中：在地图上点击拐点…';
    cancelDraw = d.cancel;
    const polygon = await d.done;
    if (mine !== drawing) return; // superseded
    cancelDraw = null;
    drawn = polygon;
    drawStatus.textContent = polygon ? `已绘制多边形（${polygon.coordinates[0].length - 1} 个拐点）。` : '已取消绘制。';
  });
  keyDrawButton.addEventListener('click', async () => {
    cancelDraw?.();
    const mine = ++drawing;
    drawn = null;
    drawStatus.textContent = '键盘绘制中：方向键移动地图，空格键在中心添加拐点，回车键结束，Esc 取消。';
    const d = drawPolygonByKeyboard(map, (text) => (drawStatus.textContent = text));
    cancelDraw = d.cancel;
    const polygon = await d.done;
    if (mine !== drawing) return; // superseded: the new drawing owns the status and the focus
    cancelDraw = null;
    drawn = polygon;
    drawStatus.textContent = polygon ? `已绘制多边形（${polygon.coordinates[0].length - 1} 个拐点）。` : '已取消绘制。';
    // back where the user started: Tab goes on to the submit button
    keyDrawButton.focus();
  });
  clearButton.addEventListener('click', () => {
    drawing++;
    cancelDraw?.();
    cancelDraw = null;
    clearDrawing();
    drawn = null;
    drawStatus.textContent = '尚未绘制。';
    setOverlay(map, 'check', null);
  });

  const submit = h('button', { type: 'submit', class: 'primary', id: 'check-submit' }, '开始检查');
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const result = h('div', { class: 'result' });

  const form = h(
    'form',
    { class: 'check-form', novalidate: true },
    field('区块名称', name),
    h('div', { class: 'row2' }, field('拟设矿业权类型', activity), field('矿种', mineral)),
    h('div', { class: 'field' }, h('label', { for: 'check-scale' }, '拟设生产规模（开采）'), h('div', { class: 'row' }, scaleValue, scaleUnit)),
    h('fieldset', { class: 'source' }, h('legend', {}, '区块范围'), h('div', { class: 'radios' }, radios), ...Object.values(sourcePanels)),
    h('div', { class: 'row' }, submit),
    status,
  );

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const common: Record<string, unknown> = { activity: activity.value, mineral: mineral.value };
    if (name.value.trim()) common.name = name.value.trim();
    if (scaleValue.value) common.scale = { value: Number(scaleValue.value), unit: scaleUnit.value };
    let init: RequestInit & { json?: unknown };
    if (source === 'draw') {
      if (!drawn) return void (status.textContent = '请先在地图上绘制区块。');
      init = { method: 'POST', json: { ...common, geometry: drawn } };
    } else if (source === 'paste') {
      if (!paste.value.trim()) return void (status.textContent = '请粘贴界址点坐标。');
      init = { method: 'POST', json: { ...common, coordinates: paste.value } };
    } else {
      const f = file.files?.[0];
      if (!f) return void (status.textContent = '请选择坐标文件或 Shapefile 压缩包。');
      const body = new FormData();
      for (const [k, v] of Object.entries(common)) body.append(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
      body.append('file', f, f.name);
      init = { method: 'POST', body };
    }
    submit.disabled = true;
    status.textContent = '正在检查…';
    result.replaceChildren();
    setOverlay(map, 'check', null); // the previous block's overlaps must not stand beside a new error
    try {
      const report = await request<CheckReport>('/api/checks', { ...init, capability: 'check' });
      status.textContent = `检查完成（报告编号 ${report.id}）。`;
      result.replaceChildren(renderFindings(report));
      await showOverlaps(map, report);
    } catch (err) {
      status.textContent = describeError(err);
      if (err instanceof ApiError && err.denied) status.textContent += `（需要${CAPABILITY_ROLE.check}角色）`;
      const problems = err instanceof ApiError ? ((err.details as { problems?: { line?: number; message: string }[] })?.problems ?? []) : [];
      if (problems.length) result.replaceChildren(h('ul', { class: 'warnings' }, problems.map((p) => h('li', {}, `${p.line ? `第${p.line}行：` : ''}${p.message}`))));
    } finally {
      submit.disabled = false;
    }
  });

  panel.replaceChildren(
    h('h2', { class: 'panel-title' }, '拟设区块合规性检查'),
    h('p', { class: 'hint' }, '对照规划分区、规划区块、已设矿业权和三条控制线检查拟设区块。'),
    form,
    result,
  );
}

/** The check's overlap pieces on the map, coloured by verdict; zoom to the block. */
async function showOverlaps(map: MlMap, report: CheckReport): Promise<void> {
  try {
    const fc = await getJson<GeoJSON.FeatureCollection>(report.links?.overlaps ?? `/api/checks/${report.id}/overlaps.geojson`);
    const shown = { ...fc, features: fc.features.filter((f) => f.properties?.role !== 'feature') };
    setOverlay(map, 'check', shown, 'verdict');
  } catch {
    setOverlay(map, 'check', null);
  }
  const bbox = report.block?.bbox ?? null;
  zoomTo(map, bbox ?? geojsonBounds(null), 15);
}
