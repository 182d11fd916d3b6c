/**
 * What kind of file was uploaded, by content (magic bytes), not by name: browsers and users
 * rename files, and a name is not evidence. The name only breaks a tie and words the message.
 */
import fs from 'node:fs/promises';
import { fileProblem } from './problem-list.js';
import { decodeText } from './text-encoding.js';

/** zip is opened next to find the shapefile (or, for a KMZ, the .kml) inside */
export type DetectedKind = 'zip' | 'geojson' | 'txt' | 'gpkg' | 'kml';

const SNIFF_BYTES = 64 * 1024;

/** A point line of the boundary-coordinate TXT: 点号, 圈号, X, Y. */
const POINT_LINE = /^\s*[^,\s]{1,20}\s*,\s*\d+\s*,\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*$/m;

export async function sniff(filePath: string): Promise<Buffer> {
  const fh = await fs.open(filePath, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The format of an upload, or a 422 naming what it looks like instead. */
export function detectFormat(head: Buffer, fileName: string): DetectedKind {
  if (head.length === 0) throw fileProblem('上传的文件是空的 (the file is empty)');
  if (isZip(head)) return 'zip';
  if (head.length >= 4 && head.readUInt32BE(0) === 9994) {
    throw fileProblem('这是单独的 .shp 文件：请将 .shp、.shx、.dbf（及 .prj、.cpg）一起压缩为 zip 上传 (a bare .shp: zip it with its .shx, .dbf, .prj and .cpg)');
  }
  // any SQLite file: geopackage-read.ts says so when it is SQLite but not a GeoPackage
  if (head.subarray(0, 16).toString('latin1') === 'SQLite format 3\u0000') return 'gpkg';
  if (head[0] === 0x1f && head[1] === 0x8b) throw fileProblem('不支持 gzip 压缩文件，请使用 zip (gzip is not supported; use zip)');
  let text: string;
  try {
    text = decodeText(cutAtLine(head)).text;
  } catch {
    throw unknown(fileName);
  }
  const start = text.trimStart();
  if (start.startsWith('{')) return 'geojson';
  if (start.startsWith('<')) {
    // the sniffed text is cut at its last newline; a one-line (minified) document's root element
    // is past that cut, so the raw bytes are looked at too (element names are ASCII)
    if (isKml(start) || isKml(head.toString('latin1').replace(/^\uFEFF|^ï»¿/, ''))) return 'kml';
    throw fileProblem('不支持 KML 以外的 XML（如 GML）：请导出为 GeoPackage、shapefile（zip）或 GeoJSON (XML other than KML, e.g. GML, is not supported)');
  }
  if (text.includes('[属性描述]') || text.includes('[地块坐标]') || POINT_LINE.test(text)) return 'txt';
  throw unknown(fileName);
}

/**
 * Is this XML's root element `kml` (any prefix)? The prolog — declaration, comments,
 * processing instructions, a DOCTYPE — is skipped; a DOCTYPE naming kml whose internal subset
 * runs past the sniffed bytes counts as KML (the reader then refuses what it declares).
 */
export function isKml(text: string): boolean {
  let rest = text.trimStart();
  for (;;) {
    const m = /^(<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE\s+[^[>]*(\[[\s\S]*?\]\s*)?>)\s*/i.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length);
  }
  if (/^<([\w.-]+:)?kml[\s/>]/i.test(rest)) return true;
  return /^<!DOCTYPE\s+([\w.-]+:)?kml\b/i.test(rest);
}

export const isZip = (head: Buffer): boolean => head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05);

/** Cut a sniffed prefix at its last newline so a multi-byte character is never split. */
function cutAtLine(head: Buffer): Buffer {
  const nl = head.lastIndexOf(0x0a);
  return nl > 0 && head.length === SNIFF_BYTES ? head.subarray(0, nl) : head;
}

function unknown(fileName: string): ReturnType<typeof fileProblem> {
  return fileProblem(
    `无法识别文件“${fileName}”的格式：支持 zip 压缩的 shapefile、GeoJSON、GeoPackage（.gpkg）、KML/KMZ、界址点坐标 TXT (unrecognised format; supported: zipped shapefile, GeoJSON, GeoPackage, KML/KMZ, boundary-coordinate TXT)`,
  );
}
