/**
 * GeoJSON geometry → OGC WKB (little-endian, 2D), appended to one growing buffer per staging
 * batch. Staging sends a batch's geometries to PostGIS as ONE bytea parameter plus offsets,
 * parsed by ST_GeomFromWKB: for 100 000 polygons that took a fraction of the time
 * ST_GeomFromGeoJSON needed on the same features as JSON text (the JSON parser in PostGIS was
 * the slowest database step of an upload). Only geometries that passed inspectGeometry
 * (geometry-shape.ts: known type, finite [x, y] positions) are encoded; extra ordinates (z, m)
 * are dropped, as ST_Force2D did before.
 */
import type { Geometry, Position } from 'geojson';

const TYPE_CODE: Record<string, number> = { Point: 1, LineString: 2, Polygon: 3, MultiPoint: 4, MultiLineString: 5, MultiPolygon: 6 };

/** a DataView of a Buffer's bytes: its setters are compiled inline (Buffer#writeDoubleLE was ~40% of encoding) */
const viewOf = (b: Buffer) => new DataView(b.buffer, b.byteOffset, b.byteLength);

export class WkbBatch {
  private buf = Buffer.allocUnsafe(1 << 20);
  private view = viewOf(this.buf);
  private at = 0;
  /** byte offset (0-based) and length of each geometry, in order */
  readonly offsets: number[] = [];
  readonly lengths: number[] = [];

  get length(): number {
    return this.offsets.length;
  }

  /** the encoded bytes of the whole batch (a view; valid until the next add) */
  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
    this.view = viewOf(next);
  }

  private header(type: number, count?: number): void {
    this.room(9);
    this.view.setUint8(this.at, 1);
    this.view.setUint32(this.at + 1, type, true);
    this.at += 5;
    if (count !== undefined) {
      this.view.setUint32(this.at, count, true);
      this.at += 4;
    }
  }

  private points(ps: Position[]): void {
    this.room(4 + ps.length * 16);
    const v = this.view;
    v.setUint32(this.at, ps.length, true);
    let at = this.at + 4;
    for (const p of ps) {
      v.setFloat64(at, p[0], true);
      v.setFloat64(at + 8, p[1], true);
      at += 16;
    }
    this.at = at;
  }

  private geometry(g: Geometry): void {
    const code = TYPE_CODE[g.type];
    if (code === undefined) throw new Error(`no WKB for ${g.type}`);
    switch (g.type) {
      case 'Point':
        this.header(1);
        this.room(16);
        this.view.setFloat64(this.at, g.coordinates[0], true);
        this.view.setFloat64(this.at + 8, g.coordinates[1], true);
        this.at += 16;
        return;
      case 'LineString':
        this.header(2);
        this.points(g.coordinates);
        return;
      case 'Polygon':
        this.header(3, g.coordinates.length);
        for (const ring of g.coordinates) this.points(ring);
        return;
      case 'MultiPoint':
        this.header(4, g.coordinates.length);
        for (const p of g.coordinates) this.geometry({ type: 'Point', coordinates: p });
        return;
      case 'MultiLineString':
        this.header(5, g.coordinates.length);
        for (const l of g.coordinates) this.geometry({ type: 'LineString', coordinates: l });
        return;
      case 'MultiPolygon':
        this.header(6, g.coordinates.length);
        for (const poly of g.coordinates) this.geometry({ type: 'Polygon', coordinates: poly });
        return;
      default:
        throw new Error(`no WKB for ${g.type}`);
    }
  }

  add(g: Geometry): void {
    const start = this.at;
    this.geometry(g);
    this.offsets.push(start);
    this.lengths.push(this.at - start);
  }
}
