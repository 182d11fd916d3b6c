/**
 * GeoJSON (FeatureCollection, Feature or a bare geometry) → SourceFeatures. RFC 7946 says
 * lon/lat; a legacy `crs` member or the `crs` parameter may say otherwise, and metres without
 * either are detected by magnitude with a warning. The file is parsed whole, so its size is
 * bounded by `geojsonBytes` (413).
 */
import fs from 'node:fs/promises';
import type { Geometry } from 'geojson';
import { PayloadTooLargeError } from '../errors.js';
import { emptyBounds, inspectGeometry } from './geometry-shape.js';
import type { IngestLimits } from './ingest-limits.js';
import type { OpenedSource, SourceCrs, SourceFeature, UploadOptions } from './ingest-types.js';
import { fileProblem, type ProblemList } from './problem-list.js';
import { type Bounds, checkBoundsFit, detectCrsFromBounds, parseCrsCode, sourceCrsFromEpsg } from './source-crs.js';
import { decodeText } from './text-encoding.js';

interface RawFeature {
  id?: string | number | null;
  properties?: Record<string, unknown> | null;
  geometry?: Geometry | null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const pos = Number(/position (\d+)/.exec((e as Error).message)?.[1]);
    const line = Number.isFinite(pos) ? text.slice(0, pos).split('\n').length : undefined;
    const message = `GeoJSON 语法错误${line ? `（第 ${line} 行）` : ''} (invalid JSON: ${(e as Error).message.slice(0, 120)})`;
    throw fileProblem(message, 'file', { problems: [{ line, field: 'file', severity: 'error', message }] });
  }
}

function featuresOf(doc: unknown): RawFeature[] {
  const d = doc as { type?: string; features?: unknown };
  if (!d || typeof d !== 'object' || typeof d.type !== 'string') throw fileProblem('不是 GeoJSON：缺少 type (not GeoJSON: no "type")', 'type');
  if (d.type === 'FeatureCollection') {
    if (!Array.isArray(d.features)) throw fileProblem('FeatureCollection 缺少 features 数组 (no "features" array)', 'features');
    return d.features as RawFeature[];
  }
  if (d.type === 'Feature') return [d as RawFeature];
  if (d.type === 'GeometryCollection') throw fileProblem('不支持 GeometryCollection (GeometryCollection is not supported)', 'type');
  // a bare geometry is one feature without attributes (it was wrapped without `type` and refused)
  return [{ type: 'Feature', id: null, properties: {}, geometry: d as Geometry } as RawFeature];
}

function crsMember(doc: unknown): number | null | undefined {
  const c = (doc as { crs?: { type?: string; properties?: { name?: string } } }).crs;
  if (!c) return undefined;
  const name = c.properties?.name;
  return typeof name === 'string' ? parseCrsCode(name) : null;
}

/** arrays and objects inside one property value: attributes are flat values; JSON.stringify of a deep one overflows the stack */
const MAX_PROPERTY_NESTING = 16;

/** whether `v` holds arrays or objects more than `max` levels deep (iterative: no recursion on client data) */
function nestedDeeperThan(v: unknown, max: number): boolean {
  let level: unknown[] = [v];
  for (let depth = 0; level.length; depth++) {
    const next: unknown[] = [];
    for (const x of level) if (x !== null && typeof x === 'object') for (const y of Array.isArray(x) ? x : Object.values(x)) if (y !== null && typeof y === 'object') next.push(y);
    if (next.length && depth + 1 > max) return true;
    level = next;
  }
  return false;
}

export async function openGeojson(filePath: string, size: number, opts: UploadOptions, limits: IngestLimits, problems: ProblemList): Promise<OpenedSource> {
  if (size > limits.geojsonBytes) {
    throw new PayloadTooLargeError(`GeoJSON 超过 ${limits.geojsonBytes} 字节，请改用 zip 压缩的 shapefile (GeoJSON larger than geojsonBytes = ${limits.geojsonBytes})`, {
      limit: 'geojsonBytes',
      max: limits.geojsonBytes,
      actual: size,
    });
  }
  const { text, encoding } = decodeText(await fs.readFile(filePath), opts.encoding);
  const doc = parseJson(text);
  const raw = featuresOf(doc);
  if (raw.length > limits.maxFeatures) {
    throw new PayloadTooLargeError(`要素数 ${raw.length} 超过上限 maxFeatures = ${limits.maxFeatures} (too many features)`, { limit: 'maxFeatures', max: limits.maxFeatures, actual: raw.length });
  }
  const bounds = emptyBounds();
  for (const f of raw) if (f && typeof f === 'object') inspectGeometry(f.geometry, bounds);
  const crs = resolveCrs(crsMember(doc), bounds, opts, problems);
  checkBoundsFit(crs, bounds);
  async function* features(): AsyncGenerator<SourceFeature> {
    for (let index = 0; index < raw.length; index++) {
      const f = raw[index];
      if (!f || typeof f !== 'object' || (f as { type?: string }).type !== 'Feature') {
        problems.error({ feature: index, field: 'type', message: '不是 Feature 对象 (not a Feature)' });
        continue;
      }
      const props = f.properties && typeof f.properties === 'object' && !Array.isArray(f.properties) ? f.properties : {};
      for (const [key, value] of Object.entries(props)) {
        if (nestedDeeperThan(value, MAX_PROPERTY_NESTING)) {
          problems.error({ feature: index, field: key, message: `属性值嵌套超过 ${MAX_PROPERTY_NESTING} 层 (a property value nested more than ${MAX_PROPERTY_NESTING} levels deep)` });
          (props as Record<string, unknown>)[key] = null; // the upload fails; nothing downstream recurses through it
        }
      }
      yield { index, id: typeof f.id === 'string' || typeof f.id === 'number' ? String(f.id) : null, properties: props, geometry: f.geometry ?? null };
      raw[index] = undefined as unknown as RawFeature; // let staged features be collected
    }
  }
  return { format: 'geojson', crs, encoding, expectedCount: raw.length, features };
}

function resolveCrs(member: number | null | undefined, bounds: Bounds, opts: UploadOptions, problems: ProblemList): SourceCrs {
  if (opts.crs !== undefined) {
    if (member && member !== opts.crs) problems.warn({ field: 'crs', message: `文件 crs 为 EPSG:${member}，按参数 crs=EPSG:${opts.crs} 处理 (the crs parameter overrides the file's crs member)` });
    return sourceCrsFromEpsg(opts.crs, 'parameter', opts.towgs84);
  }
  if (member === null) throw fileProblem('无法识别 GeoJSON 的 crs 成员，请用参数 crs 指定 EPSG 代码 (unrecognised "crs" member)', 'crs');
  if (member !== undefined) return sourceCrsFromEpsg(member, 'geojson', opts.towgs84);
  const [x0, y0, x1, y1] = bounds;
  if (!Number.isFinite(x0) || (x0 >= -180 && x1 <= 180 && y0 >= -90 && y1 <= 90)) return sourceCrsFromEpsg(4490, 'default');
  const guess = detectCrsFromBounds(bounds);
  if (!guess) throw fileProblem('坐标不是经纬度，且无法判断坐标系：请用参数 crs 指定 EPSG 代码 (coordinates are not lon/lat; give crs)', 'crs', { bounds });
  problems.warn({ field: 'crs', message: guess.warning });
  return guess.crs;
}
