/** The upload's form fields (or query string) → UploadOptions; 400 naming a bad parameter. */
import { BadRequestError } from '../errors.js';
import type { UploadOptions } from './ingest-types.js';
import { parseCrsCode } from './source-crs.js';
import { normalizeEncodingName } from './text-encoding.js';

/** a version's note, from an upload or a restore */
export const MAX_NOTE_CHARS = 500;

function flag(v: string | undefined, name: string): boolean {
  if (v === undefined || v === '') return false;
  if (/^(true|1|yes|on)$/i.test(v)) return true;
  if (/^(false|0|no|off)$/i.test(v)) return false;
  throw new BadRequestError(`参数 ${name} 应为 true 或 false (invalid "${name}")`, { parameter: name });
}

const OPTION_NAMES = ['mode', 'dryRun', 'repair', 'crs', 'towgs84', 'encoding', 'note', 'layer', 'idField'] as const;

/** form fields and query parameters together: each option once, as text (a repeated query parameter arrives as an array) */
export function parseUploadOptions(raw: Record<string, unknown>): UploadOptions {
  const fields: Partial<Record<(typeof OPTION_NAMES)[number], string>> = {};
  for (const name of OPTION_NAMES) {
    const v = raw[name];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new BadRequestError(`参数 ${name} 只能给一次 (give "${name}" once)`, { parameter: name });
    fields[name] = v;
  }
  const mode = fields.mode?.trim() || 'replace';
  if (mode !== 'replace' && mode !== 'append') throw new BadRequestError('参数 mode 应为 replace 或 append (invalid "mode")', { parameter: 'mode' });
  const opts: UploadOptions = { mode, dryRun: flag(fields.dryRun, 'dryRun'), repair: flag(fields.repair, 'repair') };
  if (fields.crs?.trim()) {
    const code = parseCrsCode(fields.crs);
    if (code === null) throw new BadRequestError('参数 crs 应为 EPSG 代码，如 4530 或 EPSG:4530 (invalid "crs")', { parameter: 'crs' });
    opts.crs = code;
  }
  if (fields.towgs84?.trim()) {
    const nums = fields.towgs84.split(/[,，]/).map((s) => Number(s.trim()));
    if (nums.length !== 7 || nums.some((n) => !Number.isFinite(n))) {
      throw new BadRequestError('参数 towgs84 应为7个数字 dx,dy,dz,rx,ry,rz,s (invalid "towgs84")', { parameter: 'towgs84' });
    }
    opts.towgs84 = nums;
  }
  if (fields.encoding?.trim()) {
    if (!normalizeEncodingName(fields.encoding)) throw new BadRequestError(`不支持的编码“${fields.encoding}”，请用 UTF-8 或 GBK (invalid "encoding")`, { parameter: 'encoding' });
    opts.encoding = fields.encoding.trim();
  }
  if (fields.note !== undefined) {
    if (fields.note.length > MAX_NOTE_CHARS) throw new BadRequestError(`参数 note 超过 ${MAX_NOTE_CHARS} 字 (note too long)`, { parameter: 'note' });
    opts.note = fields.note;
  }
  if (fields.layer?.trim()) opts.layer = fields.layer.trim();
  if (fields.idField?.trim()) opts.idField = fields.idField.trim();
  return opts;
}
