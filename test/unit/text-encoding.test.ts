import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { UnprocessableError } from '../../server/errors.js';
import { decodeText, detectEncoding, normalizeEncodingName } from '../../server/ingest/text-encoding.js';

const SAMPLE = '坐标系=2000国家大地坐标系\r\n地块名称=大房身镇矿泉水区块（一）\r\n';
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const gbk = (s: string): Uint8Array => iconv.encode(s, 'gbk');

describe('detectEncoding', () => {
  it('calls pure ASCII UTF-8, however short', () => {
    expect(detectEncoding(utf8('5,1'))).toEqual({ encoding: 'utf-8', bom: false });
    expect(detectEncoding(new Uint8Array())).toEqual({ encoding: 'utf-8', bom: false });
  });

  it('tells GBK Chinese from UTF-8 Chinese', () => {
    expect(detectEncoding(gbk(SAMPLE)).encoding).toBe('gbk');
    expect(detectEncoding(utf8(SAMPLE)).encoding).toBe('utf-8');
  });

  // found by a review: these GBK names are valid UTF-8 byte pairs, read as Greek, IPA and Cyrillic
  it('tells short GBK text that happens to be valid UTF-8 by what it reads as', () => {
    const names = 'KC-01 同太 砂石 小';
    expect(new TextDecoder('utf-8', { fatal: true }).decode(gbk(names))).not.toBe(names); // valid UTF-8 indeed
    expect(detectEncoding(gbk(names)).encoding).toBe('gbk');
    expect(detectEncoding(utf8(names)).encoding).toBe('utf-8');
    // pinyin with tone marks and Latin accents stay UTF-8
    expect(detectEncoding(utf8('Dé Huì Mǐshāzi Café')).encoding).toBe('utf-8');
    // a declared UTF-8 is taken when the bytes are UTF-8, whatever they read as
    expect(decodeText(utf8('Мишацзы'), 'UTF-8').text).toBe('Мишацзы');
  });

  it('sees UTF-8 and UTF-16 byte-order marks', () => {
    expect(detectEncoding(Uint8Array.from([0xef, 0xbb, 0xbf, 0x41]))).toEqual({ encoding: 'utf-8', bom: true });
    expect(detectEncoding(Uint8Array.from([0xff, 0xfe, 0x41, 0]))).toEqual({ encoding: 'utf-16le', bom: true });
  });
});

describe('decodeText', () => {
  it('decodes undeclared GBK bytes to the original Chinese text', () => {
    expect(decodeText(gbk(SAMPLE))).toEqual({ text: SAMPLE, encoding: 'gbk', bom: false });
  });

  it('strips a UTF-8 BOM so the first line starts with its own text', () => {
    const r = decodeText(Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8('[属性描述]')]));
    expect(r).toEqual({ text: '[属性描述]', encoding: 'utf-8', bom: true });
  });

  it('decodes UTF-16LE with a BOM (Notepad’s “Unicode”)', () => {
    const bytes = Uint8Array.from([0xff, 0xfe, ...Buffer.from('地块', 'utf16le')]);
    expect(decodeText(bytes).text).toBe('地块');
  });

  it('honours every common spelling of a declared GBK, whatever the case', () => {
    for (const name of ['GBK', 'gb2312', 'GB18030', '936', 'CP936', 'ANSI 936', 'ansi_936', ' cp936\n']) {
      expect(decodeText(gbk(SAMPLE), name).text).toBe(SAMPLE);
    }
    expect(decodeText(gbk(SAMPLE), 'GB18030').encoding).toBe('gb18030');
  });

  it('honours a declared GBK even for bytes that happen to be valid UTF-8', () => {
    // The UTF-8 bytes of 中文 also read as (mojibake) GBK: the declaration decides.
    const declared = decodeText(utf8('中文'), 'GBK');
    expect(declared.text).not.toBe('中文');
    expect(declared.text).toBe(iconv.decode(Buffer.from(utf8('中文')), 'gbk'));
    expect(declared.encoding).toBe('gbk');
    expect(decodeText(utf8('中文')).text).toBe('中文');
  });

  it('refuses an unknown declared encoding with a 422 naming the field encoding', () => {
    try {
      decodeText(utf8('x'), 'EBCDIC');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnprocessableError);
      expect((e as UnprocessableError).details).toMatchObject({ problems: [{ field: 'encoding', severity: 'error' }] });
    }
  });

  it('refuses GBK bytes declared as UTF-8 instead of producing replacement characters', () => {
    expect(() => decodeText(gbk(SAMPLE), 'UTF-8')).toThrow(/不是有效的 UTF-8/);
  });
});

describe('normalizeEncodingName', () => {
  it('maps .cpg spellings to decoders and unknown names to null', () => {
    expect(normalizeEncodingName('UTF-8')).toBe('utf-8');
    expect(normalizeEncodingName('utf8')).toBe('utf-8');
    expect(normalizeEncodingName('ANSI 936')).toBe('gbk');
    expect(normalizeEncodingName('latin1')).toBeNull();
  });
});
