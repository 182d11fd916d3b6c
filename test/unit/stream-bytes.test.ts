/**
 * A .dbf read straight from the zip as it inflates (stream-bytes.ts, zip-extract.ts): the reader
 * reads it as it read the file on disk, errors of the stream are named for the user, and the zip's
 * file is let go whether the records were read, refused before reading, or abandoned half-way.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestLimits } from '../../server/ingest/ingest-limits.js';
import { ProblemList } from '../../server/ingest/problem-list.js';
import { openShapefileZip } from '../../server/ingest/shapefile-read.js';
import { StreamBytes } from '../../server/ingest/stream-bytes.js';
import { testConfig } from '../helpers/test-app.js';
import { dbfBytes, polygonContent, polygonShp, squareRing } from '../fixtures/uploads/shp-bytes.js';
import { writeZip } from '../fixtures/uploads/zip-writer.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-bytes-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const fail = (e: unknown) => new Error(`named: ${(e as Error).message}`);

/** a stream of `bytes` in chunks of the given sizes (the rest in one) */
function chunked(bytes: Buffer, sizes: number[]): Readable {
  const parts: Buffer[] = [];
  let at = 0;
  for (const n of sizes) {
    if (at >= bytes.length) break;
    parts.push(bytes.subarray(at, at + n));
    at += n;
  }
  if (at < bytes.length) parts.push(bytes.subarray(at));
  return Readable.from(parts);
}

describe('StreamBytes', () => {
  it('reads as a file would: the head again, then the rest in order, whatever the chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { maxLength: 12 }),
        fc.integer({ min: 32, max: 1200 }), // the reader's head is more than its first 32 bytes
        fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 10 }),
        async (data, chunks, headBytes, reads) => {
          const bytes = Buffer.from(data);
          const src = await StreamBytes.open(chunked(bytes, chunks), headBytes, fail);
          expect(src.head).toEqual(bytes.subarray(0, headBytes));
          // the reader's pattern: 32 bytes at 0, then the rest from a point inside the head, in order
          const first = Buffer.alloc(32);
          expect((await src.read(first, 0, 32, 0)).bytesRead).toBe(Math.min(32, bytes.length));
          let position = Math.min(headBytes, 32, bytes.length);
          const out: Buffer[] = [bytes.subarray(0, position)];
          for (const n of [...reads, bytes.length]) {
            const buf = Buffer.alloc(n);
            const { bytesRead } = await src.read(buf, 0, n, position);
            out.push(buf.subarray(0, bytesRead));
            position += bytesRead;
          }
          expect(Buffer.concat(out)).toEqual(bytes);
          await src.close();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a read that skips or goes back past the head (the stream cannot)', async () => {
    const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    const src = await StreamBytes.open(chunked(bytes, [10, 10]), 20, fail);
    await src.read(Buffer.alloc(10), 0, 10, 20);
    await expect(src.read(Buffer.alloc(10), 0, 10, 50)).rejects.toThrow(/read at 50, the stream is at 30/);
    await expect(src.read(Buffer.alloc(10), 0, 10, 25)).rejects.toThrow(/read at 25/);
  });

  it("names the stream's errors, while the head is taken and later", async () => {
    const broken = (after: number) =>
      new Readable({
        read() {
          if (after-- > 0) this.push(Buffer.alloc(8, 1));
          else this.destroy(new Error('inflate failed'));
        },
      });
    await expect(StreamBytes.open(broken(1), 100, fail)).rejects.toThrow('named: inflate failed');
    const src = await StreamBytes.open(broken(2), 8, fail);
    await expect(src.read(Buffer.alloc(64), 0, 64, 0)).rejects.toThrow('named: inflate failed');
  });
});

describe('a shapefile zip whose .dbf streams from the zip', () => {
  const limits = ingestLimits(testConfig().limits);
  // 60 000 records of 255 bytes (15 MB): a .dbf still inflating when the zip is opened (beyond the head
  // and the read-ahead), so that an unread one holds the zip's file
  const N = 60_000;
  const shp = polygonShp(
    Array.from({ length: N }, (_, i) => polygonContent([squareRing(42540000 + (i % 100) * 200, 4931000 + Math.floor(i / 100) * 200, 100)])),
    [42540000, 4931000, 42560000, 4971000],
  );
  // codes padded with digits that deflate poorly: the compressed entry, too, is still being read
  const pad = (i: number) => Array.from({ length: 24 }, (_, k) => ((i * 2654435761 + k * 40503) >>> 0).toString(16).padStart(8, '0')).join('');
  const code = (i: number) => `A-${i}-${pad(i)}`;
  const dbf = dbfBytes([{ name: 'code', length: 254 }], Array.from({ length: N }, (_, i) => [code(i)]));
  /** the zip's open file descriptors in this process */
  const openOn = (file: string) =>
    fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
      } catch {
        return false;
      }
    }).length;
  const zipOf = (name: string, parts: Record<string, Buffer>) => {
    const file = path.join(dir, `${name}.zip`);
    fs.writeFileSync(file, writeZip(Object.entries(parts).map(([ext, data]) => ({ name: `${name}.${ext}`, data }))));
    const out = path.join(dir, name);
    fs.mkdirSync(out);
    return { file, out };
  };
  const open = (z: { file: string; out: string }) => openShapefileZip(z.file, z.out, { mode: 'replace', dryRun: false, repair: false, crs: 4530 }, limits, new ProblemList());

  it('reads every record, and lets the zip go when they are read', async () => {
    const z = zipOf('whole', { shp, dbf });
    const source = await open(z);
    const codes: unknown[] = [];
    for await (const f of source.features()) codes.push(f.properties.code);
    expect(codes).toEqual(Array.from({ length: N }, (_, i) => code(i)));
    await expect.poll(() => openOn(z.file)).toBe(0);
  });

  it('lets the zip go when the records are not read (a refusal after opening) or only begun', async () => {
    const z = zipOf('unread', { shp, dbf });
    const source = await open(z);
    expect(openOn(z.file)).toBeGreaterThan(0); // the .dbf is still streaming from it
    await source.close!();
    await expect.poll(() => openOn(z.file)).toBe(0);
    const z2 = zipOf('begun', { shp, dbf });
    const begun = await open(z2);
    for await (const f of begun.features()) {
      expect(f.index).toBe(0);
      break; // the loop's early exit ends the reader
    }
    await expect.poll(() => openOn(z2.file)).toBe(0);
  });

  it('lets the zip go when the headers refuse it', async () => {
    const fewer = dbfBytes([{ name: 'code', length: 254 }], Array.from({ length: N - 1 }, (_, i) => [code(i)]));
    const z = zipOf('refused', { shp, dbf: fewer });
    await expect(open(z)).rejects.toThrow(/mismatch/);
    await expect.poll(() => openOn(z.file)).toBe(0);
  });
});
