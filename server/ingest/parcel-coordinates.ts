/**
 * The boundary-coordinate TXT (国土"部标"界址点坐标交换格式, domain.md §4): parse to projected
 * polygons, and write back. Geometry stays in the file's 3-degree Gauss-Kruger CRS (metres,
 * [easting, northing], zone prefix kept as written); reprojection to EPSG:4490, area and
 * validity are PostGIS's job. Errors are collected per line and thrown together as one 422.
 */
import type { MultiPolygon, Polygon, Position } from 'geojson';
import { type InputProblem, PayloadTooLargeError, UnprocessableError } from '../errors.js';
import { decodeText } from './text-encoding.js';
import { type GaussKrugerCrs, crsFromHeader, epsgForZone, jilinPlausibilityWarning, zoneFromEasting } from './gauss-kruger.js';

export interface ParcelTxtOptions {
  encoding?: string; // declared encoding; default: BOM, else strict UTF-8, else GBK
  maxBytes?: number; // default 10 MiB
  maxVertices?: number; // point lines per file, default 200 000
  maxParcels?: number; // default 10 000
}

/** One 界址点 line. x = northing, y = easting, metres, after any X/Y swap was undone. */
export interface ParcelPoint { name: string; ring: number; x: number; y: number; line: number }

export interface ParsedParcel {
  index: number; // 0-based
  line: number; // header line, 1-based
  pointCount: number; // declared 界址点数 (including closing points)
  declaredAreaHa: number | null; // declared 地块面积, hectares
  code: string;
  name: string;
  geometryKind: string; // 记录图形属性: only 面 is accepted
  sheet: string; // 图幅号
  use: string; // 地块用途
  landClass: string; // 地类编码
  adminCode?: string; // provincial 10-field header
  village?: string; // provincial 10-field header
  extra?: Record<string, string>; // 13-field header: 图斑类型, 地类, 改造前质量等别, 改造后质量等别, 备注
  /** In crs.epsg: [easting, northing] metres, file's vertex order (not rewound to RFC 7946). */
  geometry: Polygon | MultiPolygon;
  points: ParcelPoint[];
}

export interface ParsedParcelFile {
  encoding: string;
  header: Record<string, string>; // [属性描述] key=value, keys as written
  crs: GaussKrugerCrs;
  parcels: ParsedParcel[];
  warnings: InputProblem[];
}

const MAX_PROBLEMS = 100; // a 422 listing more rows helps nobody
const MAX_WARNINGS = 200;
const MAX_NESTING_WORK = 20_000_000; // box tests + vertex visits per parcel to tell holes from parts: caps a hostile file at well under 1 s
const STANDARD = ['界址点数', '地块面积', '地块编号', '地块名称', '记录图形属性', '图幅号', '地块用途', '地类编码'];
const PROVINCIAL = ['界址点数', '地块面积', '行政区代码', '村名', '地块编号', '地块名称', '记录图形属性', '图幅号', '地块用途', '地类编码'];
const LAND_CONSOLIDATION = [...STANDARD, '图斑类型', '地类', '改造前质量等别', '改造后质量等别', '备注'];

/** `broken`: a point line failed to parse, so ring checks would only repeat that error. */
interface RawParcel { line: number; fields: Record<string, string>; extra?: Record<string, string>; points: ParcelPoint[]; broken: boolean }

/** A finite decimal, tolerating full-width digits; null otherwise (never NaN/Infinity). */
function parseDecimal(s: string): number | null {
  if (!DECIMAL.test(s)) {
    const t = s.replace(FULL_WIDTH_NUMERIC, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
    return t !== s ? parseDecimal(t) : null;
  }
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const FULL_WIDTH_NUMERIC = /[\uff10-\uff19\uff0e\uff0b\uff0d]/g;

/** Strip trailing commas and blanks by hand: a `[,\s]+$` regex is quadratic on hostile input. */
function trimTrailingCommas(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === ',' || s[end - 1] === ' ' || s[end - 1] === '\t')) end--;
  return s.slice(0, end);
}

/**
 * Header layout by the number of fields before `@`: 10 = provincial (行政区代码, 村名 before
 * 地块编号; only if the 3rd field is empty or digits, as an admin code is), 13 = 土地整治
 * (standard 8 + 图斑类型, 地类, 改造前/后质量等别, 备注), anything else = standard 8.
 */
function layoutFor(values: string[]): string[] {
  if (values.length === 10 && /^\d*$/.test(values[2])) return PROVINCIAL;
  return values.length === 13 ? LAND_CONSOLIDATION : STANDARD;
}

/** Northing in China: 7 integer digits. Easting: 6 digits, or 8 with a zone prefix. */
const looksNorthing = (v: number): boolean => v >= 1e6 && v < 1e7;
const looksEasting = (v: number): boolean => (v >= 0 && v < 1e6) || (v >= 1e7 && v < 1e8);
/** northings of China's territory on CGCS2000 Gauss-Kruger (about 3.9°N–53.6°N): a wider band means a digit too many or too few */
const NORTHING_MIN = 400_000;
const NORTHING_MAX = 6_000_000;
/** within 400 km of the zone's central meridian (false easting 500 km): a 3° zone spans ±130 km at 44°N */
const inZoneBand = (easting: number): boolean => {
  const e = easting % 1e6;
  return e >= 100_000 && e <= 900_000;
};

/**
 * Parse a boundary-coordinate TXT. Throws UnprocessableError (422, details.problems with line
 * and field) or PayloadTooLargeError (413, details.limit). Warnings are returned.
 */
export function parseParcelTxt(input: Uint8Array | string, options: ParcelTxtOptions = {}): ParsedParcelFile {
  const { maxBytes = 10 * 1024 * 1024, maxVertices = 200_000, maxParcels = 10_000 } = options;
  const byteLength = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
  if (byteLength > maxBytes) {
    throw new PayloadTooLargeError(`坐标文件超过 ${maxBytes} 字节 (file larger than ${maxBytes} bytes)`, { limit: 'maxBytes', max: maxBytes, actual: byteLength });
  }
  const { text, encoding } = typeof input === 'string' ? { text: input.replace(/^\uFEFF/, ''), encoding: 'utf-8' } : decodeText(input, options.encoding);

  const problems: InputProblem[] = [];
  const warnings: InputProblem[] = [];
  const fail = (p: Omit<InputProblem, 'severity'>): void => {
    problems.push({ ...p, severity: 'error' });
    if (problems.length >= MAX_PROBLEMS) throw refusal(problems, warnings);
  };
  const warn = (p: Omit<InputProblem, 'severity'>): void => {
    if (warnings.length < MAX_WARNINGS) warnings.push({ ...p, severity: 'warning' });
  };

  // Null-prototype records: a key such as __proto__ in a hostile file must stay plain data.
  const header: Record<string, string> = Object.create(null);
  const headerLine: Record<string, number> = Object.create(null);
  const parcels: RawParcel[] = [];
  let section: string | null = null;
  let coordinatesLine = 0;
  let vertices = 0;
  let orphanReported = false;
  let layoutWarned = false;
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i].trim();
    if (raw === '') continue;
    if ('[［【'.includes(raw[0]) && ']］】'.includes(raw[raw.length - 1])) {
      section = raw.slice(1, -1).trim();
      if (section === '地块坐标') coordinatesLine ||= line;
      else if (section !== '属性描述' && section !== '扩展信息') warn({ line, message: `未知节[${section}]，已忽略 (unknown section ignored)` });
      continue;
    }
    if (section === '属性描述') {
      const eq = raw.search(/[=＝]/);
      if (eq < 0) { warn({ line, message: '属性描述行缺少“=”，已忽略 (no "=" in attribute line; ignored)' }); continue; }
      const key = raw.slice(0, eq).trim();
      header[key] = raw.slice(eq + 1).trim();
      headerLine[key] = line;
    } else if (section === '地块坐标') {
      const row = trimTrailingCommas(raw.replace(/，/g, ',').replace(/＠/g, '@'));
      if (row.endsWith('@')) {
        if (parcels.length >= maxParcels) {
          throw new PayloadTooLargeError(`地块数超过 ${maxParcels} (more than ${maxParcels} parcels)`, { limit: 'maxParcels', max: maxParcels, line });
        }
        // Count fields as written (empty trailing ones too): only the separator before @ goes.
        const body = row.slice(0, -1);
        const values = (body.endsWith(',') ? body.slice(0, -1) : body).split(',').map((s) => s.trim());
        const layout = layoutFor(values);
        if (values.length > layout.length && !layoutWarned) {
          layoutWarned = true;
          warn({ line, message: `地块头有${values.length}个字段，按标准8字段读取，多余字段已忽略 (${values.length} header fields; read as the standard 8, the rest ignored)` });
        }
        const fields = Object.fromEntries(layout.map((k, j) => [k, values[j] ?? '']));
        const extra = layout === LAND_CONSOLIDATION ? Object.fromEntries(layout.slice(8).map((k) => [k, fields[k]])) : undefined;
        parcels.push({ line, fields, extra, points: [], broken: false });
        continue;
      }
      const current = parcels[parcels.length - 1];
      if (!current) {
        if (!orphanReported) fail({ line, field: '地块坐标', message: '坐标点出现在地块头行（以@结尾）之前 (point line before any parcel header ending in "@")' });
        orphanReported = true;
        continue;
      }
      if (++vertices > maxVertices) {
        throw new PayloadTooLargeError(`界址点总数超过 ${maxVertices} (more than ${maxVertices} vertices)`, { limit: 'maxVertices', max: maxVertices, line });
      }
      const f = row.split(',').map((s) => s.trim());
      const ring = /^\d{1,6}$/.test(f[1] ?? '') ? Number(f[1]) : null;
      const x = parseDecimal(f[2] ?? '');
      const y = parseDecimal(f[3] ?? '');
      if (ring === null) fail({ line, field: '圈号', message: `圈号“${f[1] ?? ''}”不是正整数 (ring number must be a positive integer)` });
      if (x === null) fail({ line, field: 'X', message: `X坐标“${f[2] ?? ''}”不是数字 (X is not a number)` });
      if (y === null) fail({ line, field: 'Y', message: `Y坐标“${f[3] ?? ''}”不是数字 (Y is not a number)` });
      if (ring !== null && x !== null && y !== null) current.points.push({ name: f[0], ring, x, y, line });
      else current.broken = true;
    } else if (section === null) {
      warn({ line, message: '节标题之前的内容已忽略 (text before the first [section] ignored)' });
      section = '';
    }
  }
  if (text.trim() === '') fail({ line: 1, field: '地块坐标', message: '文件为空 (the file is empty)' });
  else if (!coordinatesLine) fail({ line: 1, field: '地块坐标', message: '缺少[地块坐标]节 (no [地块坐标] section)' });
  else if (parcels.length === 0) fail({ line: coordinatesLine, field: '地块坐标', message: '[地块坐标]中没有地块（以@结尾的地块头行） (no parcel header ending in "@")' });

  // Undo swapped X/Y per point (northing has 7 digits, easting 6 or 8), warning once per parcel.
  parcels.forEach((p, feature) => {
    const swapped = p.points.filter((pt) => looksEasting(pt.x) && looksNorthing(pt.y));
    for (const pt of swapped) [pt.x, pt.y] = [pt.y, pt.x];
    if (swapped.length) warn({ feature, line: swapped[0].line, field: 'X', message: `${swapped.length}个点X/Y列颠倒（X应为7位北坐标），已交换 (X/Y columns swapped; swapped back)` });
  });

  if (parcels.length === 0) throw refusal(problems, warnings);
  const first = parcels.find((p) => p.points.length > 0)?.points[0];
  const crs = crsFromHeader(header, headerLine, first && { easting: first.y, line: first.line }, { fail, warn });
  const result = parcels.map((raw, index) => buildParcel(raw, index, crs, fail, warn));
  if (problems.length || !crs) throw refusal(problems, warnings);
  if (warnings.length >= MAX_WARNINGS) warnings.push({ severity: 'warning', message: `警告过多，仅列出前${MAX_WARNINGS}条 (only the first ${MAX_WARNINGS} warnings are listed)` });
  return { encoding, header: { ...header }, crs, parcels: result as ParsedParcel[], warnings };
}

function refusal(problems: InputProblem[], warnings: InputProblem[]): UnprocessableError {
  const p = problems[0];
  const where = p.line ? `第${p.line}行${p.field ? `（${p.field}）` : ''}：` : '';
  return new UnprocessableError(`坐标文件有${problems.length}处错误，${where}${p.message}`, { problems, warnings });
}

type Report = (p: Omit<InputProblem, 'severity'>) => void;

interface Ring { ringNo: number; line: number; lastLine: number; coords: Position[]; closed: boolean; area: number }

/** Header fields, per-point zone checks, rings, and the hole-or-part decision for one parcel. */
function buildParcel(raw: RawParcel, index: number, crs: GaussKrugerCrs | null, fail: Report, warn: Report): ParsedParcel | null {
  const f = raw.fields;
  const at = { feature: index, line: raw.line };
  const pointCount = /^\d+$/.test(f['界址点数']) ? Number(f['界址点数']) : null;
  if (pointCount === null) fail({ ...at, field: '界址点数', message: `界址点数“${f['界址点数']}”不是整数 (point count is not an integer)` });
  else if (pointCount !== raw.points.length) warn({ ...at, field: '界址点数', message: `声明界址点数${pointCount}，实际${raw.points.length} (declared ${pointCount} points, found ${raw.points.length})` });
  const declaredAreaHa = f['地块面积'] === '' ? null : parseDecimal(f['地块面积']);
  if (f['地块面积'] !== '' && declaredAreaHa === null) warn({ ...at, field: '地块面积', message: `地块面积“${f['地块面积']}”不是数字，已忽略 (declared area is not a number)` });
  const kind = f['记录图形属性'] || '面';
  if (kind !== '面') fail({ ...at, field: '记录图形属性', message: `只支持“面”地块，而不是“${kind}” (only polygon parcels 面 are supported)` });
  if (raw.points.length === 0 && !raw.broken) fail({ ...at, field: '界址点数', message: '地块没有坐标点 (the parcel has no points)' });

  const flagged = new Set<number>(); // lines already refused for a coordinate: not refused twice
  const failPoint = (problem: Parameters<Report>[0] & { line: number }) => {
    flagged.add(problem.line);
    fail(problem);
  };
  if (crs) {
    for (const pt of raw.points) {
      const pz = zoneFromEasting(pt.y);
      if (!looksEasting(pt.y)) failPoint({ feature: index, line: pt.line, field: 'Y', message: `横坐标${pt.y}应为6位或8位（含带号）整数部分 (easting must have 6 integer digits, or 8 with the zone)` });
      else if ((pz !== null) !== crs.prefixed || (pz !== null && pz !== crs.zone)) {
        failPoint({ feature: index, line: pt.line, field: 'Y', message: `横坐标${pt.y}与本文件的带号${crs.zone}${crs.prefixed ? '（含带号前缀）' : '（无前缀）'}不一致 (easting inconsistent with zone ${crs.zone})` });
      } else if (!inZoneBand(pt.y)) {
        // a dropped or extra digit (51100 for 511000) draws a spike hundreds of kilometres long
        failPoint({ feature: index, line: pt.line, field: 'Y', message: `横坐标${pt.y}离中央经线超过400公里，可能多写或漏写了一位数字 (easting more than 400 km from the central meridian: a digit dropped or added?)` });
      }
      if (!(pt.x >= NORTHING_MIN && pt.x <= NORTHING_MAX)) {
        failPoint({ feature: index, line: pt.line, field: 'X', message: `纵坐标${pt.x}不在我国范围（${NORTHING_MIN / 1e6}–${NORTHING_MAX / 1e6}百万米）内，可能多写或漏写了一位数字 (northing outside China's ${NORTHING_MIN}–${NORTHING_MAX} m: a digit dropped or added?)` });
      }
    }
  }

  // A coordinate with a digit dropped or added (4909000 written 490900) draws a spike hundreds of
  // kilometres long: its integer digits differ from those of the parcel's other points, which a
  // boundary of any size shares (a parcel tens of km across keeps 7-digit northings).
  const digits = (v: number) => String(Math.trunc(Math.abs(v))).length;
  for (const [axis, of] of raw.points.length < 3 ? [] : ([['X', (p: ParcelPoint) => p.x], ['Y', (p: ParcelPoint) => p.y]] as const)) {
    const counts = new Map<number, number>();
    for (const pt of raw.points) counts.set(digits(of(pt)), (counts.get(digits(of(pt))) ?? 0) + 1);
    const usual = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
    for (const pt of raw.points) {
      if (digits(of(pt)) !== usual && !flagged.has(pt.line)) {
        failPoint({ feature: index, line: pt.line, field: axis, message: `坐标${of(pt)}的整数位数为${digits(of(pt))}，本地块其他点为${usual}位，可能多写或漏写了一位数字 (${digits(of(pt))} integer digits where the parcel's other points have ${usual}: a digit dropped or added?)` });
      }
    }
  }

  if (raw.broken) return null;
  // A ring runs while the 圈号 stays the same and until it returns to its first point.
  const rings: Ring[] = [];
  for (const pt of raw.points) {
    const c: Position = [pt.y, pt.x];
    let ring = rings[rings.length - 1];
    if (!ring || ring.ringNo !== pt.ring || ring.closed) rings.push((ring = { ringNo: pt.ring, line: pt.line, lastLine: pt.line, coords: [], closed: false, area: 0 }));
    else ring.closed = c[0] === ring.coords[0][0] && c[1] === ring.coords[0][1];
    ring.coords.push(c);
    ring.lastLine = pt.line;
  }
  let degenerate = 0;
  for (const r of rings) {
    if (!hasThreeDistinct(r.coords)) {
      fail({ feature: index, line: r.line, field: '圈号', message: `第${r.ringNo}圈不足3个不同的点 (ring ${r.ringNo} has fewer than 3 distinct points)` });
      degenerate++;
      continue;
    }
    if (!r.closed) {
      r.coords.push([...r.coords[0]]);
      warn({ feature: index, line: r.lastLine, field: '圈号', message: `第${r.ringNo}圈未闭合（末点不等于首点），已自动闭合 (ring ${r.ringNo} not closed; closed automatically)` });
    }
    r.area = Math.abs(signedArea(r.coords));
  }
  if (!crs || degenerate || rings.length === 0 || pointCount === null || kind !== '面') return null;
  const geometry = assemble(rings, index, warn);
  if (!geometry) {
    fail({ ...at, field: '圈号', message: '地块圈数过多，判定内外环超出计算限额，请拆分地块 (too many rings to tell holes from parts within the work limit; split the parcel)' });
    return null;
  }
  const plausibility = jilinPlausibilityWarning(rings[0].coords[0][0], rings[0].coords[0][1], crs.zone);
  if (plausibility) warn({ ...at, message: plausibility });
  return {
    index, line: raw.line, pointCount, declaredAreaHa, code: f['地块编号'], name: f['地块名称'], geometryKind: kind,
    sheet: f['图幅号'], use: f['地块用途'], landClass: f['地类编码'],
    ...(f['行政区代码'] !== undefined ? { adminCode: f['行政区代码'], village: f['村名'] } : {}),
    ...(raw.extra ? { extra: raw.extra } : {}),
    geometry, points: raw.points,
  };
}

// ── Ring nesting ────────────────────────────────────────────────────────────────────────────

/**
 * Holes vs parts by containment, not by 圈号: a ring's innermost container (the smallest ring
 * holding it) decides — inside an outer ring it is a hole, inside a hole it is an island (a new
 * part), inside nothing it is a part. Rings go largest first so containers are decided before
 * what they contain; a grid over the bounding boxes keeps thousands of rings near-linear.
 * Output keeps the file's ring order. null when nesting costs more than MAX_NESTING_WORK.
 */
function assemble(rings: Ring[], feature: number, warn: Report): Polygon | MultiPolygon | null {
  const box = rings.map((r) => bounds(r.coords));
  const order = rings.map((_, i) => i).sort((a, b) => rings[b].area - rings[a].area || a - b);
  const rank: number[] = [];
  order.forEach((i, k) => (rank[i] = k));
  const all = box.reduce((a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])]);
  const g = Math.min(1024, Math.ceil(Math.sqrt(rings.length)));
  const cellOf = (x: number, y: number): [number, number] => [x, y].map((v, d) => Math.min(g - 1, Math.floor(((v - all[d]) / (all[d + 2] - all[d] || 1)) * g))) as [number, number];
  const cells = new Map<number, number[]>(); // rings in rank order, per cell their box touches
  const large: number[] = []; // boxes over many cells: always candidates
  const outerOf = new Map<number, number>(); // hole → its outer ring
  const cost = { visits: 0 };
  for (const i of order) {
    const [cx, cy] = cellOf(rings[i].coords[0][0], rings[i].coords[0][1]);
    const [a, b] = [cells.get(cx * g + cy) ?? [], large];
    let container = -1;
    for (let x = a.length - 1, y = b.length - 1; container < 0 && (x >= 0 || y >= 0);) {
      const j = y < 0 || (x >= 0 && rank[a[x]] > rank[b[y]]) ? a[x--] : b[y--]; // smallest first
      const o = box[j];
      const n = box[i];
      if (++cost.visits > MAX_NESTING_WORK) return null;
      if (o[0] > n[0] || o[1] > n[1] || o[2] < n[2] || o[3] < n[3]) continue;
      if (ringInside(rings[i].coords, rings[j].coords, cost)) container = j;
      if (cost.visits > MAX_NESTING_WORK) return null;
    }
    if (container >= 0 && !outerOf.has(container)) {
      outerOf.set(i, container);
      if (rings[i].ringNo === 1) warn({ feature, line: rings[i].line, field: '圈号', message: '圈号1位于另一圈之内，按内环（洞）处理 (ring 1 lies inside another ring: treated as a hole)' });
    }
    const [x0, y0] = cellOf(box[i][0], box[i][1]);
    const [x1, y1] = cellOf(box[i][2], box[i][3]);
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > 16) large.push(i);
    else for (let x = x0; x <= x1; x++) for (let y = y0; y <= y1; y++) push(cells, x * g + y, i);
  }
  const holesOf = new Map<number, number[]>();
  rings.forEach((_, h) => outerOf.has(h) && push(holesOf, outerOf.get(h)!, h));
  const polygons = rings.flatMap((r, o) => (outerOf.has(o) ? [] : [[r.coords, ...(holesOf.get(o) ?? []).map((h) => rings[h].coords)]]));
  return polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0] } : { type: 'MultiPolygon', coordinates: polygons };
}

function push(map: Map<number, number[]>, key: number, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** [minX, minY, maxX, maxY] */
function bounds(ring: Position[]): number[] {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of ring) [b[0], b[1], b[2], b[3]] = [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)];
  return b;
}

function hasThreeDistinct(ring: Position[]): boolean {
  const seen: Position[] = [];
  for (const c of ring) {
    if (!seen.some((s) => s[0] === c[0] && s[1] === c[1]) && seen.push(c) === 3) return true;
  }
  return false;
}

function signedArea(ring: Position[]): number {
  const [x0, y0] = ring[0]; // relative to the first vertex: 8-digit eastings lose precision otherwise
  let s = 0;
  for (let i = 1; i < ring.length - 1; i++) s += (ring[i][0] - x0) * (ring[i + 1][1] - y0) - (ring[i + 1][0] - x0) * (ring[i][1] - y0);
  return s / 2;
}

/** Is ring `a` inside ring `b`? Decided by the first vertex of `a` not on `b`'s boundary. */
function ringInside(a: Position[], b: Position[], cost: { visits: number }): boolean {
  for (let i = 0; i < a.length - 1; i++) {
    cost.visits += b.length;
    const where = locate(a[i], b);
    if (where !== 0) return where === 1;
  }
  return false;
}

/** Ray casting: 1 inside, -1 outside, 0 on the boundary. */
function locate(p: Position, ring: Position[]): -1 | 0 | 1 {
  const px = p[0];
  const py = p[1];
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const xi = ring[i][0];
    const yi = ring[i][1];
    const xj = ring[j][0];
    const yj = ring[j][1];
    const cross = (xj - xi) * (py - yi) - (yj - yi) * (px - xi);
    if (cross === 0 && px >= Math.min(xi, xj) && px <= Math.max(xi, xj) && py >= Math.min(yi, yj) && py <= Math.max(yi, yj)) return 0;
    if (yi > py !== yj > py && px < xi + ((py - yi) * (xj - xi)) / (yj - yi)) inside = !inside;
  }
  return inside ? 1 : -1;
}

// ── Writing ─────────────────────────────────────────────────────────────────────────────────

/** What formatParcelTxt needs; a ParsedParcel qualifies. */
export interface ParcelToFormat {
  code?: string;
  name?: string;
  declaredAreaHa?: number | null; // hectares, written with 4 decimals
  sheet?: string;
  use?: string;
  landClass?: string;
  /** CGCS2000 3-degree GK [easting, northing] metres in the target zone; a missing prefix is added. */
  geometry: Polygon | MultiPolygon;
}

export interface FormatOptions {
  zone?: number; // 42: Dehui (CM 126°E)
  eol?: string; // '\r\n': the desktop tools that read this format are Windows programs
  producer?: string; // 数据产生单位
  date?: string; // 数据产生日期, e.g. 2025-06-15; empty by default so output is reproducible
}

function notInZone(p: ParcelToFormat, zone: number, easting: number): UnprocessableError {
  const message = `地块${field(p.code)}的横坐标${easting}不在第${zone}带 (easting ${easting} is not in zone ${zone})`;
  return new UnprocessableError(message, { problems: [{ field: 'geometry', severity: 'error', message }] });
}

/** Commas and line breaks would split a field; the format has no quoting. */
const field = (s: string | undefined): string => (s ?? '').replace(/[,，]/g, '、').replace(/[\r\n]+/g, ' ').trim();

/**
 * Write parcels in the standard format: CGCS2000, 3-degree zone `zone`, zone-prefixed eastings,
 * 3 decimals, points J1.. numbered per parcel, each ring closed by repeating its first point,
 * rings numbered 1.. in order (parts and holes alike; the reader tells them apart by nesting).
 * Returns text; encode it (iconv-lite 'gbk') for tools that expect GBK.
 */
export function formatParcelTxt(parcels: ParcelToFormat[], options: FormatOptions = {}): string {
  const { zone = 42, eol = '\r\n', producer = '', date = '' } = options;
  epsgForZone(zone, true); // refuses zones outside 25–45
  const out = ['[属性描述]', '格式版本号=1.01版本', `数据产生单位=${field(producer)}`, `数据产生日期=${field(date)}`, '坐标系=2000国家大地坐标系',
    '几度分带=3', '投影类型=高斯克吕格', '计量单位=米', `带号=${zone}`, '精度=0.001', '转换参数=,,,,,,', '[地块坐标]'];
  for (const p of parcels) {
    const polygons = p.geometry.type === 'Polygon' ? [p.geometry.coordinates] : p.geometry.coordinates;
    const body: string[] = [];
    let ringNo = 0;
    let pointNo = 0;
    const xy = ([e, n]: Position): string => {
      const easting = e < 1e7 ? e + zone * 1e6 : e;
      if (!Number.isFinite(n) || zoneFromEasting(easting) !== zone) throw notInZone(p, zone, e);
      return `${n.toFixed(3)},${easting.toFixed(3)}`;
    };
    for (const ring of polygons.flat()) {
      ringNo++;
      const open = ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1] ? ring.slice(0, -1) : ring;
      if (open.length === 0) continue;
      const firstName = `J${pointNo + 1}`;
      for (const c of open) body.push(`J${++pointNo},${ringNo},${xy(c)}`);
      body.push(`${firstName},${ringNo},${xy(open[0])}`);
    }
    const area = p.declaredAreaHa == null ? '' : p.declaredAreaHa.toFixed(4);
    out.push(`${body.length},${area},${field(p.code)},${field(p.name)},面,${field(p.sheet)},${field(p.use)},${field(p.landClass)},@`, ...body);
  }
  return out.join(eol) + eol;
}
