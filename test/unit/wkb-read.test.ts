/**
 * The WKB / GeoPackage-blob parser against PostGIS's own output: ST_AsBinary in both byte orders
 * (NDR little-endian, XDR big-endian) of every geometry type, ISO Z/M/ZM codes and EWKB flags,
 * compared with ST_AsGeoJSON of the same geometry (2D). Runs on PGlite or PostgreSQL.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpkgToGeometry, WkbError, wkbToGeometry } from '../../server/ingest/wkb-read.js';
import { openTestDb, type TestDb } from '../helpers/test-db.js';

const CASES = [
  'POINT(125.7 44.5)',
  'LINESTRING(42540000 4930000, 42540100.5 4930000.25, 42540100 4930100)',
  'POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 2 3, 3 3, 2 2))',
  'MULTIPOINT((1 2), (3 4))',
  'MULTILINESTRING((0 0, 1 1), (2 2, 3 3, 4 5))',
  'MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6, 5 5), (5.2 5.1, 5.8 5.1, 5.8 5.5, 5.2 5.1)))',
  'GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1), POLYGON((0 0, 1 0, 1 1, 0 0)))',
  'POINT Z (125.7 44.5 210.5)',
  'LINESTRING M (0 0 7, 1 1 8)',
  'POLYGON ZM ((0 0 1 2, 1 0 1 2, 1 1 1 2, 0 0 1 2))',
  'MULTIPOLYGON Z (((0 0 1, 1 0 1, 1 1 1, 0 0 1)))',
  'GEOMETRYCOLLECTION Z (POINT Z (1 2 3), LINESTRING Z (0 0 0, 1 1 1))',
];

/** a GeoPackage blob: 'GP', version 0, flags, srs_id, envelope of `envelope` type, then the WKB */
function gpkgBlob(wkb: Uint8Array, envelope: number, littleEndian: boolean, empty = false): Uint8Array {
  const envBytes = [0, 32, 48, 48, 64][envelope] ?? 0; // 5–7 are invalid indicators
  const head = Buffer.alloc(8 + envBytes);
  head.write('GP', 0, 'latin1');
  head[2] = 0;
  head[3] = (envelope << 1) | (littleEndian ? 1 : 0) | (empty ? 0x10 : 0);
  if (littleEndian) head.writeInt32LE(4530, 4);
  else head.writeInt32BE(4530, 4);
  for (let o = 8; o < head.length; o += 8) head.writeDoubleLE(-999, o); // the envelope is skipped, never read
  return Buffer.concat([head, Buffer.from(wkb)]);
}

describe('WKB and GeoPackage geometry reading (against PostGIS)', () => {
  let db: TestDb;
  let rows: { wkt: string; ndr: Uint8Array; xdr: Uint8Array; ewkb: Uint8Array; json: string }[];
  beforeAll(async () => {
    db = await openTestDb('empty');
    rows = [];
    for (const wkt of CASES) {
      const r = await sql<{ ndr: Uint8Array; xdr: Uint8Array; ewkb: Uint8Array; json: string }>`
        select ST_AsBinary(g, 'NDR') as ndr, ST_AsBinary(g, 'XDR') as xdr, ST_AsEWKB(ST_SetSRID(g, 4530), 'XDR') as ewkb,
               ST_AsGeoJSON(ST_Force2D(g), 15) as json
        from (select ST_GeomFromText(${wkt}) as g) s`.execute(db.kysely);
      rows.push({ wkt, ...r.rows[0] });
    }
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('reads every type in both byte orders, Z and M dropped', () => {
    for (const r of rows) {
      const expected = JSON.parse(r.json);
      expect(r.ndr[0], r.wkt).toBe(1);
      expect(r.xdr[0], r.wkt).toBe(0);
      expect(wkbToGeometry(new Uint8Array(r.ndr)), `${r.wkt} NDR`).toEqual(expected);
      expect(wkbToGeometry(new Uint8Array(r.xdr)), `${r.wkt} XDR`).toEqual(expected);
      expect(wkbToGeometry(new Uint8Array(r.ewkb)), `${r.wkt} EWKB`).toEqual(expected);
    }
  });

  it('PostGIS writes ISO type codes for Z/M (so the 1000/2000/3000 branch is exercised)', () => {
    const zm = rows.find((r) => r.wkt.startsWith('POLYGON ZM'))!;
    expect(Buffer.from(zm.ndr).readUInt32LE(1)).toBe(3003);
    const m = rows.find((r) => r.wkt.startsWith('LINESTRING M'))!;
    expect(Buffer.from(m.xdr).readUInt32BE(1)).toBe(2002);
  });

  it('reads GeoPackage blobs with every envelope type and both header byte orders', () => {
    for (const r of rows) {
      const expected = JSON.parse(r.json);
      for (let env = 0; env <= 4; env++) {
        expect(gpkgToGeometry(gpkgBlob(r.ndr, env, true)), `${r.wkt} env ${env}`).toEqual(expected);
        expect(gpkgToGeometry(gpkgBlob(r.xdr, env, false)), `${r.wkt} env ${env} BE`).toEqual(expected);
      }
    }
    expect(gpkgToGeometry(gpkgBlob(rows[0].ndr, 1, true, true))).toBeNull();
  });

  it('stops at the budget of points and parts (maxVertices) before building them', () => {
    const square = rows.find((r) => r.wkt.startsWith('POLYGON'))!;
    expect(() => wkbToGeometry(new Uint8Array(square.ndr), 0, 3)).toThrow(WkbError);
    expect(() => wkbToGeometry(new Uint8Array(square.ndr), 0, 1_000)).not.toThrow();
  });

  it('refuses malformed input with a WkbError, never a crash or a wrong geometry', () => {
    const poly = rows[2].ndr;
    for (let cut = 0; cut < poly.length; cut += 7) expect(() => wkbToGeometry(poly.subarray(0, cut)), `cut at ${cut}`).toThrow(WkbError);
    expect(() => wkbToGeometry(Buffer.concat([Buffer.from(poly), Buffer.from([0])]))).toThrow(/trailing/);
    const badOrder = Buffer.from(poly);
    badOrder[0] = 7;
    expect(() => wkbToGeometry(badOrder)).toThrow(/byte-order/);
    const badType = Buffer.from(poly);
    badType.writeUInt32LE(99, 1);
    expect(() => wkbToGeometry(badType)).toThrow(/unsupported WKB type/);
    const hugeCount = Buffer.from(poly);
    hugeCount.writeUInt32LE(0x7fffffff, 5);
    expect(() => wkbToGeometry(hugeCount)).toThrow(/count/);
    const wrongPart = Buffer.from(rows[5].ndr); // MULTIPOLYGON whose first part claims to be a LineString
    wrongPart.writeUInt32LE(2, 10);
    expect(() => wkbToGeometry(wrongPart)).toThrow(WkbError);
    expect(() => gpkgToGeometry(Buffer.from('XX\u0000\u0001\u0000\u0000\u0000\u0000', 'latin1'))).toThrow(/GP/);
    expect(() => gpkgToGeometry(gpkgBlob(poly, 5, true))).toThrow(/envelope/);
    expect(() => gpkgToGeometry(gpkgBlob(poly, 4, true).subarray(0, 72))).toThrow(WkbError);
  });
});
