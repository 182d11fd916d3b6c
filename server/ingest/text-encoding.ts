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

export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** bytes looked at to tell short GBK text that happens to be valid UTF-8 */
const PLAUSIBILITY_BYTES = 64 * 1024;
/** IPA, spacing modifiers, combining marks, Greek, Cyrillic … up to Phonetic Extensions: never in Dehui's data (pinyin tone marks are below) */
const implausible = (c: number) => c >= 0x0250 && c <= 0x1dff;
/** CJK ideographs, CJK and full-width punctuation, general punctuation (“”…) */
const chinese = (c: number) => (c >= 0x3400 && c <= 0x9fff) || (c >= 0x3000 && c <= 0x303f) || (c >= 0xff00 && c <= 0xffef) || (c >= 0x2000 && c <= 0x206f);

/**
 * Valid UTF-8 that reads as nonsense and as Chinese in GBK is GBK: in GBK, 同太, 砂石 and 小 are
 * valid UTF-8 byte pairs (Greek, IPA, Cyrillic), and a one-block table of such names was stored
 * garbled (found by a review).
 */
function gbkInDisguise(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, PLAUSIBILITY_BYTES);
  const share = (text: string, test: (c: number) => boolean) => {
    let all = 0;
    let hit = 0;
    for (const ch of text) {
      const c = ch.codePointAt(0)!;
      if (c < 0x80 || c === 0xfffd) continue;
      all++;
      if (test(c)) hit++;
    }
    return all ? hit / all : 0;
  };
  if (share(new TextDecoder('utf-8').decode(head), implausible) < 0.5) return false;
  return share(new TextDecoder('gb18030').decode(head), chinese) >= 0.9;
}

/** Guess the encoding of undeclared bytes: BOM, else strict UTF-8 (unless it is GBK in disguise), else GBK. */
export function detectEncoding(bytes: Uint8Array): { encoding: TextEncoding; bom: boolean } {
  if (startsWith(bytes, UTF8_BOM)) return { encoding: 'utf-8', bom: true };
  if (startsWith(bytes, [0xff, 0xfe])) return { encoding: 'utf-16le', bom: true };
  if (startsWith(bytes, [0xfe, 0xff])) return { encoding: 'utf-16be', bom: true };
  return { encoding: isValidUtf8(bytes) && !gbkInDisguise(bytes) ? 'utf-8' : 'gbk', bom: false };
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
    // declared UTF-8 is taken whenever the bytes are UTF-8 (the GBK-in-disguise guess is for undeclared text only)
    if (named === 'utf-8' && !isValidUtf8(detected.bom ? bytes.subarray(3) : bytes)) {
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
