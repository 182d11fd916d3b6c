/**
 * Facts read from a shapefile set's headers before any record is parsed: record counts
 * (.dbf header, .shx size), declared .shp length (truncation), shape type, the largest
 * record (vertex bound), and the .dbf text encoding (.cpg, else detected from the bytes).
 */
import fs from 'node:fs/promises';
import { PayloadTooLargeError } from '../errors.js';
import type { IngestLimits } from './ingest-limits.js';
import { fileProblem } from './problem-list.js';
import { scanShpRecords } from './shp-records-scan.js';
import { detectEncoding, normalizeEncodingName, isValidUtf8 } from './text-encoding.js';

/** how many .dbf bytes feed the encoding guess (whole records only) */
const ENCODING_SAMPLE_BYTES = 256 * 1024;

export interface ShapefileFacts {
  dbfRecords: number;
  shxRecords: number | null;
  shapeType: number;
  /** [minX, minY, maxX, maxY] from the .shp header, file units */
  bbox: [number, number, number, number];
  /** TextDecoder label for the .dbf */
  encoding: 'utf-8' | 'gbk' | 'gb18030';
  encodingFrom: 'parameter' | 'cpg' | 'detected';
  warnings: string[];
}

/** bytes per point by shape type family: XY 16, M 24, Z 32 (Z also carries M) */
const POINT_BYTES: Record<number, number> = { 3: 16, 5: 16, 8: 16, 13: 32, 15: 32, 18: 32, 23: 24, 25: 24, 28: 24 };
const SUPPORTED_TYPES = new Set([0, 1, 3, 5, 8, 11, 13, 15, 18, 21, 23, 25, 28]);

async function readAll(p: string): Promise<Buffer> {
  return fs.readFile(p);
}

async function readHead(p: string, n: number): Promise<Buffer> {
  const fh = await fs.open(p, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function shpHeader(head: Buffer, size: number) {
  if (head.length < 100 || head.readInt32BE(0) !== 9994) throw fileProblem('.shp 文件头无效，不是 shapefile (invalid .shp header)', 'shp');
  const declared = head.readInt32BE(24) * 2;
  if (declared > size) throw fileProblem(`.shp 文件不完整：文件头声明 ${declared} 字节，实际 ${size} 字节 (truncated .shp)`, 'shp', { declared, actual: size });
  const shapeType = head.readInt32LE(32);
  if (!SUPPORTED_TYPES.has(shapeType)) throw fileProblem(`不支持的 shapefile 几何类型 ${shapeType} (unsupported shape type)`, 'shp');
  const bbox: [number, number, number, number] = [head.readDoubleLE(36), head.readDoubleLE(44), head.readDoubleLE(52), head.readDoubleLE(60)];
  return { shapeType, bbox };
}

/** .shx: record count, and a 413 when one record is too big to hold maxVertices points */
function shxFacts(shx: Buffer, shapeType: number, limits: IngestLimits): number {
  if (shx.length < 100 || (shx.length - 100) % 8 !== 0) throw fileProblem('.shx 索引文件不完整 (truncated .shx)', 'shx');
  const records = (shx.length - 100) / 8;
  const perPoint = POINT_BYTES[shapeType];
  if (!perPoint) return records;
  for (let i = 0; i < records; i++) {
    const contentBytes = shx.readInt32BE(100 + i * 8 + 4) * 2;
    // every point costs perPoint bytes plus at most one 4-byte part index: a lower bound on points
    const minPoints = Math.floor((contentBytes - 44) / (perPoint + 4));
    if (minPoints > limits.maxVertices) {
      throw new PayloadTooLargeError(`要素 ${i} 至少有 ${minPoints} 个顶点，超过上限 maxVertices = ${limits.maxVertices} (too many vertices)`, {
        limit: 'maxVertices',
        max: limits.maxVertices,
        actual: minPoints,
        feature: i,
      });
    }
  }
  return records;
}

type DbfEncoding = ShapefileFacts['encoding'];

function chooseEncoding(dbf: Buffer, cpg: string | null, declared: string | undefined, warnings: string[]): { encoding: DbfEncoding; encodingFrom: ShapefileFacts['encodingFrom'] } {
  const headerLength = dbf.readUInt16LE(8);
  const recordLength = Math.max(1, dbf.readUInt16LE(10));
  const wholeRecords = Math.floor(Math.min(dbf.length - headerLength, ENCODING_SAMPLE_BYTES) / recordLength);
  // the field NAMES (bytes 0–10 of each 32-byte descriptor) and the records: not the descriptors'
  // binary bytes — a text field's length byte of 128 or more (ArcGIS's default is 254) is no UTF-8,
  // and read as text it made every such UTF-8 table GBK, even with a .cpg saying UTF-8 (found by a review)
  const names: Buffer[] = [];
  for (let n = 32; n + 32 <= headerLength && dbf[n] !== 0x0d; n += 32) {
    let j = 0;
    while (j < 11 && dbf[n + j] !== 0) j++;
    names.push(dbf.subarray(n, n + j), Buffer.from(' '));
  }
  const sample = Buffer.concat([...names, dbf.subarray(headerLength, headerLength + wholeRecords * recordLength)]);
  const detected: DbfEncoding = detectEncoding(sample).encoding === 'utf-8' ? 'utf-8' : 'gbk';
  // a declaration of UTF-8 holds whenever the bytes are UTF-8 (the disguise guess is for undeclared tables)
  const validUtf8 = isValidUtf8(sample);
  for (const [text, from] of [[declared, 'parameter'], [cpg, 'cpg']] as const) {
    if (!text || !text.trim()) continue;
    const named = normalizeEncodingName(text);
    if (named === 'utf-8' || named === 'gbk' || named === 'gb18030') {
      if (named === 'utf-8' && !validUtf8) {
        warnings.push(`声明的编码为 UTF-8（${from}），但 .dbf 内容不是有效的 UTF-8，按 GBK 读取 (declared UTF-8 but the .dbf is not valid UTF-8; read as GBK)`);
        return { encoding: 'gbk' as const, encodingFrom: 'detected' as const };
      }
      return { encoding: named, encodingFrom: from };
    }
    warnings.push(`无法识别的编码“${text.trim()}”（${from}），改为自动判断 (unknown encoding; detected instead)`);
  }
  return { encoding: detected, encodingFrom: 'detected' as const };
}

export async function readShapefileFacts(
  files: { shp: string; dbf: string; shx?: string; cpg?: string },
  limits: IngestLimits,
  declaredEncoding?: string,
): Promise<ShapefileFacts> {
  const warnings: string[] = [];
  const shpSize = (await fs.stat(files.shp)).size;
  const { shapeType, bbox } = shpHeader(await readHead(files.shp, 100), shpSize);
  const dbfSize = (await fs.stat(files.dbf)).size;
  const dbf = await readHead(files.dbf, 32 + ENCODING_SAMPLE_BYTES + 65536);
  if (dbf.length < 32) throw fileProblem('.dbf 文件头不完整 (truncated .dbf header)', 'dbf');
  const dbfRecords = dbf.readUInt32LE(4);
  const headerLength = dbf.readUInt16LE(8);
  const recordLength = dbf.readUInt16LE(10);
  if (headerLength < 33 || recordLength < 1 || headerLength > dbf.length) throw fileProblem('.dbf 文件头无效 (invalid .dbf header)', 'dbf');
  if (dbfRecords > limits.maxFeatures) {
    throw new PayloadTooLargeError(`要素数 ${dbfRecords} 超过上限 maxFeatures = ${limits.maxFeatures} (too many features)`, { limit: 'maxFeatures', max: limits.maxFeatures, actual: dbfRecords });
  }
  if (dbfSize < headerLength + dbfRecords * recordLength) {
    throw fileProblem(`.dbf 文件不完整：应有 ${dbfRecords} 条记录 (truncated .dbf)`, 'dbf', { records: dbfRecords });
  }
  // every record's declared size, points and rings, from the .shp itself (the .shx may be missing or lie)
  const shpRecords = await scanShpRecords(files.shp, shpSize, limits);
  if (shpRecords !== dbfRecords) {
    throw fileProblem(`.shp 有 ${shpRecords} 条记录，.dbf 有 ${dbfRecords} 条，记录数不一致 (record count mismatch: .shp ${shpRecords}, .dbf ${dbfRecords})`, 'shp', { shp: shpRecords, dbf: dbfRecords });
  }
  let shxRecords: number | null = null;
  if (files.shx) {
    const shx = await readAll(files.shx);
    shxRecords = shxFacts(shx, shapeType, limits);
    if (shxRecords !== dbfRecords) {
      throw fileProblem(`.shp/.shx 有 ${shxRecords} 条记录，.dbf 有 ${dbfRecords} 条，记录数不一致 (record count mismatch between .shx and .dbf)`, 'dbf', { shx: shxRecords, dbf: dbfRecords });
    }
  } else warnings.push('zip 中缺少 .shx 索引文件，按 .shp 顺序读取 (no .shx: records read in .shp order)');
  const cpg = files.cpg ? (await fs.readFile(files.cpg, 'latin1')).slice(0, 100) : null;
  const { encoding, encodingFrom } = chooseEncoding(dbf, cpg, declaredEncoding, warnings);
  return { dbfRecords, shxRecords, shapeType, bbox, encoding, encodingFrom, warnings };
}
