/**
 * The printable report (A4, Chinese): summary, block areas, the coordinate list as a surveyor
 * reads it (点号, X = northing, Y = zone-prefixed easting, 3 decimals, GK 3° zone of the block —
 * zone 42, EPSG:4530, for Dehui — projected by PostGIS), the map, every finding. Every piece of
 * text that came from a user or a layer is escaped.
 */
import { epsgForZone, lonLatToZone } from '../ingest/gauss-kruger.js';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import type { CheckReport } from './check-report.js';
import { getCheckReport, reportGeometry, type ReportGeometry } from './check-store.js';
import { RULES } from './rules.js';
import { BEIJING_OFFSET_MS } from '../rfc3339.js';
import { escapeXml as esc, renderSvgMap } from './svg-map.js';

const CONTEXT_LAYERS = ['admin-county', 'ecological-redline', 'urban-boundary', 'mining-blocks', 'exploration-blocks', 'mining-rights', 'exploration-rights', 'key-exploration-zones', 'key-mining-zones'];

/** EPSG code of the CGCS2000 3° GK zone (zone-prefixed) holding a longitude; Dehui → 4530. */
/** the CGCS2000 3° GK zone (zone-prefixed EPSG) for a longitude, clamped to China's zones 25–45 */
export function zoneEpsgFor(lon: number): { zone: number; epsg: number } {
  const zone = Math.min(45, Math.max(25, lonLatToZone(lon)));
  return { zone, epsg: epsgForZone(zone, true) };
}

/** the report's projection: a GK zone, or (zone 0) CGCS2000 lon/lat when the block lies where no zone can hold it */
export interface ReportCrs {
  zone: number;
  epsg: number;
}

export async function renderCheckHtml(db: Kysely<Schema>, id: string): Promise<string> {
  const report = await getCheckReport(db, id);
  const crs = zoneEpsgFor((report.block.bbox[0] + report.block.bbox[2]) / 2);
  const layers = CONTEXT_LAYERS.filter((l) => l in report.layerVersions);
  const ids = Object.keys(report.layerVersions);
  const titles = ids.length ? Object.fromEntries((await db.selectFrom('layers').select(['id', 'title']).where('id', 'in', ids).execute()).map((l) => [l.id, l.title])) : {};
  try {
    return renderReportHtml(report, await reportGeometry(db, report, layers, crs.epsg), crs, titles);
  } catch (err) {
    // A block far outside China (checked, with a warning) can lie beyond the clamped zone's
    // projection domain: PROJ refuses the transform (XX000). The report is drawn in lon/lat.
    if ((err as { code?: string }).code !== 'XX000') throw err;
    return renderReportHtml(report, await reportGeometry(db, report, layers, 4490), { zone: 0, epsg: 4490 }, titles);
  }
}

const crsCaption = (crs: ReportCrs) => (crs.zone ? `CGCS2000 3度带高斯-克吕格投影第${crs.zone}带（EPSG:${crs.epsg}）` : 'CGCS2000 经纬度（EPSG:4490；区块不在我国3度带范围内）');

const VERDICT_CLASS: Record<string, string> = { prohibited: 'v-p', review: 'v-r', notice: 'v-n', pass: 'v-ok' };

/** an instant as a Beijing clock reads it: 2026年11月29日 20:36:34（北京时间） */
export function beijingTime(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const d = new Date(t + BEIJING_OFFSET_MS);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}年${d.getUTCMonth() + 1}月${d.getUTCDate()}日 ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}（北京时间）`;
}

/**
 * `layerTitles`: the Chinese titles of the layers the report names (its layer versions, the map's
 * legend); a layer without one is named by its id. (Found by a walkthrough: the printed report
 * said admin-county v1 and a UTC ISO time.)
 */
export function renderReportHtml(r: CheckReport, g: ReportGeometry, crs: ReportCrs, layerTitles: Record<string, string> = {}): string {
  const titles: Record<string, string> = { ...layerTitles, ...Object.fromEntries(r.findings.filter((f) => f.layer && f.layerTitle).map((f) => [f.layer!, f.layerTitle!])) };
  const a = r.block.area;
  const declared = r.input.declaredArea
    ? `<tr><th>申报面积</th><td>${r.input.declaredArea.ha.toFixed(4)} 公顷（与计算值相差 ${r.input.declaredDifferenceM2!.toFixed(2)} 平方米）</td></tr>`
    : '';
  const findings = r.findings.length
    ? r.findings.map((f, i) => `
      <section class="finding ${VERDICT_CLASS[f.verdict]}">
        <h3>${i + 1}. 【${esc(f.verdictLabel)}】${esc(f.title)}</h3>
        <p>${esc(f.message)}</p>
        <p class="meta">规则 ${esc(f.ruleId)}${f.layerTitle ? ` · 图层 ${esc(f.layerTitle)}（第${f.layerVersion}版）` : ''}${f.area ? ` · ${f.measure === 'outside' ? '区外' : '重叠'}面积 ${f.area.m2.toFixed(2)} 平方米 / ${f.area.ha.toFixed(4)} 公顷 / ${f.area.mu.toFixed(2)} 亩 · 占区块 ${f.sharePercent!.toFixed(2)}%` : ''}</p>
        <p class="cite">依据：${esc(f.citation)}</p>
        ${f.features.length ? `<table><thead><tr><th>要素编号</th><th>名称</th><th>${f.measure === 'outside' ? '区块位于其内的面积（平方米）' : '重叠面积（平方米）'}</th><th>占区块（%）</th></tr></thead><tbody>${f.features
          .map((x) => `<tr><td>${esc(x.id)}</td><td>${esc(x.name)}</td><td class="n">${x.area.m2.toFixed(2)}</td><td class="n">${x.sharePercent.toFixed(2)}</td></tr>`)
          .join('')}</tbody></table>${f.featureCount > f.featuresShown ? `<p class="meta">共 ${f.featureCount} 个要素，仅列出面积最大的 ${f.featuresShown} 个。</p>` : ''}` : ''}
      </section>`).join('')
    : r.verdict !== 'pass' && r.skippedRules.some((s) => s.unverified)
      ? '<p class="v-r">已检查的规则未发现冲突，但有规则未能检查（见“未执行的规则”），结论为需论证，请人工复核。</p>'
      : '<p class="v-ok">未发现与规划及控制线的冲突。</p>';
  const warnings = r.warnings.length ? `<h2>输入提示</h2><ul>${r.warnings.map((w) => `<li>${w.line ? `第${w.line}行：` : ''}${esc(w.message)}</li>`).join('')}</ul>` : '';
  // the positive record a 合规性审查 needs: what was checked and found clear (found by a walkthrough)
  const passed = r.passedRules?.length
    ? `<h2>已检查、未发现冲突的规则（${r.passedRules.length} 条）</h2><table><thead><tr><th>规则</th><th>所用图层（版本）</th><th>依据</th></tr></thead><tbody>${r.passedRules
        .map((p) => `<tr><td>${esc(p.title)}</td><td>${p.layer ? `${esc(p.layerTitle ?? p.layer)}（第 ${p.layerVersion} 版）` : '—'}</td><td class="cite">${esc(p.citation)}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  const skipped = r.skippedRules.length ? `<h2>未执行的规则</h2><ul>${r.skippedRules.map((s) => `<li>${esc(s.ruleId)}：${esc(s.reason)}${s.unverified ? '（未检查，需人工复核）' : ''}</li>`).join('')}</ul>` : '';
  return `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>合规性检查报告 ${esc(r.name ?? r.id)}</title>
<style>
@page { size: A4; margin: 18mm 15mm; }
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; font-size: 10.5pt; color: #000; max-width: 180mm; margin: auto; }
h1 { font-size: 16pt; text-align: center; } h2 { font-size: 12.5pt; border-bottom: 1px solid #000; margin-top: 1.2em; } h3 { font-size: 11pt; margin: .4em 0; }
table { border-collapse: collapse; width: 100%; margin: .3em 0; } th, td { border: 1px solid #555; padding: 2px 5px; text-align: left; } td.n { text-align: right; font-family: monospace; }
.finding { border-left: 4px solid #999; padding-left: 8px; margin: .8em 0; page-break-inside: avoid; }
.v-p { border-color: #d7191c; } .v-r { border-color: #fd8d3c; } .v-n { border-color: #2b83ba; } .v-ok { color: #1a9641; }
.verdict { font-size: 14pt; font-weight: bold; } .meta, .cite { color: #333; font-size: 9.5pt; }
figure { margin: 0; page-break-inside: avoid; } .coords { page-break-before: auto; }
@media print { .noprint { display: none; } }
</style></head><body>
<h1>德惠市矿产资源总体规划（2021—2025年）<br>拟设${esc(r.activityLabel)}区块合规性检查报告</h1>
<table>
<tr><th>报告编号</th><td>${esc(r.id)}</td></tr>
<tr><th>区块名称</th><td>${esc(r.name ?? '（未命名）')}</td></tr>
<tr><th>活动 / 矿种</th><td>${esc(r.activityLabel)} / ${esc(r.mineral)}${r.scale ? `，拟定规模 ${r.scale.value} ${esc(r.scale.unit)}` : ''}</td></tr>
<tr><th>区块面积（椭球面）</th><td>${a.m2.toFixed(2)} 平方米 / ${a.ha.toFixed(4)} 公顷 / ${a.mu.toFixed(2)} 亩 / ${a.km2.toFixed(4)} 平方千米</td></tr>
${declared}
<tr><th>输入坐标系</th><td>${esc(r.input.crs)}（${r.input.vertexCount} 个点）</td></tr>
<tr><th>检查时间 / 检查人</th><td>${esc(beijingTime(r.createdAt))} / ${esc(r.createdBy)}</td></tr>
<tr><th>所用图层版本</th><td>${Object.entries(r.layerVersions).map(([l, v]) => `${esc(titles[l] ?? l)}（${esc(l)}）第 ${v} 版`).join('；')}</td></tr>
<tr><th>总体结论</th><td class="verdict ${VERDICT_CLASS[r.verdict]}">${esc(r.verdictLabel)}</td></tr>
</table>
<h2>区块位置示意图</h2>
<figure>${renderSvgMap(g, titles)}<figcaption>${crsCaption(crs)}</figcaption></figure>
<h2>检查结果（${r.findings.length} 项）</h2>
${findings}
${passed}
${warnings}
${skipped}
<h2 class="coords">界址点坐标（${crsCaption(crs)}）</h2>
${coordinateTable(g, crs.zone ? 3 : 7)}
<p class="meta">面积为椭球面面积（PostGIS geography）。1 亩 = 10000/15 平方米。规则共 ${RULES.length} 条，版本 ${r.rulesVersion}。</p>
</body></html>`;
}

/** 点号, 圈号, X (northing), Y (zone-prefixed easting), metres to 3 decimals (degrees to 7), closing point repeated. */
function coordinateTable(g: ReportGeometry, decimals: number): string {
  const rows: string[] = [];
  let ringNo = 0;
  let n = 0;
  for (const polygon of g.block) {
    for (const ring of polygon) {
      ringNo++;
      const start = n + 1;
      ring.forEach(([e, north], i) => {
        const closing = i === ring.length - 1;
        // J01, J02, … as surveyors number them (two digits at least)
        const name = `J${String(closing ? start : ++n).padStart(2, '0')}`;
        rows.push(`<tr><td>${name}</td><td>${ringNo}</td><td class="n">${north.toFixed(decimals)}</td><td class="n">${e.toFixed(decimals)}</td></tr>`);
      });
    }
  }
  return `<table><thead><tr><th>点号</th><th>圈号</th><th>X（北坐标）</th><th>Y（东坐标）</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
