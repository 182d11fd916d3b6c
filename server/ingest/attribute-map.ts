/**
 * Maps a file's attribute names to the layer's schema (AttributeDef: name, Chinese label,
 * type, required). A source field matches a schema attribute by name, then by label
 * (区块编号 → code), then by a unique label or name prefix, because .dbf field names are cut at
 * 10 bytes (5 GBK characters; mining_method → mining_met). Unknown fields are kept as they are.
 * Values are coerced to the schema type where that is lossless; otherwise the row gets an error.
 */
import type { AttributeDef } from '../db/schema.js';
import { BEIJING_OFFSET_MS, beijingDate, isRfc3339Date } from '../rfc3339.js';
import type { ProblemList } from './problem-list.js';

export interface MappedFeature {
  id: string | null;
  properties: Record<string, unknown>;
}

const norm = (s: string) => s.replace(/[\s_()（）]/g, '').toLowerCase();

function isoDate(d: Date): string | null {
  if (Number.isNaN(d.getTime())) return null;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A value as the schema type wants it; `undefined` means "cannot" (an error for the row). */
function coerce(v: unknown, type: AttributeDef['type']): unknown {
  if (v === null || v === undefined || v === '') return null;
  if (v instanceof Date) v = isoDate(v);
  switch (type) {
    case 'string':
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    case 'number':
    case 'integer': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(v) ? Number(v) : NaN;
      if (!Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) return undefined;
      return n;
    }
    case 'boolean':
      if (typeof v === 'boolean') return v;
      if (/^(true|t|y|yes|1|是)$/i.test(String(v).trim())) return true;
      if (/^(false|f|n|no|0|否)$/i.test(String(v).trim())) return false;
      return undefined;
    case 'date':
      return calendarDate(String(v));
  }
}

/**
 * A date as staff write it — 2023-01-05, 20230105, 2023/1/5, 2023.1.5, 2023年1月5日, with an
 * optional time after it (" 00:00:00"; with an offset, T20:00:00Z, it is the Beijing date of that
 * instant) — as YYYY-MM-DD, if it is a real calendar day and a real time; else undefined (found
 * by a walkthrough: 2028-13-45 and 2023-01-01abc were stored as dates, 2023/01/01 refused).
 */
function calendarDate(raw: string): string | undefined {
  const m = /^(\d{4})(?:-(\d{1,2})-(\d{1,2})|(\d{2})(\d{2})|\/(\d{1,2})\/(\d{1,2})|\.(\d{1,2})\.(\d{1,2})|年(\d{1,2})月(\d{1,2})日)(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(raw.trim());
  if (!m) return undefined;
  const [month, day] = [m[2] ?? m[4] ?? m[6] ?? m[8] ?? m[10], m[3] ?? m[5] ?? m[7] ?? m[9] ?? m[11]];
  const iso = `${m[1]}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
  if (!isRfc3339Date(iso)) return undefined;
  const [hour, minute, second, offset] = [Number(m[12] ?? 0), Number(m[13] ?? 0), Number(m[14] ?? 0), m[15]];
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  if (!offset) return iso; // a local time: the date as written
  // an instant with an offset: the date it falls on in Beijing, the zone of the stored dates (OGC datetime, datetime.ts)
  const at = Date.parse(`${iso}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:${String(second).padStart(2, '0')}${offset === 'Z' ? 'Z' : offset.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`);
  if (!Number.isFinite(at)) return undefined;
  // (an instant whose Beijing date leaves years 0001–9999 is no date; beijingDate would clamp it)
  const year = new Date(at + BEIJING_OFFSET_MS).getUTCFullYear();
  return year >= 1 && year <= 9999 ? beijingDate(at) : undefined;
}

/** a field name as long as a .dbf allows: 10 bytes, or 9 when it holds 2-byte (GBK) characters */
function cutAtDbfLimit(key: string): boolean {
  const bytes = gbkBytes(key);
  return bytes === 10 || (bytes === 9 && /[^\x00-\x7f]/.test(key));
}

export class AttributeMapper {
  /** source field → schema name (or itself when unknown) */
  readonly fields = new Map<string, string>();
  private readonly byName = new Map<string, AttributeDef>();
  /** per source field: an exported id column (id/fid, not a schema attribute) — asked once per field, not per row */
  private readonly idColumns = new Map<string, boolean>();

  constructor(
    private readonly attributes: AttributeDef[],
    private readonly problems: ProblemList,
    private readonly idField?: string,
  ) {
    for (const a of attributes) this.byName.set(a.name, a);
  }

  private resolve(key: string, taken: Set<string>): string {
    const known = this.fields.get(key);
    if (known !== undefined) return known;
    const k = norm(key);
    const free = this.attributes.filter((a) => !taken.has(a.name));
    const hit =
      free.find((a) => a.name === key) ??
      free.find((a) => norm(a.name) === k) ??
      free.find((a) => norm(a.label) === k) ??
      // a label's prefix only for a name cut at the .dbf's 10 bytes: a whole short name such as
      // 面积 is not 面积（平方公里） — its unit is unknown (found by a review: m² stored as km²)
      (k.length >= 2 && gbkBytes(key) >= 9 ? uniq(free.filter((a) => norm(a.label).startsWith(k))) : undefined) ??
      // and a name's prefix for the same reason — GDAL writes mining_method as mining_met (found by a
      // walkthrough) — only for a name of the full 10 bytes, so remark_cn is not remark_cn_long (a review)
      (cutAtDbfLimit(key) ? uniq(free.filter((a) => a.name.toLowerCase().startsWith(key.toLowerCase()) && a.name.length > key.length)) : undefined);
    const target = hit?.name ?? key;
    this.fields.set(key, target);
    return target;
  }

  /** Map one feature's properties; row problems go to the list with the feature index. */
  map(index: number, fileId: string | number | null | undefined, props: Record<string, unknown>, line?: number | null): MappedFeature {
    const at = line === null || line === undefined ? {} : { line }; // a TXT parcel's header line
    const out: Record<string, unknown> = {};
    const taken = new Set<string>();
    let id = fileId === undefined || fileId === null || fileId === '' ? null : String(fileId);
    const source = props ?? {};
    for (const key in source) {
      if (!Object.hasOwn(source, key)) continue;
      const value = source[key];
      if (this.idField && (key === this.idField || this.fields.get(key) === this.idField)) {
        if (value !== null && value !== undefined && value !== '') id = String(value);
      }
      let idColumn = this.idColumns.get(key);
      if (idColumn === undefined) this.idColumns.set(key, (idColumn = /^(id|fid)$/i.test(key) && !this.byName.has(key)));
      if (idColumn) {
        // an exported id column: the feature id, not an attribute — but 0 is ArcMap's default Id of
        // every new shape, no id (it made every row a duplicate of the first; found by a review)
        if (id === null && value !== null && value !== '' && value !== 0 && value !== '0') id = String(value);
        continue;
      }
      const name = this.resolve(key, taken);
      taken.add(name);
      const def = this.byName.get(name);
      if (!def) {
        out[name] = value instanceof Date ? isoDate(value) : value;
        continue;
      }
      const v = coerce(value, def.type);
      if (v === undefined) {
        this.problems.error({ feature: index, ...at, field: key, message: `“${def.label}”(${def.name}) 的值“${String(value).slice(0, 40)}”不是 ${def.type} (not a ${def.type})` });
        out[name] = value;
      } else out[name] = v;
    }
    for (const def of this.attributes) {
      if (def.required && (out[def.name] === null || out[def.name] === undefined || out[def.name] === '')) {
        this.problems.error({ feature: index, ...at, field: def.name, message: `缺少必填字段“${def.label}”(${def.name}) (missing required field)` });
      }
    }
    if (id !== null && id.length > 200) {
      this.problems.error({ feature: index, ...at, field: 'id', message: '要素编号超过200个字符 (feature id longer than 200 characters)' });
      id = id.slice(0, 200);
    }
    return { id, properties: out };
  }

  /** source field → schema name, for the report (only fields that were renamed) */
  renamed(): Record<string, string> {
    return Object.fromEntries([...this.fields].filter(([k, v]) => k !== v));
  }
}

/** bytes of a field name in a GBK .dbf (the 10-byte limit cuts names there) */
function gbkBytes(s: string): number {
  let n = 0;
  for (const ch of s) n += ch.charCodeAt(0) < 0x80 ? 1 : 2;
  return n;
}

function uniq<T>(xs: T[]): T | undefined {
  return xs.length === 1 ? xs[0] : undefined;
}
