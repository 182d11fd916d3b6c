/**
 * One pass over a .shp's records before the `shapefile` package parses any of them. The package
 * takes each record's length and point count from the record itself and builds the whole record
 * as arrays first, so a record declaring a billion points (in a 1 MB zip, with no .shx to
 * contradict it) would exhaust the heap; and its ring-to-polygon assignment tests every hole
 * against every outer ring, so one record of thousands of alternating rings would hold the event
 * loop for minutes. Here, from the bytes on disk and whatever the .shx says:
 *   - every record lies inside the file, and its declared parts and points fit its length;
 *   - no record has more than maxVertices points (413, naming the feature);
 *   - for polygons, holes × points stays within RING_TESTS_MAX (413): a bound on the work of that
 *     assignment. Ring orientation comes from each ring's signed area (clockwise = outer, as ESRI
 *     and the package read it), so a large dissolved layer of many outer rings and few holes passes.
 *   - records are read up to the length the header declares (bytes after it are ignored, as the
 *     package's reader does).
 * Reads the file in 1 MiB chunks, sequentially; a record's points are read only for polygons.
 */
import fs from 'node:fs/promises';
import { PayloadTooLargeError } from '../errors.js';
import type { IngestLimits } from './ingest-limits.js';
import { fileProblem } from './problem-list.js';

/**
 * holes × points of one polygon record: the bound on `shapefile`'s hole-to-polygon tests, ~37 ns a
 * point here (8,000 alternating 5-point rings: 3.0 s), so ~3.7 s at worst; a township of 500 holes
 * in 100,000 points (50 million) passes, thousands of holes among thousands of rings do not
 */
export const RING_TESTS_MAX = 100_000_000;

const CHUNK = 1 << 20;
/** record types with parts and points (polylines, polygons; Z and M variants keep XY points first, 16 bytes each) */
const POLY_TYPES = new Set([3, 5, 13, 15, 23, 25]);
const MULTIPOINT_TYPES = new Set([8, 18, 28]);
const POLYGON_TYPES = new Set([5, 15, 25]);

/**
 * A positional reader with one buffered window, read synchronously when the bytes are already in it
 * (an await per record cost ~2 µs each: 0.2–0.3 s for 100,000 records).
 */
class Window {
  buf = Buffer.alloc(0);
  start = 0;
  constructor(
    private readonly fh: fs.FileHandle,
    private readonly size: number,
  ) {}

  /** whether [pos, pos + n) is in the window */
  has(pos: number, n: number): boolean {
    return pos >= this.start && pos + n <= this.start + this.buf.length;
  }

  /** load the window at `pos`, at least `n` bytes (or to the end of the file) */
  async load(pos: number, n: number): Promise<void> {
    const want = Math.min(Math.max(n, CHUNK), this.size - pos);
    const buf = Buffer.alloc(want);
    const { bytesRead } = await this.fh.read(buf, 0, want, pos);
    this.buf = buf.subarray(0, bytesRead);
    this.start = pos;
  }

  /** the window's offset of file position `pos`, loading it first when [pos, pos + n) is not in it */
  async at(pos: number, n: number): Promise<number> {
    if (!this.has(pos, n)) await this.load(pos, n);
    return pos - this.start;
  }
}

/** twice the signed (shoelace) area of ring [from, to) of the points block at `points`: clockwise ≤ 0 */
function ringArea(b: Buffer, points: number, from: number, to: number): number {
  let area = 0;
  for (let i = from; i < to; i++) {
    const j = i + 1 < to ? i + 1 : from;
    area += b.readDoubleLE(points + i * 16) * b.readDoubleLE(points + j * 16 + 8) - b.readDoubleLE(points + j * 16) * b.readDoubleLE(points + i * 16 + 8);
  }
  return area;
}

const damagedRecord = (index: number, why: string) => fileProblem(`.shp 第 ${index} 条记录损坏：${why} (damaged .shp record ${index})`, 'shp', { feature: index });

/** the number of records; throws 422 for a damaged record and 413 for one over the limits */
export async function scanShpRecords(shpPath: string, fileSize: number, limits: IngestLimits): Promise<number> {
  const fh = await fs.open(shpPath, 'r');
  try {
    const head = Buffer.alloc(100);
    await fh.read(head, 0, 100, 0);
    const declared = head.readInt32BE(24) * 2;
    const size = declared >= 100 && declared <= fileSize ? declared : fileSize;
    const win = new Window(fh, size);
    let pos = 100;
    let index = 0;
    while (pos + 8 <= size) {
      // a record's header and its shape's fixed part: 8 + 44 bytes (less at the end of the file)
      const want = Math.min(52, size - pos);
      const o = win.has(pos, want) ? pos - win.start : await win.at(pos, want);
      const b = win.buf;
      const contentBytes = b.readInt32BE(o + 4) * 2;
      if (contentBytes < 4 || pos + 8 + contentBytes > size) throw damagedRecord(index, `声明长度 ${contentBytes} 字节超出文件 (record length ${contentBytes} runs past the end of the file)`);
      const content = pos + 8;
      const type = b.readInt32LE(o + 8);
      if (POLY_TYPES.has(type) || MULTIPOINT_TYPES.has(type)) {
        const multipoint = MULTIPOINT_TYPES.has(type);
        const fixed = multipoint ? 40 : 44;
        if (contentBytes < fixed) throw damagedRecord(index, `长度 ${contentBytes} 字节不足以容纳记录头 (too short for its header)`);
        const parts = multipoint ? 0 : b.readInt32LE(o + 8 + 36);
        const points = b.readInt32LE(o + 8 + (multipoint ? 36 : 40));
        if (points > limits.maxVertices) {
          throw new PayloadTooLargeError(`要素 ${index} 有 ${points} 个顶点，超过上限 maxVertices = ${limits.maxVertices} (too many vertices)`, {
            limit: 'maxVertices',
            max: limits.maxVertices,
            actual: points,
            feature: index,
          });
        }
        if (points < 0 || parts < 0 || parts > points) throw damagedRecord(index, `${parts} 个部分、${points} 个点不合理 (implausible ${parts} parts, ${points} points)`);
        const bodyBytes = fixed + parts * 4 + points * 16;
        if (bodyBytes > contentBytes) {
          throw damagedRecord(index, `${parts} 个部分、${points} 个点超出记录长度 ${contentBytes} 字节 (${parts} parts and ${points} points do not fit its ${contentBytes} bytes)`);
        }
        if (POLYGON_TYPES.has(type) && parts > 1) {
          const ob = await win.at(content, bodyBytes);
          const body = win.buf;
          let outer = 0;
          let holes = 0;
          for (let k = 0; k < parts; k++) {
            const from = body.readInt32LE(ob + fixed + k * 4);
            const to = k + 1 < parts ? body.readInt32LE(ob + fixed + (k + 1) * 4) : points;
            if (from < 0 || to > points || from > to) throw damagedRecord(index, `第 ${k} 个部分的起点 ${from} 超出范围 (part ${k} starts at ${from}, outside 0–${points})`);
            // as `shapefile` reads it: a ring of 4+ points with clockwise (non-positive shoelace) area is outer
            if (to - from >= 4 && ringArea(body, ob + fixed + parts * 4, from, to) <= 0) outer++;
            else holes++;
          }
          // the package tests each hole against every polygon so far — outer rings, and holes no outer
          // ring held (they become polygons) — each test walking that polygon's ring: at most holes × points
          if (holes * points > RING_TESTS_MAX) {
            throw new PayloadTooLargeError(
              `要素 ${index} 有 ${outer} 个外环、${holes} 个内环和 ${points} 个点，判定内外环的计算量超过上限 (${holes} holes × ${points} points to assign: over ${RING_TESTS_MAX})`,
              { limit: 'ringTests', max: RING_TESTS_MAX, actual: holes * points, feature: index },
            );
          }
        }
      }
      pos = content + contentBytes;
      index++;
    }
    return index;
  } finally {
    await fh.close();
  }
}
