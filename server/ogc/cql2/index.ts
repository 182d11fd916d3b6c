/** filter + filter-lang + filter-crs → a bound SQL predicate (OGC API Features Part 3). */
import type { RawBuilder } from 'kysely';
import { BadRequestError } from '../../errors.js';
import type { AttributeDef } from '../../db/schema.js';
import type { CrsInfo } from '../crs.js';
import type { Predicate } from './ast.js';
import { compileFilter } from './compile.js';
import { parseCql2Json } from './parse-json.js';
import { parseCql2Text } from './parse-text.js';

/** filter-lang values; "cql-text" is the pre-1.0 name that GDAL ≤ 3.6 still sends */
const LANGS: Record<string, 'text' | 'json'> = { 'cql2-text': 'text', 'cql-text': 'text', 'cql2-json': 'json' };
export const FILTER_LANGS = ['cql2-text', 'cql2-json'];

export function parseFilter(filter: string, lang = 'cql2-text'): Predicate {
  const kind = LANGS[lang];
  if (!kind) throw new BadRequestError(`不支持的过滤语言 (filter-lang must be one of ${FILTER_LANGS.join(', ')}, got "${lang}")`, { parameter: 'filter-lang' });
  return kind === 'text' ? parseCql2Text(filter) : parseCql2Json(filter);
}

export function filterToSql(filter: string, lang: string | undefined, attributes: AttributeDef[], filterCrs: CrsInfo): RawBuilder<boolean> {
  return compileFilter(parseFilter(filter, lang), { attributes, filterCrs });
}
