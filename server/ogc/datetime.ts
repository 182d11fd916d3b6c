/**
 * `datetime` (OGC API Features Core) over a layer's date attributes. A layer with date
 * attributes `valid_from`/`valid_to` (the 矿业权 layers: 有效期起/止) is matched by validity
 * interval overlap; a layer with exactly one date attribute by that date; any other layer has
 * no temporal dimension, and `datetime` (well-formed) matches none of its features. An instant
 * is compared as the date it falls on in Beijing time, the zone of the stored dates.
 */
import { sql, type RawBuilder } from 'kysely';
import type { AttributeDef } from '../db/schema.js';
import { BadRequestError } from '../errors.js';
import { beijingDate, isRfc3339Date, isRfc3339Timestamp } from '../rfc3339.js';
import { storedDate } from './stored-date.js';

/** the attribute(s) that carry a layer's time: [start, end] (equal for a single date) */
export function temporalAttributes(attributes: AttributeDef[]): [string, string] | null {
  const dates = attributes.filter((a) => a.type === 'date').map((a) => a.name);
  if (dates.includes('valid_from') && dates.includes('valid_to')) return ['valid_from', 'valid_to'];
  return dates.length === 1 ? [dates[0], dates[0]] : null;
}

/**
 * One end of `datetime` as the date it falls on in Beijing: an instant with any offset is moved
 * there first (2019-03-19T16:30:00Z is 00:30 on 2019-03-20 in Beijing; found by an OGC review:
 * the date was cut from the text as written); a date stays as it is.
 */
function bound(raw: string): string | null {
  if (raw === '..' || raw === '') return null;
  if (isRfc3339Date(raw)) return raw;
  if (!isRfc3339Timestamp(raw)) {
    throw new BadRequestError(`参数 datetime 格式错误 (datetime must be an RFC 3339 date/time or an interval a/b with ".." for open ends, got "${raw}")`, {
      parameter: 'datetime',
    });
  }
  // (clamped to RFC 3339's years: a PostgreSQL error at the limits before; found by a review)
  return beijingDate(Date.parse(raw));
}

/** datetime → a predicate on alias `f`; dates compare at day precision (the attributes are dates) */
export function datetimePredicate(raw: string, attributes: AttributeDef[]): RawBuilder<boolean> {
  const attrs = temporalAttributes(attributes);
  const parts = raw.split('/');
  if (parts.length > 2) throw new BadRequestError(`参数 datetime 格式错误 (datetime has more than one "/")`, { parameter: 'datetime' });
  // ".." (or nothing) is an open end of an interval, never an instant on its own
  if (parts.length === 1 && (raw === '..' || raw === '')) {
    throw new BadRequestError(`参数 datetime 应为日期、时刻或区间 (datetime "${raw}" is neither an instant nor an interval a/b)`, { parameter: 'datetime' });
  }
  const from = bound(parts[0]);
  const to = parts.length === 2 ? bound(parts[1]) : from;
  if (parts.length === 2 && from === null && to === null) throw new BadRequestError('参数 datetime 两端不能都开放 (datetime "../.." is not allowed)', { parameter: 'datetime' });
  // two instants compare as instants (10:00Z/09:00Z the same day is reversed); a date with anything compares by date
  const reversed = isRfc3339Timestamp(parts[0]) && parts.length === 2 && isRfc3339Timestamp(parts[1]) ? Date.parse(parts[0]) > Date.parse(parts[1]) : Boolean(from && to && from > to);
  if (parts.length === 2 && reversed) {
    throw new BadRequestError('参数 datetime 起点晚于终点 (datetime start is after its end)', { parameter: 'datetime' });
  }
  // a layer with no date attribute: no feature has a time, so none intersects datetime (Core,
  // /req/core/fc-time-response) — an empty page, not a 400 (found by an OGC review: clients send
  // datetime to every collection)
  if (!attrs) return sql`false` as RawBuilder<boolean>;
  const asDate = (name: string) => storedDate(sql`f.properties->>${name}`);
  const [startAttr, endAttr] = attrs;
  // A feature's MISSING start/end is an open end; one that is there but no date (2024-02-30) never
  // matches, as in a CQL2 comparison; a feature with neither date never matches.
  const bound2 = (name: string, cmp: RawBuilder<unknown>) => sql`(case when f.properties->>${name} is null then true else coalesce(${cmp}, false) end)`;
  const parts2: RawBuilder<unknown>[] = [sql`(${asDate(startAttr)} is not null or ${asDate(endAttr)} is not null)`];
  if (to) parts2.push(bound2(startAttr, sql`${asDate(startAttr)} <= ${to}::date`));
  if (from) parts2.push(bound2(endAttr, sql`${asDate(endAttr)} >= ${from}::date`));
  return sql`(${sql.join(parts2, sql` and `)})` as RawBuilder<boolean>;
}
