/**
 * Strict RFC 3339 dates and timestamps, for CQL2 literals, `datetime` and the audit filters. `Date.parse` is too
 * lenient to be the check: it takes '2024-02-30' (as 1 March), '0000-01-01' and '1' (as 2001),
 * which PostgreSQL then refuses or reads differently. Here the form must match exactly, the
 * calendar date must round-trip through `Date` unchanged, the year must be 1–9999 (PostgreSQL's
 * year 0 does not exist), and clock fields and offsets must be in range (no leap second 60:
 * `Date` cannot represent it).
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** the calendar date y-m-d exists (Gregorian, year ≥ 1) */
function calendarDate(y: number, m: number, d: number): boolean {
  if (y < 1) return false;
  const t = new Date(Date.UTC(2000, m - 1, d));
  t.setUTCFullYear(y, m - 1, d); // Date.UTC maps years 0–99 to 1900–1999
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d;
}

/** YYYY-MM-DD naming a real day */
export function isRfc3339Date(s: string): boolean {
  const m = DATE.exec(s);
  return m !== null && calendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm) naming a real instant */
export function isRfc3339Timestamp(s: string): boolean {
  const m = TIMESTAMP.exec(s);
  if (!m || !calendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  const [hh, mm, ss] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (hh > 23 || mm > 59 || ss > 59) return false;
  if (m[7] !== undefined && (Number(m[7]) > 23 || Number(m[8]) > 59)) return false;
  return !Number.isNaN(Date.parse(s));
}

/** Beijing time: UTC+8, no daylight saving since 1991 — the zone the stored dates are dates in */
export const BEIJING_OFFSET_MS = 8 * 3600_000;

/**
 * The date (YYYY-MM-DD) an instant falls on in Beijing, clamped to RFC 3339's years 0001–9999
 * (9999-12-31T20:00Z is already in year 10000 there).
 */
export function beijingDate(epochMs: number): string {
  const d = new Date(epochMs + BEIJING_OFFSET_MS);
  if (d.getUTCFullYear() > 9999) return '9999-12-31';
  if (d.getUTCFullYear() < 1) return '0001-01-01';
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}
