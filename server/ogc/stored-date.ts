/**
 * A date attribute as stored (JSON text, written by uploads and edits as given) → `date`, or NULL
 * when it is not a calendar date. A plain `::date` cast made one stored "2024-02-30" fail every
 * datetime or CQL2 date filter over the layer (22008 → 400) for every client, whatever it asked.
 * Pure SQL (no exception handler, so no subtransaction per row): CASE fixes the order, so
 * make_date only sees a month 01–12 and a year 0001–9999.
 */
import { sql, type RawBuilder } from 'kysely';

export function storedDate(text: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(case when ${text} ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])' and left(${text}, 4) <> '0000' then
    case when substr(${text}, 9, 2)::int <= extract(day from make_date(left(${text}, 4)::int, substr(${text}, 6, 2)::int, 1) + interval '1 month - 1 day')
      then left(${text}, 10)::date end end)`;
}
