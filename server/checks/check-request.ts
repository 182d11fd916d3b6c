/**
 * The fields of POST /api/checks (JSON or multipart), validated before any geometry work.
 * A wrong field is a 400 naming it (details.parameter); geometry problems are input-geometry's.
 */
import { BadRequestError, valueName } from '../errors.js';
import { gaussKrugerFromEpsg } from '../ingest/gauss-kruger.js';
import { parseCrsCode } from '../ingest/source-crs.js';
import { ACTIVITIES, MINERALS, type Activity } from './rules.js';

export interface CheckRequestBody {
  geometry?: unknown;
  coordinates?: unknown;
  activity?: unknown;
  mineral?: unknown;
  scale?: unknown;
  name?: unknown;
  crs?: unknown;
}

/**
 * Where the block comes from: GeoJSON (in `srid`), a boundary-coordinate TXT (text or file
 * bytes), or a zipped shapefile (read by shapefile-block.ts into the GeoJSON form, with the CRS
 * its .prj names, or `crs` when the request gives one).
 */
export type BlockSource =
  | {
      kind: 'geojson';
      geometry: unknown;
      srid: number;
      /** set when the polygons were read from a shapefile */
      format?: 'shapefile';
      projString?: string;
      crsLabel?: string;
      warnings?: import('../errors.js').InputProblem[];
      encoding?: string | null;
    }
  | { kind: 'txt'; content: string | Uint8Array; fileName?: string }
  | { kind: 'shapefile'; bytes: Uint8Array; fileName?: string; crs?: number };

/** A zip archive starts with a local file header "PK\x03\x04" (or is an empty archive "PK\x05\x06"). */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

export interface CheckInput {
  source: BlockSource;
  activity: Activity;
  mineral: string;
  /** production per year in `unit` (e.g. 万吨/年) */
  scale: { value: number; unit: string } | null;
  name: string | null;
}

/** Input CRSs a block may be drawn in: CGCS2000 geographic, WGS84, Web Mercator, CGCS2000 3° GK zones. */
export function parseCrs(raw: unknown): number {
  if (raw === undefined || raw === null || raw === '') return 4490;
  const text = String(raw).trim();
  const m = /^(?:(?:urn:ogc:def:crs:)?EPSG:{1,2}(?:[\d.]*:)?|https?:\/\/www\.opengis\.net\/def\/crs\/EPSG\/0\/)?(\d{4,5})$/i.exec(text);
  const srid = m ? Number(m[1]) : NaN;
  const gk = gaussKrugerFromEpsg(srid);
  if ([4490, 4326, 3857].includes(srid) || (gk && gk.datum === 'CGCS2000')) return srid;
  throw new BadRequestError(
    `crs 不支持“${text}”：可用 EPSG:4490、4326、3857 或 CGCS2000 3度带 4513–4554 (unsupported crs; use EPSG:4490, 4326, 3857 or CGCS2000 3-degree GK 4513–4554)`,
    { parameter: 'crs' },
  );
}

function parseScale(raw: unknown): CheckInput['scale'] {
  if (raw === undefined || raw === null || raw === '') return null;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw); // multipart sends fields as text
    } catch {
      throw new BadRequestError('scale 应为 {"value": 数值, "unit": "万吨/年"} (scale must be {value, unit})', { parameter: 'scale' });
    }
  }
  const s = value as { value?: unknown; unit?: unknown };
  if (typeof s !== 'object' || s === null) throw new BadRequestError('scale 应为对象 {value, unit} (scale must be an object)', { parameter: 'scale' });
  if (typeof s.value !== 'number' || !Number.isFinite(s.value) || s.value <= 0) {
    throw new BadRequestError('scale.value 应为正数（年产量） (scale.value must be a positive number)', { parameter: 'scale.value' });
  }
  if (typeof s.unit !== 'string' || s.unit.trim() === '' || s.unit.length > 20) {
    throw new BadRequestError('scale.unit 应为单位文字，如“万吨/年” (scale.unit must be a unit such as 万吨/年)', { parameter: 'scale.unit' });
  }
  return { value: s.value, unit: s.unit.trim() };
}

/**
 * A GeoJSON file (named .geojson/.json, or text that starts with "{"): its Polygon and MultiPolygon
 * features become the block — one MultiPolygon when several, with a warning, as a shapefile's do.
 * CRS: the request's `crs`, else the file's legacy "crs" member (GDAL writes one for a projected
 * file), else CRS84 as RFC 7946 says. Null when the file is not GeoJSON (a TXT). (Found by a
 * walkthrough: a GeoJSON file was read as a TXT — "no [地块坐标] section".)
 */
function geojsonFile(file: { bytes: Uint8Array; fileName?: string }, crs: number | null): BlockSource | null {
  let text = Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (!/\.(geo)?json$/i.test(file.fileName ?? '') && !text.trimStart().startsWith('{')) return null;
  let doc: { type?: unknown; features?: unknown; geometry?: unknown; crs?: { properties?: { name?: unknown } } };
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new BadRequestError(`GeoJSON 文件无法解析：${(e as Error).message} (the GeoJSON file is not valid JSON)`, { parameter: 'file' });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new BadRequestError('GeoJSON 文件应为对象 (the GeoJSON file must be an object)', { parameter: 'file' });
  const srid = crs ?? fileCrs(doc.crs?.properties?.name);
  if (doc.type !== 'FeatureCollection') return { kind: 'geojson', geometry: doc, srid };
  const features = Array.isArray(doc.features) ? (doc.features as { geometry?: { type?: unknown; coordinates?: unknown } | null }[]) : [];
  const areal = features.filter((f) => f?.geometry?.type === 'Polygon' || f?.geometry?.type === 'MultiPolygon');
  const polygons = areal.flatMap((f) => (f.geometry!.type === 'Polygon' ? [f.geometry!.coordinates] : Array.isArray(f.geometry!.coordinates) ? (f.geometry!.coordinates as unknown[]) : []));
  if (polygons.length === 0) throw new BadRequestError('GeoJSON 文件中没有面要素 (no Polygon or MultiPolygon feature in the file)', { parameter: 'file' });
  const warnings: { severity: 'warning'; field: string; message: string }[] = [];
  if (areal.length > 1) warnings.push({ severity: 'warning', field: 'file', message: `文件中的 ${areal.length} 个面要素合为一个区块 (the file's ${areal.length} polygon features were combined into one block)` });
  const ignored = features.length - areal.length;
  if (ignored > 0) warnings.push({ severity: 'warning', field: 'file', message: `文件中 ${ignored} 个非面要素（点、线或空几何）未参与检查 (${ignored} features that are not polygons were ignored)` });
  return {
    kind: 'geojson',
    geometry: polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0] } : { type: 'MultiPolygon', coordinates: polygons },
    srid,
    ...(warnings.length ? { warnings } : {}),
  };
}

/**
 * The legacy "crs" member of a GeoJSON file, read as an upload reads it (source-crs.ts: CRS84 —
 * GDAL writes it into every lon/lat file — is lon/lat); a code the check does not take is a
 * problem with the file, not with a `crs` parameter the user never sent (found by a review).
 */
function fileCrs(name: unknown): number {
  if (name === undefined || name === null) return 4490;
  const code = typeof name === 'string' ? parseCrsCode(name) : null;
  try {
    if (code === null) throw new Error('not a CRS');
    return parseCrs(code);
  } catch {
    throw new BadRequestError(`GeoJSON 文件的 crs 成员“${valueName(name)}”不受支持：可用 EPSG:4490、4326、3857 或 CGCS2000 3度带 4513–4554，或在请求中给出 crs (the file's crs member is not supported)`, { parameter: 'file' });
  }
}

/**
 * Validate the non-geometry fields and pick the block source. `file` is the multipart upload,
 * when there is one. Exactly one of geometry / coordinates / file must be given.
 */
export function parseCheckRequest(body: CheckRequestBody, file?: { bytes: Uint8Array; fileName?: string }): CheckInput {
  if (typeof body.activity !== 'string' || !(ACTIVITIES as readonly string[]).includes(body.activity)) {
    throw new BadRequestError(`activity 应为 exploration（勘查）或 mining（开采），而不是“${valueName(body.activity ?? '')}” (activity must be exploration or mining)`, { parameter: 'activity' });
  }
  if (typeof body.mineral !== 'string' || !(MINERALS as readonly string[]).includes(body.mineral)) {
    throw new BadRequestError(`mineral 应为 ${MINERALS.join('、')} 之一，而不是“${valueName(body.mineral ?? '')}” (unknown mineral)`, { parameter: 'mineral' });
  }
  if (body.name !== undefined && body.name !== null && (typeof body.name !== 'string' || body.name.length > 200)) {
    throw new BadRequestError('name 应为不超过200字的文字 (name must be a string of at most 200 characters)', { parameter: 'name' });
  }
  const given = [body.geometry !== undefined && body.geometry !== null, typeof body.coordinates === 'string' && body.coordinates !== '', Boolean(file)];
  if (given.filter(Boolean).length !== 1) {
    throw new BadRequestError('须且仅须提供 geometry、coordinates 或 file 之一 (give exactly one of geometry, coordinates or file)', { parameter: 'geometry' });
  }
  if (body.coordinates !== undefined && typeof body.coordinates !== 'string') {
    throw new BadRequestError('coordinates 应为坐标文件文本 (coordinates must be the TXT as text)', { parameter: 'coordinates' });
  }
  const srid = parseCrs(body.crs);
  if (file && /\.(shp|shx|dbf|prj|cpg)$/i.test(file.fileName ?? '')) {
    throw new BadRequestError('请将 Shapefile 的 .shp、.shx、.dbf、.prj（及 .cpg）一起压缩为 zip 后上传 (upload the shapefile as one zip of .shp, .shx, .dbf, .prj)', { parameter: 'file' });
  }
  const zipped = file ? isZip(file.bytes) || /\.zip$/i.test(file.fileName ?? '') : false;
  const crsGiven = body.crs !== undefined && body.crs !== null && body.crs !== '';
  const source: BlockSource = file
    ? zipped
      ? { kind: 'shapefile', bytes: file.bytes, fileName: file.fileName, ...(crsGiven ? { crs: srid } : {}) }
      : geojsonFile(file, crsGiven ? srid : null) ?? { kind: 'txt', content: file.bytes, fileName: file.fileName }
    : given[1]
      ? { kind: 'txt', content: body.coordinates as string }
      : { kind: 'geojson', geometry: body.geometry, srid };
  return {
    source,
    activity: body.activity as Activity,
    mineral: body.mineral,
    scale: parseScale(body.scale),
    name: typeof body.name === 'string' && body.name.trim() ? body.name.trim() : null,
  };
}
