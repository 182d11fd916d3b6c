/**
 * Well-Known Binary → GeoJSON geometry, X and Y only. Both byte orders (per geometry, as WKB
 * allows nesting with mixed orders); OGC types 1–7 with ISO Z/M/ZM codes (1000/2000/3000 + n)
 * and EWKB-style high-bit flags (0x80000000 Z, 0x40000000 M, 0x20000000 SRID): Z and M are
 * read and dropped. Anything malformed (truncated, unknown type, absurd counts, more points and
 * parts than the budget) throws a WkbError; callers turn it into a problem for that feature.
 * (NaN/∞ coordinates are read as they are; inspectGeometry refuses them per feature.)
 * Also reads the GeoPackage geometry blob header (GeoPackage 1.3 §2.1.3) in front of the WKB.
 */
import type { Geometry, Position } from 'geojson';

export class WkbError extends Error {}

const MAX_DEPTH = 32;

class Reader {
  at: number;
  constructor(
    private readonly buf: Uint8Array,
    private readonly view: DataView,
    start: number,
    /** points and parts this geometry may have in all (maxVertices): checked before allocating */
    private budget: number,
  ) {
    this.at = start;
  }

  need(n: number): void {
    if (this.at + n > this.buf.length) throw new WkbError(`WKB 被截断：第 ${this.at} 字节处需要 ${n} 字节 (truncated WKB at byte ${this.at})`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.at++];
  }

  u32(le: boolean): number {
    this.need(4);
    const v = this.view.getUint32(this.at, le);
    this.at += 4;
    return v;
  }

  f64(le: boolean): number {
    this.need(8);
    const v = this.view.getFloat64(this.at, le);
    this.at += 8;
    return v;
  }

  /** a count of items each at least `minBytes` long: bounded by what is left of the buffer */
  count(le: boolean, minBytes: number): number {
    const n = this.u32(le);
    if (n * minBytes > this.buf.length - this.at) throw new WkbError(`WKB 计数 ${n} 超出数据长度 (count ${n} exceeds the remaining bytes)`);
    this.budget -= n;
    if (this.budget < 0) throw new WkbError(`几何的顶点与部件数超过上限 maxVertices (more points and parts than maxVertices)`);
    return n;
  }
}

interface Header {
  le: boolean;
  type: number;
  /** ordinates per point: 2, 3 or 4 */
  dims: number;
}

function header(r: Reader): Header {
  const order = r.u8();
  if (order !== 0 && order !== 1) throw new WkbError(`WKB 字节序标志 ${order} 无效 (bad byte-order flag ${order})`);
  const le = order === 1;
  let code = r.u32(le);
  let dims = 2;
  // EWKB flags (PostGIS, some writers)
  if (code & 0x80000000) dims++;
  if (code & 0x40000000) dims++;
  const hasSrid = (code & 0x20000000) !== 0;
  code &= 0x0fffffff;
  if (hasSrid) r.u32(le);
  // ISO: 1000 Z, 2000 M, 3000 ZM
  const iso = Math.floor(code / 1000);
  if (iso > 3) throw new WkbError(`未知的 WKB 几何类型代码 ${code} (unknown WKB type ${code})`);
  const type = code % 1000;
  if (iso === 1 || iso === 2) dims = 3;
  else if (iso === 3) dims = 4;
  if (type < 1 || type > 7) throw new WkbError(`不支持的 WKB 几何类型代码 ${code} (unsupported WKB type ${code})`);
  return { le, type, dims };
}

function point(r: Reader, h: Header): Position {
  const x = r.f64(h.le);
  const y = r.f64(h.le);
  for (let i = 2; i < h.dims; i++) r.f64(h.le);
  return [x, y];
}

function points(r: Reader, h: Header): Position[] {
  const n = r.count(h.le, 8 * h.dims);
  const out: Position[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = point(r, h);
  return out;
}

function rings(r: Reader, h: Header): Position[][] {
  const n = r.count(h.le, 4);
  const out: Position[][] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = points(r, h);
  return out;
}

/** members of a Multi*: each a full WKB geometry of the expected type */
function members(r: Reader, h: Header, want: number, depth: number): Geometry[] {
  const n = r.count(h.le, 9);
  const out: Geometry[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const g = geometry(r, depth + 1);
    if (g.wkbType !== want) throw new WkbError(`多部件几何中含有类型 ${g.wkbType} 的部件，应为 ${want} (a Multi* part of the wrong type)`);
    out[i] = g.geometry;
  }
  return out;
}

function geometry(r: Reader, depth: number): { geometry: Geometry; wkbType: number } {
  if (depth > MAX_DEPTH) throw new WkbError('WKB 嵌套过深 (WKB nested too deeply)');
  const h = header(r);
  switch (h.type) {
    case 1: {
      const p = point(r, h);
      // an empty point is written as NaN NaN
      if (Number.isNaN(p[0]) && Number.isNaN(p[1])) return { geometry: { type: 'Point', coordinates: [] }, wkbType: 1 };
      return { geometry: { type: 'Point', coordinates: p }, wkbType: 1 };
    }
    case 2:
      return { geometry: { type: 'LineString', coordinates: points(r, h) }, wkbType: 2 };
    case 3:
      return { geometry: { type: 'Polygon', coordinates: rings(r, h) }, wkbType: 3 };
    case 4:
      return { geometry: { type: 'MultiPoint', coordinates: members(r, h, 1, depth).map((g) => (g as { coordinates: Position }).coordinates) }, wkbType: 4 };
    case 5:
      return { geometry: { type: 'MultiLineString', coordinates: members(r, h, 2, depth).map((g) => (g as { coordinates: Position[] }).coordinates) }, wkbType: 5 };
    case 6:
      return { geometry: { type: 'MultiPolygon', coordinates: members(r, h, 3, depth).map((g) => (g as { coordinates: Position[][] }).coordinates) }, wkbType: 6 };
    default: {
      const n = r.count(h.le, 9);
      const geometries: Geometry[] = [];
      for (let i = 0; i < n; i++) geometries.push(geometry(r, depth + 1).geometry);
      return { geometry: { type: 'GeometryCollection', geometries }, wkbType: 7 };
    }
  }
}

function readerFor(bytes: Uint8Array, start: number, budget: number): Reader {
  return new Reader(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), start, budget);
}

/**
 * Parse WKB starting at `start`; trailing bytes are an error (a blob is one geometry). `budget`
 * bounds points plus parts (the upload's maxVertices), counted as each count is read, so a small
 * blob cannot make millions of arrays before the vertex limit is checked.
 */
export function wkbToGeometry(bytes: Uint8Array, start = 0, budget = Number.MAX_SAFE_INTEGER): Geometry {
  const r = readerFor(bytes, start, budget);
  const g = geometry(r, 0).geometry;
  if (r.at !== bytes.length) throw new WkbError(`WKB 之后还有 ${bytes.length - r.at} 字节多余数据 (${bytes.length - r.at} trailing bytes after the WKB)`);
  return g;
}

/** Envelope lengths by the envelope-indicator bits (1–3) of the GeoPackage header flags. */
const ENVELOPE_BYTES = [0, 32, 48, 48, 64];

/**
 * A GeoPackage geometry blob → GeoJSON geometry, or null for an empty geometry (flag bit 4).
 * Layout: 'G' 'P', version, flags, srs_id (int32 in the flags' byte order), envelope, WKB.
 */
export function gpkgToGeometry(blob: Uint8Array, budget = Number.MAX_SAFE_INTEGER): Geometry | null {
  if (blob.length < 8 || blob[0] !== 0x47 || blob[1] !== 0x50) throw new WkbError('不是 GeoPackage 几何数据：缺少 "GP" 标志 (not a GeoPackage geometry blob: no "GP" magic)');
  const flags = blob[3];
  if (flags & 0x20) throw new WkbError('不支持扩展的 GeoPackage 几何类型 (extended GeoPackage geometry types are not supported)');
  const envelope = (flags >> 1) & 0x07;
  if (envelope > 4) throw new WkbError(`GeoPackage 几何头的包络类型 ${envelope} 无效 (invalid envelope indicator ${envelope})`);
  const start = 8 + ENVELOPE_BYTES[envelope];
  if (flags & 0x10) return null;
  if (start >= blob.length) throw new WkbError('GeoPackage 几何数据被截断 (truncated GeoPackage geometry)');
  return wkbToGeometry(blob, start, budget);
}
