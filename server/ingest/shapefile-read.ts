/**
 * A zipped ESRI shapefile → a stream of SourceFeatures in the file's CRS. The zip is
 * extracted defensively (zip-extract.ts), headers are checked before any record is parsed
 * (dbf-header.ts), then records are streamed from disk (.shp by `shapefile`, .dbf by dbf-records.ts; never
 * the whole file in memory). A .shp that ends early or disagrees with the .dbf refuses the file.
 */
import fs from 'node:fs/promises';
import * as shapefile from 'shapefile';
import type { Geometry } from 'geojson';
import { readShapefileFacts } from './dbf-header.js';
import { openDbf } from './dbf-records.js';
import type { IngestLimits } from './ingest-limits.js';
import type { OpenedSource, SourceCrs, SourceFeature, UploadOptions } from './ingest-types.js';
import { crsFromPrj } from './prj-crs.js';
import { fileProblem, type ProblemList } from './problem-list.js';
import { checkBoundsFit, detectCrsFromBounds, sourceCrsFromEpsg } from './source-crs.js';
import { extractShapefileSet } from './zip-extract.js';

async function resolveCrs(prjPath: string | undefined, bbox: [number, number, number, number], opts: UploadOptions, problems: ProblemList): Promise<SourceCrs> {
  const prjText = prjPath ? (await fs.readFile(prjPath, 'latin1')).trim() : '';
  const prj = prjText ? crsFromPrj(prjText) : null;
  if (opts.crs !== undefined) {
    const crs = sourceCrsFromEpsg(opts.crs, 'parameter', opts.towgs84);
    if (prj?.epsg && prj.epsg !== opts.crs) problems.warn({ field: 'crs', message: `.prj 为 EPSG:${prj.epsg}（${prj.name}），按参数 crs=EPSG:${opts.crs} 处理 (the crs parameter overrides the .prj)` });
    return crs;
  }
  if (prjText) {
    if (!prj) throw fileProblem(`无法识别 .prj 中的坐标系，请用参数 crs 指定 EPSG 代码 (unrecognised .prj; give crs)`, 'prj', { prj: prjText.slice(0, 300) });
    if (prj.sixDegree) throw fileProblem(`不支持6度分带坐标系“${prj.name}”：德惠市跨6度带边界，请使用3度带 (6-degree zones are not supported)`, 'prj');
    if (prj.epsg === null) throw fileProblem(`无法识别 .prj 中的坐标系“${prj.name}”，请用参数 crs 指定 EPSG 代码 (unrecognised .prj "${prj.name}"; give crs)`, 'prj', { prj: prjText.slice(0, 300) });
    return sourceCrsFromEpsg(prj.epsg, 'prj', opts.towgs84, 'prj');
  }
  const guess = detectCrsFromBounds(bbox);
  if (!guess) throw fileProblem('zip 中没有 .prj，且无法从坐标数值判断坐标系：请用参数 crs 指定 EPSG 代码 (no .prj; give crs, e.g. 4530)', 'crs', { bounds: bbox });
  problems.warn({ field: 'crs', message: guess.warning });
  return guess.crs;
}

export async function openShapefileZip(zipPath: string, dir: string, opts: UploadOptions, limits: IngestLimits, problems: ProblemList): Promise<OpenedSource> {
  const set = await extractShapefileSet(zipPath, dir, limits, opts.layer);
  const facts = await readShapefileFacts(set, limits, opts.encoding);
  for (const w of facts.warnings) problems.warn({ field: 'file', message: w });
  const crs = await resolveCrs(set.prj, facts.bbox, opts, problems);
  checkBoundsFit(crs, facts.bbox);
  return {
    format: 'shapefile',
    crs,
    encoding: facts.encoding,
    layerName: set.name,
    expectedCount: facts.dbfRecords,
    features: () => readRecords(set.shp, set.dbf, facts.encoding, facts.dbfRecords, problems),
  };
}

function mismatch(shp: number, dbf: number) {
  return fileProblem(`.shp 有 ${shp} 条以上记录，.dbf 有 ${dbf} 条，记录数不一致 (record count mismatch between .shp and .dbf)`, 'dbf', { shp, dbf });
}

async function* readRecords(shp: string, dbf: string, encoding: string, dbfRecords: number, problems: ProblemList): AsyncGenerator<SourceFeature> {
  // Geometry from the `shapefile` package's .shp reader; attributes from our own .dbf reader
  // (native TextDecoder: the package's polyfill decoder was the slowest step of an upload).
  // 1 MiB reads (the package reads 64 KiB by default: more stream reads and records split across them)
  const source = await shapefile.openShp(shp, { highWaterMark: 1 << 20 });
  const table = await openDbf(dbf, encoding);
  let index = 0;
  try {
    for (;;) {
      let r: Awaited<ReturnType<typeof source.read>>;
      try {
        r = await source.read();
      } catch (e) {
        throw fileProblem(`.shp 第 ${index} 条记录无法读取：文件损坏或被截断 (damaged or truncated .shp at record ${index}: ${(e as Error).message})`, 'shp', { feature: index });
      }
      if (r.done) break;
      const row = index < dbfRecords ? await table.next() : null;
      if (row === null) throw mismatch(index + 1, dbfRecords);
      // a record deleted in the desktop GIS (not yet packed) is not a feature; its index stays its place in the file
      if (row.deleted) problems.warn({ feature: index, field: 'file', message: `第 ${index + 1} 条记录在 .dbf 中标记为已删除，已跳过 (record marked deleted in the .dbf; skipped)` });
      else yield { index, id: null, properties: row.properties, geometry: r.value as Geometry | null };
      index++;
    }
  } finally {
    await source.cancel().catch(() => {});
    await table.close().catch(() => {});
  }
  if (index !== dbfRecords) throw fileProblem(`.shp 只有 ${index} 条记录，.dbf 有 ${dbfRecords} 条 (record count mismatch: .shp ${index}, .dbf ${dbfRecords})`, 'shp', { shp: index, dbf: dbfRecords });
}
