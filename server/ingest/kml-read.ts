/**
 * KML (OGC 07-147r2; also the .kml inside a KMZ) → SourceFeatures. Parsed whole with
 * @xmldom/xmldom and converted by @tmcw/togeojson, so the document is bounded by `kmlBytes`
 * (413). KML is WGS 84 lon/lat by definition (EPSG:4326); the `crs` parameter may override it.
 * Coordinates are taken as they are: GCJ-02 ("Mars") offsets written by some Chinese tools are
 * NOT corrected (README).
 *
 * Each Placemark is a feature, in document order. Properties: name, description and
 * ExtendedData (Data and SchemaData); togeojson's styling properties are dropped. A MultiGeometry
 * of one kind becomes the matching Multi* geometry; Z is dropped.
 * A DOCTYPE that declares entities is refused before parsing (entity-expansion bombs). Parsing
 * runs in a worker thread with a bounded heap (kml-worker.mjs): the event loop keeps serving.
 */
import fs from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { kml } from '@tmcw/togeojson';
import type { Geometry, Position } from 'geojson';
import { PayloadTooLargeError } from '../errors.js';
import { emptyBounds, inspectGeometry } from './geometry-shape.js';
import type { IngestLimits } from './ingest-limits.js';
import type { OpenedSource, SourceCrs, SourceFeature, UploadOptions } from './ingest-types.js';
import { fileProblem, type ProblemList } from './problem-list.js';
import { checkBoundsFit, sourceCrsFromEpsg } from './source-crs.js';
import { decodeText } from './text-encoding.js';

/** togeojson's presentation properties: not attributes of the feature */
const STYLE_PROPERTY = /^(styleUrl|styleHash|styleMapHash|stroke(-.*)?|fill(-.*)?|icon(-.*)?|label-.*|visibility|coordinateProperties)$/;

function malformed(message: string, line?: number) {
  const text = `KML 不是格式正确的 XML${line ? `（第 ${line} 行）` : ''}：${message} (malformed XML${line ? ` at line ${line}` : ''}: ${message})`;
  return fileProblem(text, 'file', { problems: [{ line, field: 'file', severity: 'error', message: text }] });
}

/** the KML as togeojson features, parsed in a worker thread (kml-worker.mjs) */
async function parseKml(text: string, heapMb: number): Promise<ReturnType<typeof kml>['features']> {
  // xmldom does not expand internal entities today, but a document declaring them is refused
  // before parsing so that no version of any parser ever sees a "billion laughs".
  if (/<!DOCTYPE/i.test(text) && /<!ENTITY/i.test(text)) {
    throw fileProblem('KML 中含有 DOCTYPE 实体声明（<!ENTITY>），为安全起见拒绝处理 (DOCTYPE with ENTITY declarations refused)', 'file');
  }
  type Result = { features: ReturnType<typeof kml>['features'] } | { error: { kind: 'malformed' | 'root' | 'deep'; message: string; line?: number } };
  const result = await new Promise<Result>((resolve, reject) => {
    const worker = new Worker(new URL('./kml-worker.mjs', import.meta.url), { workerData: { text }, resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`KML worker exited with code ${code}`)));
  }).catch((e: Error & { code?: string }) => {
    if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      throw new PayloadTooLargeError(`KML 过于复杂，解析所需内存超过 ${heapMb} MB (KML too complex: parsing needs more than ${heapMb} MB)`, { limit: 'kmlHeapMb', max: heapMb });
    }
    throw e;
  });
  if ('features' in result) return result.features;
  const { kind, message, line } = result.error;
  if (kind === 'malformed') throw malformed(message, line);
  if (kind === 'root') throw fileProblem(`XML 的根元素是“${message}”，不是 kml (the root element is not kml)`, 'file');
  throw fileProblem('KML 几何嵌套过深，无法读取 (KML geometry nested too deeply)', 'file');
}

const xy = (p: Position): Position => [p[0], p[1]];

/** drop Z; a MultiGeometry of one kind → Multi*; a mixed one stays a GeometryCollection (refused per feature) */
function flatGeometry(g: Geometry, depth = 0): Geometry {
  if (depth > 32) return g; // left as it is: a nested collection is refused per feature
  switch (g.type) {
    case 'Point':
      return { type: 'Point', coordinates: xy(g.coordinates) };
    case 'LineString':
    case 'MultiPoint':
      return { type: g.type, coordinates: g.coordinates.map(xy) } as Geometry;
    case 'Polygon':
    case 'MultiLineString':
      return { type: g.type, coordinates: g.coordinates.map((r) => r.map(xy)) } as Geometry;
    case 'MultiPolygon':
      return { type: 'MultiPolygon', coordinates: g.coordinates.map((p) => p.map((r) => r.map(xy))) };
    case 'GeometryCollection': {
      const parts = g.geometries.map((part) => flatGeometry(part, depth + 1));
      const kinds = new Set(parts.map((p) => p.type));
      if (kinds.size === 1) {
        const kind = parts[0].type;
        if (kind === 'Point') return { type: 'MultiPoint', coordinates: parts.map((p) => (p as { coordinates: Position }).coordinates) };
        if (kind === 'LineString') return { type: 'MultiLineString', coordinates: parts.map((p) => (p as { coordinates: Position[] }).coordinates) };
        if (kind === 'Polygon') return { type: 'MultiPolygon', coordinates: parts.map((p) => (p as { coordinates: Position[][] }).coordinates) };
      }
      return { type: 'GeometryCollection', geometries: parts };
    }
  }
}

function properties(raw: Record<string, unknown> | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (STYLE_PROPERTY.test(k)) continue;
    // a CDATA description comes as { "@type": "html", value }
    out[k] = k === 'description' && v && typeof v === 'object' && 'value' in v ? (v as { value: unknown }).value : v;
  }
  return out;
}

export async function openKml(filePath: string, size: number, opts: UploadOptions, limits: IngestLimits, problems: ProblemList, inKmz = false): Promise<OpenedSource> {
  const max = limits.kmlBytes;
  if (size > max) {
    throw new PayloadTooLargeError(`KML 超过 ${max} 字节，请改用 GeoPackage 或 zip 压缩的 shapefile (KML larger than kmlBytes = ${max})`, { limit: 'kmlBytes', max, actual: size, ...(inKmz ? { entry: 'kml' } : {}) });
  }
  const { text, encoding } = decodeText(await fs.readFile(filePath), opts.encoding);
  const raw = await parseKml(text, limits.kmlHeapMb);
  if (raw.length > limits.maxFeatures) {
    throw new PayloadTooLargeError(`要素数 ${raw.length} 超过上限 maxFeatures = ${limits.maxFeatures} (too many features)`, { limit: 'maxFeatures', max: limits.maxFeatures, actual: raw.length });
  }
  const bounds = emptyBounds();
  for (const f of raw) if (f.geometry) inspectGeometry(f.geometry, bounds);
  let crs: SourceCrs;
  if (opts.crs !== undefined) {
    crs = sourceCrsFromEpsg(opts.crs, 'parameter', opts.towgs84);
    if (opts.crs !== 4326) problems.warn({ field: 'crs', message: `KML 按规范为 WGS 84 经纬度，按参数 crs=EPSG:${opts.crs} 处理 (the crs parameter overrides KML's WGS 84)` });
  } else crs = sourceCrsFromEpsg(4326, 'default');
  checkBoundsFit(crs, bounds);
  async function* features(): AsyncGenerator<SourceFeature> {
    for (let index = 0; index < raw.length; index++) {
      const f = raw[index];
      const id = typeof f.id === 'string' || typeof f.id === 'number' ? String(f.id) : null;
      yield { index, id, properties: properties(f.properties as Record<string, unknown> | null), geometry: f.geometry ? flatGeometry(f.geometry) : null };
      raw[index] = undefined as unknown as (typeof raw)[number];
    }
  }
  return { format: 'kml', crs, encoding, expectedCount: raw.length, features };
}
