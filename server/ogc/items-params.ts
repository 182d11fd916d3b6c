/**
 * Query parameters of /ogc/collections/{id}/items, parsed by hand so each error names its
 * parameter (OGC API Features: a 400 for an invalid or unknown parameter).
 */
import { BadRequestError } from '../errors.js';
import type { ItemsQuery } from '../layers/feature-reads.js';
import type { LayerDetail } from '../layers/layer-registry.js';
import { sql, type RawBuilder } from 'kysely';
import { bboxArea } from './bbox.js';
import { CRS84, resolveCrs, type CrsInfo } from './crs.js';
import type { Expr } from './cql2/ast.js';
import { compileFilter } from './cql2/compile.js';
import { filterToSql } from './cql2/index.js';
import type { AttributeDef } from '../db/schema.js';
import { isRfc3339Date } from '../rfc3339.js';
import { datetimePredicate } from './datetime.js';

/** parameters every items request may carry; anything else must be a queryable attribute */
const KNOWN = new Set(['limit', 'offset', 'bbox', 'bbox-crs', 'crs', 'version', 'f', 'filter', 'filter-lang', 'filter-crs', 'datetime']);

export interface ItemsParams {
  query: ItemsQuery;
  crs: CrsInfo;
  limit: number;
  offset: number;
}

export function intParam(raw: unknown, parameter: string, min: number, max: number, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const s = String(raw);
  if (!/^-?\d+$/.test(s)) throw new BadRequestError(`参数 ${parameter} 必须是整数 (${parameter} must be an integer, got "${s}")`, { parameter });
  const n = Number(s);
  if (n < min || n > max) {
    throw new BadRequestError(`参数 ${parameter} 超出范围 (${parameter} must be between ${min} and ${max}, got ${n})`, { parameter, min, max });
  }
  return n;
}

function single(raw: unknown, parameter: string): string | undefined {
  if (Array.isArray(raw)) throw new BadRequestError(`参数 ${parameter} 重复 (${parameter} given more than once)`, { parameter });
  return raw === undefined ? undefined : String(raw);
}

/**
 * bbox in the axis order of `crs` (4 or 6 numbers) → the area it means (bbox.ts): each corner
 * inside the CRS's domain (a box far outside it would be densified into billions of points, or fail
 * to transform, in the database); across the antimeridian in a lon/lat CRS, two boxes.
 */
export function parseBbox(raw: string, crs: Pick<CrsInfo, 'northFirst' | 'bounds'>, parameter = 'bbox'): NonNullable<ItemsQuery['bbox']> {
  const parts = raw.split(',').map((p) => p.trim());
  if ((parts.length !== 4 && parts.length !== 6) || parts.some((p) => p === '' || !Number.isFinite(Number(p)))) {
    throw new BadRequestError(`参数 ${parameter} 应为4个（或6个）数值 (${parameter} must be 4 or 6 comma-separated numbers)`, { parameter });
  }
  const area = bboxArea(parts.map(Number), crs);
  if ('message' in area) throw new BadRequestError(`参数 ${parameter} 无效 (${parameter}: ${area.message})`, { parameter });
  return area;
}

/** a query parameter's text as a literal of its attribute's type; a 400 naming it when it is not one */
function typedValue(attr: AttributeDef, value: string): Expr {
  const bad = (what: string) => new BadRequestError(`参数 ${attr.name} 应为${what} (${attr.name} must be ${{ 数值: 'a number', 整数: 'an integer', 日期: 'a date YYYY-MM-DD' }[what] ?? 'true or false'}, got "${value.slice(0, 40)}")`, { parameter: attr.name });
  switch (attr.type) {
    case 'number':
    case 'integer': {
      // a plain decimal (Number() also takes 0x10, 0b11, " 1 " and "")
      const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) ? Number(value) : NaN;
      if (!Number.isFinite(n) || (attr.type === 'integer' && !Number.isInteger(n))) throw bad(attr.type === 'integer' ? '整数' : '数值');
      return { kind: 'number', value: n, pos: 0 };
    }
    case 'boolean':
      if (!/^(true|false)$/i.test(value)) throw bad('true 或 false');
      return { kind: 'boolean', value: value.toLowerCase() === 'true', pos: 0 };
    case 'date':
      if (!isRfc3339Date(value)) throw bad('日期');
      return { kind: 'temporal', value, date: true, pos: 0 };
    default:
      return { kind: 'string', value, pos: 0 };
  }
}

export function parseItemsParams(q: Record<string, unknown>, layer: LayerDetail, limitMax: number): ItemsParams {
  // A limit above the maximum is clamped, not refused (OGC API Features 1.0, /req/core/fc-limit-response-1):
  // clients such as GDAL ask for large pages and follow the next links.
  const limit = Math.min(limitMax, intParam(single(q.limit, 'limit'), 'limit', 1, Number.MAX_SAFE_INTEGER, Math.min(100, limitMax)));
  const offset = intParam(single(q.offset, 'offset'), 'offset', 0, 1_000_000_000, 0);
  const version = q.version === undefined ? undefined : intParam(single(q.version, 'version'), 'version', 1, layer.version, 0);
  const crs = resolveCrs(single(q.crs, 'crs') ?? CRS84, 'crs');
  const f = single(q.f, 'f');
  if (f !== undefined && !['json', 'geojson'].includes(f)) throw new BadRequestError(`参数 f 不支持 "${f}" (f must be json or geojson)`, { parameter: 'f' });

  const query: ItemsQuery = { layerId: layer.id, version, limit, offset, outSrid: crs.srid, flipAxes: crs.northFirst, decimals: crs.decimals };
  const bboxRaw = single(q.bbox, 'bbox');
  if (bboxRaw !== undefined) {
    const bboxCrs = resolveCrs(single(q['bbox-crs'], 'bbox-crs') ?? CRS84, 'bbox-crs');
    query.bbox = parseBbox(bboxRaw, bboxCrs);
    query.bboxSrid = bboxCrs.srid;
  } else if (q['bbox-crs'] !== undefined) {
    throw new BadRequestError('参数 bbox-crs 需要与 bbox 一起使用 (bbox-crs given without bbox)', { parameter: 'bbox-crs' });
  }
  // queryables as parameters (Part 3, /req/queryables-query-parameters): a typed "=", as in a filter
  const where: RawBuilder<boolean>[] = [];
  const byName = new Map(layer.attributes.map((a) => [a.name, a]));
  for (const [name, raw] of Object.entries(q)) {
    if (KNOWN.has(name)) continue;
    const attr = byName.get(name);
    if (!attr) {
      throw new BadRequestError(`未知参数 ${name} (unknown parameter "${name}"; queryable attributes: ${[...byName.keys()].join(', ')})`, { parameter: name });
    }
    where.push(compileFilter({ kind: 'compare', op: '=', left: { kind: 'property', name, pos: 0 }, right: typedValue(attr, single(raw, name)!), pos: 0 }, { attributes: layer.attributes, filterCrs: resolveCrs(CRS84, 'crs') }));
  }

  const filter = single(q.filter, 'filter');
  const filterLang = single(q['filter-lang'], 'filter-lang');
  const filterCrsRaw = single(q['filter-crs'], 'filter-crs');
  if (filter !== undefined) {
    where.push(filterToSql(filter, filterLang, layer.attributes, resolveCrs(filterCrsRaw ?? CRS84, 'filter-crs')));
  } else if (filterLang !== undefined || filterCrsRaw !== undefined) {
    const parameter = filterLang !== undefined ? 'filter-lang' : 'filter-crs';
    throw new BadRequestError(`参数 ${parameter} 需要与 filter 一起使用 (${parameter} given without filter)`, { parameter });
  }
  const datetime = single(q.datetime, 'datetime');
  if (datetime !== undefined) where.push(datetimePredicate(datetime, layer.attributes));
  if (where.length) query.where = sql.join(where, sql` and `) as RawBuilder<boolean>;
  return { query, crs, limit, offset };
}
