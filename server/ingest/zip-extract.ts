/**
 * Opens an uploaded zip and extracts ONE shapefile set (.shp .shx .dbf, optional .prj .cpg)
 * into the upload's temp folder, defensively:
 * - entry names are only matched, never used as paths (files are written as `layer.shp` …),
 *   and names that would escape a folder (`../x.shp`, `/etc/x`, `C:\x`) refuse the zip;
 * - entry count and the declared uncompressed sizes are bounded before anything is inflated,
 *   and the bytes actually inflated are counted against the same bound (a zip may lie);
 * - archives inside the archive are refused rather than opened.
 * Names without the UTF-8 flag are decoded as GBK: Chinese Windows zips write them so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import iconv from 'iconv-lite';
import yauzl from 'yauzl';
import { PayloadTooLargeError, UnprocessableError } from '../errors.js';
import type { IngestLimits } from './ingest-limits.js';
import { fileProblem } from './problem-list.js';

export interface ShapefileSet {
  /** base name inside the zip, e.g. "规划区块" or "data/blocks" */
  name: string;
  shp: string;
  dbf: string;
  shx?: string;
  prj?: string;
  cpg?: string;
}

const PARTS = ['shp', 'shx', 'dbf', 'prj', 'cpg'] as const;
type Part = (typeof PARTS)[number];
const NESTED = /\.(zip|rar|7z|gz|tgz|tar|bz2|xz|kmz|jar)$/i;
/** .prj and .cpg are a few hundred bytes; more is not a projection */
const SMALL_PART_MAX = 64 * 1024;

interface Listed {
  entry: yauzl.Entry;
  name: string;
}

function decodeName(entry: yauzl.Entry): string {
  const raw = entry.fileName as unknown as Buffer;
  if (entry.generalPurposeBitFlag & 0x800) return raw.toString('utf8');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return iconv.decode(raw, 'gb18030');
  }
}

/** Would this name leave the folder it is extracted into? */
export function isUnsafeEntryName(name: string): boolean {
  const n = name.replace(/\\/g, '/');
  return n.startsWith('/') || /^[a-zA-Z]:/.test(n) || n.split('/').some((s) => s === '..') || n.includes('\u0000');
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, autoClose: false }, (err, zip) =>
      err || !zip ? reject(damaged(err)) : resolve(zip),
    ),
  );
}

function damaged(err: unknown): Error {
  return fileProblem(`zip 文件已损坏或无法读取 (damaged zip: ${(err as Error)?.message ?? 'unreadable'})`);
}

async function listEntries(zip: yauzl.ZipFile, limits: IngestLimits): Promise<Listed[]> {
  if (zip.entryCount > limits.zipEntries) {
    throw new PayloadTooLargeError(`zip 内文件数 ${zip.entryCount} 超过上限 ${limits.zipEntries} (too many zip entries; limit zipEntries)`, {
      limit: 'zipEntries',
      max: limits.zipEntries,
      actual: zip.entryCount,
    });
  }
  const out: Listed[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      out.push({ entry, name: decodeName(entry) });
      zip.readEntry();
    });
    zip.on('end', () => resolve());
    zip.on('error', (err) => reject(damaged(err)));
    zip.readEntry();
  });
  return out;
}

/** Group entries into shapefile sets by base name (case-insensitive extension). */
function groupSets(entries: Listed[]): Map<string, Partial<Record<Part, Listed>>> {
  const sets = new Map<string, Partial<Record<Part, Listed>>>();
  for (const e of entries) {
    if (e.name.endsWith('/') || e.name.split('/').some((s) => s === '__MACOSX' || s.startsWith('._'))) continue;
    if (isUnsafeEntryName(e.name)) {
      throw fileProblem(`zip 内含不安全的路径“${e.name}”，已拒绝 (unsafe path in zip: "${e.name}")`, 'file', { entry: e.name });
    }
    if (NESTED.test(e.name)) {
      throw fileProblem(`zip 内含压缩包“${e.name}”：请直接压缩 shapefile 文件，不要嵌套压缩 (nested archive "${e.name}" refused)`, 'file', { entry: e.name });
    }
    if (e.entry.isEncrypted()) throw fileProblem(`zip 内文件“${e.name}”已加密 (encrypted entry)`, 'file', { entry: e.name });
    const m = /^(.*)\.([a-z]+)$/i.exec(e.name);
    const ext = m?.[2].toLowerCase() as Part | undefined;
    if (!m || !ext || !PARTS.includes(ext)) continue;
    const set = sets.get(m[1]) ?? {};
    set[ext] = e;
    sets.set(m[1], set);
  }
  return sets;
}

function chooseSet(sets: Map<string, Partial<Record<Part, Listed>>>, wanted: string | undefined) {
  const layers = [...sets].filter(([, s]) => s.shp).map(([name]) => name);
  if (layers.length === 0) throw fileProblem('zip 中没有 .shp 文件 (no .shp in the zip)');
  let name: string | undefined;
  if (wanted !== undefined) {
    const w = wanted.replace(/\.shp$/i, '');
    name = layers.find((l) => l === w) ?? layers.find((l) => l.split('/').pop() === w);
    if (!name) throw fileProblem(`zip 中没有名为“${wanted}”的图层，可选：${layers.join('、')} (no layer "${wanted}" in the zip)`, 'layer', { layers });
  } else if (layers.length > 1) {
    throw fileProblem(`zip 中有 ${layers.length} 个图层：${layers.join('、')}，请用参数 layer 指定其一 (several layers in the zip; choose one with "layer")`, 'layer', { layers });
  } else name = layers[0];
  const set = sets.get(name)!;
  if (!set.dbf) throw fileProblem(`图层“${name}”缺少 .dbf 属性文件 (missing ${name}.dbf)`);
  return { name, set };
}

/**
 * Counts the bytes an entry inflates to: the zip's total against `max` (zip bombs), and the
 * entry's own against the size its header declares — more or fewer is a damaged or lying zip
 * (what yauzl's validateEntrySizes checks when it inflates; here we inflate ourselves)
 */
function counting(state: { bytes: number }, max: number, entry: string, declared: number): Transform {
  let own = 0;
  const lying = () => damaged(new Error(`"${entry}" inflates to ${own} bytes, its header says ${declared}`));
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      state.bytes += chunk.length;
      own += chunk.length;
      // the entry's own lie first: which of two entries inflating at once passes the total first is chance
      if (own > declared) done(lying());
      else if (state.bytes > max) done(zipTooLarge(max, state.bytes, entry));
      else done(null, chunk);
    },
    flush(done) {
      done(own === declared ? null : lying());
    },
  });
}

function zipTooLarge(max: number, actual: number, entry?: string): PayloadTooLargeError {
  return new PayloadTooLargeError(`zip 解压后超过 ${max} 字节 (uncompressed size exceeds zipUncompressedBytes = ${max})`, {
    limit: 'zipUncompressedBytes',
    max,
    actual,
    ...(entry ? { entry } : {}),
  });
}

/**
 * Inflated by our own zlib stream rather than yauzl's: its 16 KiB chunks made ~2 600 writes of a
 * 41 MB shapefile set, and the extraction of bench:ingest's zip took ~2× the time and CPU
 * (scratch timing of extractShapefileSet, 7 passes: ~180–240 → ~100–150 ms), all before the
 * database has anything to do
 */
const INFLATE_CHUNK = 1 << 20;

function extractEntry(zip: yauzl.ZipFile, e: Listed, target: string, state: { bytes: number }, max: number): Promise<void> {
  const method = e.entry.compressionMethod;
  if (method !== 0 && method !== 8) return Promise.reject(damaged(new Error(`unsupported compression method ${method} of "${e.name}"`)));
  return new Promise((resolve, reject) =>
    zip.openReadStream(e.entry, { decodeFileData: false }, (err, raw) => {
      if (err || !raw) return reject(damaged(err));
      const inflate = method === 8 ? [zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK })] : [];
      pipeline([raw, ...inflate, counting(state, max, e.name, e.entry.uncompressedSize), fs.createWriteStream(target, { flags: 'wx' })]).then(resolve, (e2: Error) =>
        reject(e2 instanceof PayloadTooLargeError || e2 instanceof UnprocessableError ? e2 : damaged(e2)),
      );
    }),
  );
}

/** Extract the chosen (or only) shapefile set of `zipPath` into `dir`. */
export async function extractShapefileSet(zipPath: string, dir: string, limits: IngestLimits, wanted?: string): Promise<ShapefileSet> {
  const zip = await openZip(zipPath);
  try {
    const { name, set } = chooseSet(groupSets(await listEntries(zip, limits)), wanted);
    const parts = PARTS.filter((p) => set[p]);
    const declared = parts.reduce((sum, p) => sum + set[p]!.entry.uncompressedSize, 0);
    if (declared > limits.zipUncompressedBytes) throw zipTooLarge(limits.zipUncompressedBytes, declared);
    for (const p of ['prj', 'cpg'] as const) {
      if (set[p] && set[p]!.entry.uncompressedSize > SMALL_PART_MAX) throw fileProblem(`${name}.${p} 过大，不是有效的 .${p} 文件 (.${p} too large)`);
    }
    const state = { bytes: 0 };
    const out: ShapefileSet = { name, shp: '', dbf: '' };
    // the parts at once: each inflates on libuv's thread pool, so the .shp and the .dbf (most of
    // the bytes) take the time of the larger, not of both (~90 ms less of a 6.5 MB zip here);
    // every extraction has ended, written or failed, before this returns or throws
    const done = await Promise.allSettled(
      parts.map(async (p) => {
        const target = path.join(dir, `layer.${p}`);
        await extractEntry(zip, set[p]!, target, state, limits.zipUncompressedBytes);
        out[p] = target;
      }),
    );
    const failed = done.find((d): d is PromiseRejectedResult => d.status === 'rejected');
    if (failed) throw failed.reason;
    return out;
  } finally {
    zip.close();
  }
}

/**
 * A KMZ is a zip with a .kml and no .shp: extract its document (doc.kml if present, else the
 * first .kml in the zip's order) to `dir/doc.kml` under the same bounds as a shapefile set.
 * Returns null for any other zip (a shapefile zip goes to extractShapefileSet).
 */
export async function extractKmzDocument(zipPath: string, dir: string, limits: IngestLimits): Promise<{ path: string; name: string; size: number } | null> {
  const zip = await openZip(zipPath);
  try {
    const entries = (await listEntries(zip, limits)).filter((e) => !e.name.endsWith('/') && !e.name.split('/').some((s) => s === '__MACOSX' || s.startsWith('._')));
    if (entries.some((e) => /\.shp$/i.test(e.name))) return null;
    const kmls = entries.filter((e) => /\.kml$/i.test(e.name));
    if (kmls.length === 0) return null;
    for (const e of entries) {
      if (isUnsafeEntryName(e.name)) throw fileProblem(`zip 内含不安全的路径“${e.name}”，已拒绝 (unsafe path in zip: "${e.name}")`, 'file', { entry: e.name });
    }
    const chosen = kmls.find((e) => e.name.toLowerCase() === 'doc.kml') ?? kmls[0];
    if (chosen.entry.isEncrypted()) throw fileProblem(`zip 内文件“${chosen.name}”已加密 (encrypted entry)`, 'file', { entry: chosen.name });
    const kmlMax = limits.kmlBytes;
    if (chosen.entry.uncompressedSize > kmlMax) {
      throw new PayloadTooLargeError(`KMZ 中的“${chosen.name}”解压后超过 ${kmlMax} 字节 (KML larger than kmlBytes = ${kmlMax})`, { limit: 'kmlBytes', max: kmlMax, actual: chosen.entry.uncompressedSize, entry: chosen.name });
    }
    if (chosen.entry.uncompressedSize > limits.zipUncompressedBytes) throw zipTooLarge(limits.zipUncompressedBytes, chosen.entry.uncompressedSize, chosen.name);
    const target = path.join(dir, 'doc.kml');
    const state = { bytes: 0 };
    // inflated bytes counted against the KML bound too: a declared size may lie
    await extractEntry(zip, chosen, target, state, Math.min(kmlMax, limits.zipUncompressedBytes));
    return { path: target, name: chosen.name, size: state.bytes };
  } finally {
    zip.close();
  }
}
