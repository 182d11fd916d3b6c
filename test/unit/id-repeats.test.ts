/**
 * IdRepeats (ingest-staging.ts) lets validation skip its GROUP BY of every staged id when no id can
 * repeat another. It may say "maybe" wrongly (a hash collision, too many ids to remember, a lone
 * surrogate the drivers turn into U+FFFD) — then validation's query decides — but never "unique"
 * when two ids are equal as the database will store them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdRepeats } from '../../server/ingest/ingest-staging.js';

const seen = (ids: string[], remembered?: number) => {
  const r = new IdRepeats(remembered);
  for (const id of ids) r.add(id);
  return r.unique;
};

describe('IdRepeats', () => {
  it('never calls ids unique when one repeats', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 200 }), fc.nat(), fc.nat(), (ids, pick, at) => {
        const repeated = [...ids];
        repeated.splice(at % (ids.length + 1), 0, ids[pick % ids.length]);
        expect(seen(repeated)).toBe(false);
      }),
    );
  });

  it('calls distinct ids unique (no collision among these)', () => {
    expect(seen(Array.from({ length: 100_000 }, (_, i) => `B-${String(i).padStart(6, '0')}`))).toBe(true);
  });

  it('beyond the ids it remembers, it says "maybe" (validation decides)', () => {
    expect(seen(['a', 'b', 'c'], 3)).toBe(true);
    expect(seen(['a', 'b', 'c', 'd'], 3)).toBe(false);
  });

  it('a lone surrogate, written as U+FFFD by the drivers, may equal another id: "maybe"', () => {
    expect(seen(['x\uD800', 'x\uFFFD'])).toBe(false);
    expect(seen(['x\uD800y'])).toBe(false);
    expect(seen(['x\uD83D\uDE00'])).toBe(true); // a surrogate pair is a character (😀)
  });
});
