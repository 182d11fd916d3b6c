/**
 * Streams the records of a .dbf (dBASE III attribute table) from disk, a chunk of whole
 * records at a time, decoding text with Node's own TextDecoder (ICU: utf-8, gbk, gb18030).
 * Why not the `shapefile` package's .dbf reader: it decodes through the `text-encoding`
 * JavaScript polyfill, which took 3.4 s of a 100 000-record GBK table (this reader: ~0.3 s).
 * Values follow that package's conventions so uploads read the same: C → trimmed string or
 * null, N/F/B/M → number or null, L → true/false/null, D → 'YYYY-MM-DD' or null; other field
 * types are read as trimmed text. Headers are checked beforehand by dbf-header.ts.
 */
import fs from 'node:fs/promises';

interface Field {
  name: string;
  type: string;
  offset: number;
  length: number;
  /** for C and other text fields: the value of bytes [start, end) of the buffer */
  text?: (buf: Buffer, start: number, end: number) => string | null;
}

/** bytes read per chunk (whole records); bounds memory whatever the table size */
const CHUNK_BYTES = 1 << 20;

/** ASCII white space as String.prototype.trim sees it: tab, LF, VT, FF, CR, space */
const isSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);

/**
 * Bytes [start, end) as trimmed text when all are ASCII, without a Buffer view or a string of the
 * untrimmed value (a view and a latin1 string per value were ~40% of this reader's time); '' for
 * nothing but white space; null when some byte is not ASCII.
 */
function asciiTrimmed(buf: Buffer, start: number, end: number): string | null {
  for (let i = start; i < end; i++) if (buf[i] >= 0x80) return null;
  while (start < end && isSpace(buf[start])) start++;
  while (end > start && isSpace(buf[end - 1])) end--;
  return start === end ? '' : buf.toString('latin1', start, end);
}

const readNumber = (buf: Buffer, start: number, end: number): number | null => {
  const t = asciiTrimmed(buf, start, end) ?? buf.toString('latin1', start, end).trim();
  if (!t) return null;
  const n = +t;
  return Number.isNaN(n) ? null : n;
};

const readBoolean = (s: string): boolean | null => (/^[nf]$/i.test(s) ? false : /^[yt]$/i.test(s) ? true : null);

const readDate = (s: string): string | null => (/^\d{8}$/.test(s) ? `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}` : null);

/** encodings in which every byte below 0x80 is that ASCII character, alone */
const ASCII_COMPATIBLE = new Set(['utf-8', 'utf8', 'gbk', 'gb18030']);
/** bytes of decoded values kept per table (keys and values, ~2 bytes a character): beyond it, each is decoded */
const DECODED_BYTES = 4 << 20;

/**
 * A text field's decoder. ICU's decode costs ~1 µs a call whatever the length, most of a GBK
 * table's reading (~0.3 s of 300 000 values in bench:ingest): an ASCII value (codes, numbers
 * kept as text) is its bytes read as latin1, and the non-ASCII values that repeat, as names of
 * townships and land classes do, are decoded once per field — while the table's `budget` of
 * kept values lasts (DECODED_BYTES, so memory stays bounded whatever the table).
 */
function textField(decoder: TextDecoder, encoding: string, budget: { bytes: number }): NonNullable<Field['text']> {
  if (!ASCII_COMPATIBLE.has(encoding.toLowerCase())) return (buf, start, end) => decoder.decode(buf.subarray(start, end)).trim() || null;
  const decoded = new Map<string, string | null>();
  return (buf, start, end) => {
    const ascii = asciiTrimmed(buf, start, end);
    if (ascii !== null) return ascii || null;
    const raw = buf.toString('latin1', start, end);
    let text = decoded.get(raw);
    if (text === undefined) {
      text = decoder.decode(buf.subarray(start, end)).trim() || null;
      const cost = 2 * (raw.length + (text?.length ?? 0));
      if (budget.bytes >= cost) {
        budget.bytes -= cost;
        decoded.set(raw, text);
      }
    }
    return text;
  };
}

export interface DbfReader {
  fields: string[];
  /** the next record's attributes, and whether it is marked deleted ('*'); null after the last record */
  next(): Promise<{ properties: Record<string, unknown>; deleted: boolean } | null>;
  close(): Promise<void>;
}

export async function openDbf(file: string, encoding: string): Promise<DbfReader> {
  const fh = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(32);
    await fh.read(head, 0, 32, 0);
    const records = head.readUInt32LE(4);
    const headerLength = head.readUInt16LE(8);
    const recordLength = head.readUInt16LE(10);
    const desc = Buffer.alloc(Math.max(0, headerLength - 32));
    await fh.read(desc, 0, desc.length, 32);
    // GBK files are read with the GB18030 decoder, a superset (rare characters in names survive)
    const decoder = new TextDecoder(encoding.toLowerCase() === 'gbk' ? 'gb18030' : encoding);
    const fields: Field[] = [];
    const budget = { bytes: DECODED_BYTES };
    for (let n = 0, offset = 1; n + 32 <= desc.length && desc[n] !== 0x0d; n += 32) {
      let j = 0;
      while (j < 11 && desc[n + j] !== 0) j++;
      const f: Field = { name: decoder.decode(desc.subarray(n, n + j)), type: String.fromCharCode(desc[n + 11]), offset, length: desc[n + 16] };
      f.text = textField(decoder, encoding, budget);
      offset += f.length;
      fields.push(f);
    }
    const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / Math.max(1, recordLength)));
    const buf = Buffer.alloc(perChunk * recordLength);
    let loaded = 0; // records in buf
    let at = 0; // next record in buf
    let read = 0; // records handed out
    let position = headerLength;
    const value = (rec: number, f: Field): unknown => {
      const start = rec * recordLength + f.offset;
      // within the chunk even when the fields add up to more than the record (a damaged header; found by a review)
      const end = Math.min(start + f.length, buf.length);
      switch (f.type) {
        case 'N':
        case 'F':
        case 'B':
        case 'M':
          return readNumber(buf, start, end);
        case 'L':
          return readBoolean(buf.toString('latin1', start, end));
        case 'D':
          return readDate(buf.toString('latin1', start, end));
        default:
          return f.text!(buf, start, end);
      }
    };
    return {
      fields: fields.map((f) => f.name),
      async next() {
        if (read >= records) return null;
        if (at >= loaded) {
          const want = Math.min(perChunk, records - read);
          const { bytesRead } = await fh.read(buf, 0, want * recordLength, position);
          position += bytesRead;
          loaded = Math.floor(bytesRead / recordLength);
          at = 0;
          if (loaded === 0) return null;
        }
        const rec = at++;
        // 0x1a marks the end of the table (some writers put it early)
        if (buf[rec * recordLength] === 0x1a) return null;
        read++;
        const out: Record<string, unknown> = {};
        for (const f of fields) out[f.name] = value(rec, f);
        // '*': deleted in the desktop GIS, still in the file until it is packed (GDAL and ArcGIS hide it)
        return { properties: out, deleted: buf[rec * recordLength] === 0x2a };
      },
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}
