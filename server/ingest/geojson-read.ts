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
  const member = crsMember(doc);
  const perFeature = raw.map((f) => {
    const b = emptyBounds();
    if (f && typeof f === 'object') inspectGeometry(f.geometry, b);
    return b;
  });
  const { bounds, odd } = opts.crs === undefined && member === undefined ? oddCrsRows(perFeature, problems) : { bounds: unionOf(perFeature), odd: new Set<number>() };
  const crs = resolveCrs(member, bounds, opts, problems);
  checkBoundsFit(crs, bounds);
  async function* features(): AsyncGenerator<SourceFeature> {
    for (let index = 0; index < raw.length; index++) {
      if (odd.has(index)) continue; // refused above, by row
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

function unionOf(all: Bounds[]): Bounds {
  const u = emptyBounds() as Bounds;
  for (const b of all) {
    if (!Number.isFinite(b[0])) continue;
    u[0] = Math.min(u[0], b[0]);
    u[1] = Math.min(u[1], b[1]);
    u[2] = Math.max(u[2], b[2]);
    u[3] = Math.max(u[3], b[3]);
  }
  return u;
}

const inLonLat = (b: Bounds) => b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90;

/**
 * A file without a stated CRS whose features are not all in one: some in lon/lat, some in
 * projected metres (a GK row pasted among lon/lat ones). The larger group decides the CRS (the
 * projected one only if its CRS can be told from its bounds); each feature of the other is an
 * error of its own row, and the rest of the file is read and checked as usual — the whole file
 * was refused with no row named, and its other problems unreported (found by a walkthrough).
 */
function oddCrsRows(perFeature: Bounds[], problems: ProblemList): { bounds: Bounds; odd: Set<number> } {
  const located = perFeature.map((b, i) => [b, i] as const).filter(([b]) => Number.isFinite(b[0]));
  const lonLat = located.filter(([b]) => inLonLat(b));
  const projected = located.filter(([b]) => !inLonLat(b));
  const none = { bounds: unionOf(perFeature), odd: new Set<number>() };
  if (lonLat.length === 0 || projected.length === 0) return none;
  const [kept, other] = lonLat.length >= projected.length ? [lonLat, projected] : [projected, lonLat];
  const keptBounds = unionOf(kept.map(([b]) => b));
  if (kept === projected && !detectCrsFromBounds(keptBounds)) return none;
  const what = kept === lonLat ? '经纬度' : '投影坐标（米）';
  for (const [b, i] of other) {
    problems.error({
      feature: i,
      field: 'geometry',
      message: `坐标范围 [${b.map((v) => Math.round(v * 1000) / 1000).join(', ')}] 与文件中其余 ${kept.length} 个要素的坐标系（${what}）不一致：同一文件的要素须使用同一坐标系 (this feature's coordinates are in another CRS than the rest of the file's)`,
    });
  }
  return { bounds: keptBounds, odd: new Set(other.map(([, i]) => i)) };
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
