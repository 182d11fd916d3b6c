/**
 * The .dbf reader's text fields (ingest/dbf-records.ts): ASCII values read as their bytes, the
 * non-ASCII ones decoded (and kept decoded per field while they repeat) — the same strings as
 * decoding every value with the table's decoder, in GBK and UTF-8, past the bound of values kept.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openDbf } from '../../server/ingest/dbf-records.js';
import { dbfBytes } from '../fixtures/uploads/shp-bytes.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbf-records-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** every text value decoded by itself with the table's decoder: the reader's former way, the reference */
function reference(bytes: Buffer, encoding: string) {
  const decoder = new TextDecoder(encoding === 'gbk' ? 'gb18030' : encoding);
  const count = bytes.readUInt32LE(4);
  const headerLength = bytes.readUInt16LE(8);
  const recordLength = bytes.readUInt16LE(10);
  const fields: { name: string; length: number }[] = [];
  for (let n = 32; bytes[n] !== 0x0d; n += 32) fields.push({ name: bytes.toString('latin1', n, n + 11).replace(/\0+$/, ''), length: bytes[n + 16] });
  return Array.from({ length: count }, (_, k) => {
    const out: Record<string, string | null> = {};
    let at = headerLength + k * recordLength + 1;
    for (const f of fields) {
      out[f.name] = decoder.decode(bytes.subarray(at, at + f.length)).trim() || null;
      at += f.length;
    }
    return out;
  });
}

async function readAll(file: string, encoding: string) {
  const table = await openDbf(file, encoding);
  const out: Record<string, unknown>[] = [];
  for (let r = await table.next(); r !== null; r = await table.next()) out.push(r.properties);
  await table.close();
  return out;
}

describe('.dbf text fields', () => {
  // 5 000 distinct Chinese names, a few repeated ones, ASCII codes, blanks
  const townships = ['米沙子镇', '大房身镇', '菜园子镇', '朱城子镇'];
  const records = Array.from({ length: 5000 }, (_, i) => [`B-${String(i).padStart(6, '0')}`, townships[i % 4], `第${i}号地块（𠀋）`, i % 7 === 0 ? '' : `mixed ${i} 号`]);
  const fields = [
    { name: 'CODE', length: 12 },
    { name: 'TOWN', length: 16 },
    { name: 'NAME', length: 40 },
    { name: 'NOTE', length: 20 },
  ];

  for (const encoding of ['gbk', 'utf-8'] as const) {
    it(`${encoding}: every value as the decoder reads it, repeated or not, ASCII or not`, async () => {
      const file = path.join(dir, `t-${encoding}.dbf`);
      const bytes = dbfBytes(fields, records, { encoding });
      fs.writeFileSync(file, bytes);
      const got = await readAll(file, encoding);
      expect(got).toEqual(reference(bytes, encoding));
      // and the reference reads what was written
      expect(got[5]).toEqual({ CODE: 'B-000005', TOWN: '大房身镇', NAME: encoding === 'gbk' ? '第5号地块（?）' : '第5号地块（𠀋）', NOTE: 'mixed 5 号' });
      expect(got[7].NOTE).toBeNull();
    });
  }

  it('past the table\'s budget of kept values (wide fields of unique text), every value is still read as the decoder reads it', async () => {
    const file = path.join(dir, 't-wide.dbf');
    const wide = Array.from({ length: 8000 }, (_, i) => [`宽字段${i}`.padEnd(60, '镇'), townships[i % 4]]);
    const bytes = dbfBytes([{ name: 'WIDE', length: 254 }, { name: 'TOWN', length: 16 }], wide, { encoding: 'gbk' });
    fs.writeFileSync(file, bytes);
    const got = await readAll(file, 'gbk');
    expect(got).toEqual(reference(bytes, 'gbk'));
    expect(got[7999]).toEqual({ WIDE: '宽字段7999'.padEnd(60, '镇'), TOWN: '朱城子镇' });
  });

  it('a value that is ASCII in one record and the same bytes elsewhere read the same way; NUL padding kept as before', async () => {
    const file = path.join(dir, 't-nul.dbf');
    const bytes = dbfBytes([{ name: 'A', length: 6 }], [['ab'], ['ab'], ['镇']], { encoding: 'gbk' });
    // NUL padding after "ab" in the second record (some writers pad with NUL): read as the decoder reads it
    const headerLength = bytes.readUInt16LE(8);
    bytes.fill(0, headerLength + 7 + 1 + 2, headerLength + 7 + 1 + 6);
    fs.writeFileSync(file, bytes);
    const decoder = new TextDecoder('gb18030');
    const got = await readAll(file, 'gbk');
    expect(got).toEqual([{ A: 'ab' }, { A: decoder.decode(Buffer.from('ab\0\0\0\0', 'latin1')).trim() }, { A: '镇' }]);
  });

  // the reader trims ASCII values on their bytes (no view, no untrimmed string): the same as the decoder and String#trim
  it('any bytes — white space of every kind, NUL, bytes over 0x7f — read as the decoder and trim read them; N fields as numbers as before', async () => {
    const byte = fc.oneof(fc.constantFrom(0x00, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1c, 0x85), fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.array(byte, { minLength: 8, maxLength: 8 }), fc.array(byte, { minLength: 6, maxLength: 6 })), { minLength: 1, maxLength: 20 }), fc.constantFrom('gbk', 'utf-8'), async (rows, encoding) => {
        const fields = [
          { name: 'T', length: 8 },
          { name: 'N', length: 6 },
        ];
        const bytes = dbfBytes(fields, rows.map(() => ['', '']), { encoding: encoding as 'gbk' | 'utf-8' });
        const headerLength = bytes.readUInt16LE(8);
        bytes[32 + 32 + 11] = 'N'.charCodeAt(0);
        rows.forEach(([text, num], k) => {
          const at = headerLength + k * 15 + 1;
          Buffer.from(text).copy(bytes, at);
          Buffer.from(num).copy(bytes, at + 8);
        });
        const file = path.join(dir, `t-any-${run++}.dbf`);
        fs.writeFileSync(file, bytes);
        const got = await readAll(file, encoding);
        const decoder = new TextDecoder(encoding === 'gbk' ? 'gb18030' : encoding);
        expect(got).toEqual(
          rows.map(([text, num]) => {
            const t = Buffer.from(num).toString('latin1').trim();
            const n = t ? +t : null;
            return { T: decoder.decode(Buffer.from(text)).trim() || null, N: n === null || Number.isNaN(n) ? null : n };
          }),
        );
      }),
      { numRuns: 300 },
    );
  });
});
