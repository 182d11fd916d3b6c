/**
 * Text decoding for uploaded files from Chinese desktop GIS tools.
 *
 * Those tools write GBK ("ANSI 936") unless told otherwise; newer ones write UTF-8, often with
 * a BOM. A declared encoding (request parameter, shapefile .cpg) wins; otherwise strict UTF-8
 * validation decides, because GBK Chinese text is practically never valid UTF-8 while ASCII is
 * both. GBK is decoded with iconv-lite's GB18030 codec, a superset, so rare characters in names
 * (生僻字 in 村名) survive.
 */
import iconv from 'iconv-lite';
import { UnprocessableError } from '../errors.js';

export type TextEncoding = 'utf-8' | 'gbk' | 'gb18030' | 'utf-16le' | 'utf-16be';

export interface DecodedText {
  text: string;
  encoding: TextEncoding;
  /** a byte-order mark was present (and has been removed from `text`) */
  bom: boolean;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Map a declared name (.cpg content, `encoding` parameter) to a decoder; null if unknown. */
export function normalizeEncodingName(declared: string): TextEncoding | null {
  const n = declared.trim().toLowerCase().replace(/[\s_]+/g, ' ');
  if (/^(utf-?8|utf 8|65001|ascii|us-ascii)$/.test(n)) return 'utf-8';
  if (/^(gbk|gb2312|gb 2312|936|cp ?936|ansi 936|windows-936|x-gbk|euc-cn)$/.test(n)) return 'gbk';
  if (/^(gb18030|gb 18030|54936)$/.test(n)) return 'gb18030';
  if (/^utf-?16(le)?$/.test(n)) return 'utf-16le';
  if (/^utf-?16be$/.test(n)) return 'utf-16be';
  return null;
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Guess the encoding of undeclared bytes: BOM, else strict UTF-8, else GBK. */
export function detectEncoding(bytes: Uint8Array): { encoding: TextEncoding; bom: boolean } {
  if (startsWith(bytes, UTF8_BOM)) return { encoding: 'utf-8', bom: true };
  if (startsWith(bytes, [0xff, 0xfe])) return { encoding: 'utf-16le', bom: true };
  if (startsWith(bytes, [0xfe, 0xff])) return { encoding: 'utf-16be', bom: true };
  return { encoding: isValidUtf8(bytes) ? 'utf-8' : 'gbk', bom: false };
}

function encodingProblem(message: string): UnprocessableError {
  return new UnprocessableError(message, { problems: [{ field: 'encoding', severity: 'error', message }] });
}

/**
 * Decode file bytes to text. A BOM overrides the declaration: it is unambiguous, while a
 * declared encoding is often a form default. A declared UTF-8 that is not valid UTF-8 is
 * refused rather than decoded to U+FFFD, which would silently destroy every Chinese name.
 */
export function decodeText(bytes: Uint8Array, declared?: string): DecodedText {
  let encoding: TextEncoding;
  let bom: boolean;
  const detected = detectEncoding(bytes);
  if (declared !== undefined && declared.trim() !== '' && !detected.bom) {
    const named = normalizeEncodingName(declared);
    if (!named) throw encodingProblem(`不支持的字符编码“${declared}”，请使用 UTF-8 或 GBK (unsupported encoding "${declared}"; use UTF-8 or GBK)`);
    if (named === 'utf-8' && detected.encoding !== 'utf-8') {
      throw encodingProblem('文件声明为 UTF-8，但内容不是有效的 UTF-8（可能是 GBK） (declared UTF-8 but the bytes are not valid UTF-8; GBK?)');
    }
    [encoding, bom] = [named, false];
  } else {
    ({ encoding, bom } = detected);
  }
  const body = bom ? bytes.subarray(encoding === 'utf-8' ? 3 : 2) : bytes;
  let text: string;
  if (encoding === 'utf-8') text = new TextDecoder('utf-8').decode(body);
  else if (encoding === 'utf-16le' || encoding === 'utf-16be') text = new TextDecoder(encoding).decode(body);
  else text = iconv.decode(body, 'gb18030');
  return { text, encoding, bom };
}
