/**
 * The .shp pre-scan (server/ingest/shp-records-scan.ts) against records written byte by byte,
 * and against the `shapefile` package reading the same files: what the scan lets through, the
 * package parses.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as shapefile from 'shapefile';
import { afterAll, describe, expect, it } from 'vitest';
import { RING_TESTS_MAX, scanShpRecords } from '../../server/ingest/shp-records-scan.js';
import type { IngestLimits } from '../../server/ingest/ingest-limits.js';
import { polygonContent, polygonShp, squareRing } from '../fixtures/uploads/shp-bytes.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shp-scan-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const limits = { maxVertices: 200_000 } as IngestLimits;
const BBOX: [number, number, number, number] = [0, 0, 1000, 1000];
let n = 0;
function write(bytes: Buffer): { file: string; size: number } {
  const file = path.join(dir, `t${n++}.shp`);
  fs.writeFileSync(file, bytes);
  return { file, size: bytes.length };
}
const scan = (bytes: Buffer, l: IngestLimits = limits) => {
  const { file, size } = write(bytes);
  return scanShpRecords(file, size, l);
};
/** the problem an error carries: status, limit or field, feature */
const refusal = async (p: Promise<unknown>) => {
  const e = (await p.then(() => null, (err: unknown) => err)) as { status?: number; details?: Record<string, unknown> } | null;
  expect(e, 'expected a refusal').not.toBeNull();
  return { status: e!.status, ...e!.details };
};

describe('.shp record pre-scan', () => {
  it('counts the records of a well-formed file, and the package reads the same ones', async () => {
    const contents = [polygonContent([squareRing(0, 0, 10)]), polygonContent([squareRing(20, 0, 10), squareRing(22, 2, 2, true)]), polygonContent([squareRing(40, 0, 10)])];
    const bytes = polygonShp(contents, BBOX);
    expect(await scan(bytes)).toBe(3);
    const { file } = write(bytes);
    const source = await shapefile.openShp(file);
    const types: string[] = [];
    for (let r = await source.read(); !r.done; r = await source.read()) types.push((r.value as { type: string }).type);
    expect(types).toEqual(['Polygon', 'Polygon', 'Polygon']);
  });

  it('a record declaring more bytes than the file holds (a 62-million-point record in a tiny file) → 422 naming the record, before any parsing', async () => {
    const content = polygonContent([squareRing(0, 0, 10)], 62_000_000);
    const problem = await refusal(scan(polygonShp([polygonContent([squareRing(0, 0, 10)]), content], BBOX, [undefined, 1_000_000_000])));
    expect(problem).toMatchObject({ status: 422, feature: 1 });
  });

  it('a record whose point count exceeds maxVertices → 413 with the limit and the feature, though its length fits the file', async () => {
    const ring = squareRing(0, 0, 10);
    const content = polygonContent([ring], 500_000); // claims 500,000 points; 5 written
    const padded = Buffer.concat([content, Buffer.alloc(500_000 * 16)]); // and the bytes to hold them
    expect(await refusal(scan(polygonShp([padded], BBOX)))).toMatchObject({ status: 413, limit: 'maxVertices', max: limits.maxVertices, actual: 500_000, feature: 0 });
  });

  it('parts and points that do not fit the record, or a part starting outside it → 422', async () => {
    const content = polygonContent([squareRing(0, 0, 10)], 1_000); // 1,000 points claimed, 5 written, length not padded
    expect(await refusal(scan(polygonShp([content], BBOX)))).toMatchObject({ status: 422, feature: 0 });
    const bad = polygonContent([squareRing(0, 0, 10), squareRing(20, 0, 10)]);
    bad.writeInt32LE(99, 44 + 4); // second part starts at point 99 of 10
    expect(await refusal(scan(polygonShp([bad], BBOX)))).toMatchObject({ status: 422, feature: 0 });
  });

  it('thousands of alternating outer rings and holes (holes × points over the budget) → 413 before the package assigns them', async () => {
    const k = Math.ceil(Math.sqrt(RING_TESTS_MAX / 10)) + 1; // k outer rings and k holes of 5 points: k holes × 10k points
    const rings: number[][][] = [];
    for (let i = 0; i < k; i++) rings.push(squareRing(i * 3, 0, 1), squareRing(i * 3, 5, 1, true));
    const problem = await refusal(scan(polygonShp([polygonContent(rings)], [0, 0, k * 3, 6])));
    expect(problem).toMatchObject({ status: 413, limit: 'ringTests', max: RING_TESTS_MAX, actual: k * k * 10, feature: 0 });
  });

  // found by a review of the first bound (holes × outer rings): holes no outer ring holds become
  // polygons themselves, so one outer ring and 60,000 one-point parts held the event loop 37 s
  it('one outer ring and tens of thousands of stray one-point parts → 413', async () => {
    const rings: number[][][] = [squareRing(0, 0, 1)];
    for (let i = 0; i < 20_000; i++) rings.push([[10 + i, 10]]);
    expect(await refusal(scan(polygonShp([polygonContent(rings)], [0, 0, 20_010, 11])))).toMatchObject({ status: 413, limit: 'ringTests', feature: 0 });
  });

  it('bytes after the length the header declares are ignored, as the package ignores them', async () => {
    const bytes = polygonShp([polygonContent([squareRing(0, 0, 10)])], BBOX);
    expect(await scan(Buffer.concat([bytes, Buffer.alloc(16)]))).toBe(1);
  });

  it('a dissolved layer: one record of many outer rings and a few holes passes, and the package reads it', async () => {
    const rings: number[][][] = [];
    for (let i = 0; i < 6_000; i++) rings.push(squareRing((i % 100) * 3, Math.floor(i / 100) * 3, 2));
    rings.push(squareRing(0.5, 0.5, 1, true));
    const bytes = polygonShp([polygonContent(rings)], [0, 0, 300, 180]);
    expect(await scan(bytes)).toBe(1);
    const { file } = write(bytes);
    const r = await (await shapefile.openShp(file)).read();
    expect(r.value).toMatchObject({ type: 'MultiPolygon' });
    expect((r.value as { coordinates: unknown[] }).coordinates).toHaveLength(6_000);
  });
});
