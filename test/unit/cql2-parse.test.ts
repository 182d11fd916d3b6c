import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../server/errors.js';
import { parseCql2Json } from '../../server/ogc/cql2/parse-json.js';
import { parseCql2Text } from '../../server/ogc/cql2/parse-text.js';

/** the details of the 400 a parse throws */
function failure(fn: () => unknown): { message: string; details: { parameter: string; position: number } } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect(e.status).toBe(400);
    return { message: e.message, details: e.details as { parameter: string; position: number } };
  }
  throw new Error('expected a parse error');
}

describe('CQL2-text parser', () => {
  it('gives AND precedence over OR and keeps positions', () => {
    const ast = parseCql2Text("a = 1 OR b = 'x' AND NOT c IS NULL");
    expect(ast).toMatchObject({
      kind: 'or',
      args: [
        { kind: 'compare', op: '=', left: { kind: 'property', name: 'a', pos: 0 }, right: { kind: 'number', value: 1 } },
        { kind: 'and', args: [{ kind: 'compare', right: { kind: 'string', value: 'x' } }, { kind: 'not', arg: { kind: 'isNull' } }] },
      ],
    });
  });

  it('reads LIKE, IN, BETWEEN, their NOT forms, and keywords in any case', () => {
    expect(parseCql2Text("name like '米沙子%'")).toMatchObject({ kind: 'like', caseInsensitive: false });
    expect(parseCql2Text("township NOT IN ('万宝镇', '米沙子镇')")).toMatchObject({ kind: 'not', arg: { kind: 'in', list: [{}, {}] } });
    expect(parseCql2Text('area_ha between 1 and 2.5e0')).toMatchObject({ kind: 'between', low: { value: 1 }, high: { value: 2.5 } });
    expect(parseCql2Text('x is not null')).toMatchObject({ kind: 'not', arg: { kind: 'isNull' } });
    expect(parseCql2Text('"所在 乡镇" <> \'it\'\'s\'')).toMatchObject({ left: { kind: 'property', name: '所在 乡镇' }, right: { value: "it's" } });
  });

  it('reads spatial functions with WKT and BBOX literals', () => {
    expect(parseCql2Text('S_INTERSECTS(geometry, POINT(125.6 44.4))')).toMatchObject({
      kind: 'spatial',
      op: 's_intersects',
      right: { kind: 'geometry', value: { type: 'Point', coordinates: [125.6, 44.4] } },
    });
    expect(parseCql2Text('s_within(geometry, BBOX(125, 44, 126, 45))')).toMatchObject({
      right: { value: { type: 'Polygon', coordinates: [[[125, 44], [126, 44], [126, 45], [125, 45], [125, 44]]] } },
    });
    const mp = parseCql2Text('S_INTERSECTS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2))))');
    expect(mp).toMatchObject({ right: { value: { type: 'MultiPolygon' } } });
    expect(parseCql2Text('S_CROSSES(geometry, LINESTRING(0 0, 1 1))')).toMatchObject({ op: 's_crosses' });
  });

  it('reads DATE, TIMESTAMP, CASEI and boolean literals', () => {
    expect(parseCql2Text("valid_to >= DATE('2024-01-01')")).toMatchObject({ right: { kind: 'temporal', date: true } });
    expect(parseCql2Text("CASEI(name) = CASEI('ABC')")).toMatchObject({ left: { kind: 'casei' } });
    expect(parseCql2Text('illustrative = true')).toMatchObject({ right: { kind: 'boolean', value: true } });
    expect(parseCql2Text('TRUE')).toMatchObject({ kind: 'literal', value: true });
  });

  it.each([
    ["name = 'x' AND", 14, /expected a property name or a literal but found the end/],
    ["name = 'x", 7, /unterminated string/],
    ['name == 1', 6, /expected a property name or a literal but found "="/],
    ['(a = 1', 6, /expected "\)"/],
    ['a = 1 b = 2', 6, /expected AND, OR or the end/],
    ['a LIKE', 6, /expected a property name or a literal/],
    ['a IN 1', 5, /expected "\(" after IN/],
    ['a BETWEEN 1 OR 2', 12, /expected AND/],
    ['a # 1', 2, /unexpected character "#"/],
    ['a', 1, /expected a comparison operator/],
    ['S_INTERSECTS(geometry POINT(1 2))', 22, /expected "," between the two geometries/],
    ['S_INTERSECTS(geometry, POINT(1))', 30, /expected a coordinate of 2 or 3 numbers/],
    ['S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1)))', 30, /closed polygon ring/],
    ['S_FOO(geometry, POINT(1 2))', 0, /unsupported function S_FOO/],
    ["d = DATE('2024-13')", 9, /expected a date/],
    ['', 0, /empty/],
  ])('%j is a 400 at position %i', (src, position, message) => {
    const f = failure(() => parseCql2Text(src));
    expect(f.details).toEqual({ parameter: 'filter', position });
    expect(f.message).toMatch(message);
  });

  it.each([
    "DATE('2024-02-29')",
    "DATE('0001-01-01')",
    "DATE('9999-12-31')",
    "TIMESTAMP('2024-02-29T23:59:59Z')",
    "TIMESTAMP('2000-01-01T00:00:00.123456+08:00')",
    "TIMESTAMP('0001-01-01T00:00:00-12:00')",
  ])('accepts the real day or instant %s', (literal) => {
    expect(parseCql2Text(`d = ${literal}`)).toMatchObject({ right: { kind: 'temporal', value: literal.slice(literal.indexOf("'") + 1, -2) } });
  });

  // Date.parse accepts all of these (2024-02-30 as 1 March, '1' as 2001); PostgreSQL would not
  it.each([
    ["DATE('2024-02-30')", /expected a date YYYY-MM-DD.*'2024-02-30'/],
    ["DATE('2023-02-29')", /expected a date/],
    ["DATE('2024-04-31')", /expected a date/],
    ["DATE('0000-01-01')", /year 0001–9999.*'0000-01-01'/],
    ["DATE('2023-13-45')", /expected a date/],
    ["DATE('2024-00-10')", /expected a date/],
    ["DATE('1')", /expected a date/],
    ["DATE('2024-1-5')", /expected a date/],
    ["DATE('2024-01-01T00:00:00Z')", /expected a date/],
    ["TIMESTAMP('2024-02-30T10:00:00Z')", /expected an RFC 3339 timestamp.*'2024-02-30T10:00:00Z'/],
    ["TIMESTAMP('0000-12-31T10:00:00Z')", /expected an RFC 3339 timestamp/],
    ["TIMESTAMP('2024-01-01T24:00:00Z')", /expected an RFC 3339 timestamp/],
    ["TIMESTAMP('2024-01-01T10:60:00Z')", /expected an RFC 3339 timestamp/],
    ["TIMESTAMP('2024-01-01T10:00:60Z')", /expected an RFC 3339 timestamp/],
    ["TIMESTAMP('2024-01-01T10:00:00+24:00')", /expected an RFC 3339 timestamp/],
    ["TIMESTAMP('2024-01-01T10:00:00+08:60')", /expected an RFC 3339 timestamp/],
    ["TIMESTAMP('2024-01-01T10:00:00')", /expected an RFC 3339 timestamp/],
    ["TIMESTAMP('2024-01-01')", /expected an RFC 3339 timestamp/],
    ["TIMESTAMP('1')", /expected an RFC 3339 timestamp/],
  ])('refuses the impossible %s with a 400 at the string', (literal, message) => {
    const src = `valid_from > ${literal}`;
    const f = failure(() => parseCql2Text(src));
    expect(f.details).toEqual({ parameter: 'filter', position: src.indexOf("'") });
    expect(f.message).toMatch(message);
  });

  it('accepts DATE(y-m-d) exactly when that day exists (year 1–9999, Gregorian leap years)', () => {
    const daysIn = (y: number, m: number) => (m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), (y, m, d) => {
        const src = `d = DATE('${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}')`;
        const real = y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m);
        if (real) expect(parseCql2Text(src)).toMatchObject({ right: { kind: 'temporal', date: true } });
        else expect(failure(() => parseCql2Text(src)).details).toEqual({ parameter: 'filter', position: 9 });
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws anything but a located 400 on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (src) => {
        try {
          parseCql2Text(src);
        } catch (err) {
          const e = err as AppError;
          expect(e.status).toBe(400);
          const d = e.details as { position: number };
          expect(d.position).toBeGreaterThanOrEqual(0);
          expect(d.position).toBeLessThanOrEqual(src.length);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('CQL2-JSON parser', () => {
  it('reads the same tree as the text form', () => {
    const json = parseCql2Json(
      JSON.stringify({ op: 'and', args: [{ op: '=', args: [{ property: 'township' }, '万宝镇'] }, { op: 's_intersects', args: [{ property: 'geometry' }, { bbox: [125, 44, 126, 45] }] }] }),
    );
    expect(json).toMatchObject({
      kind: 'and',
      args: [{ kind: 'compare', left: { name: 'township' }, right: { value: '万宝镇' } }, { kind: 'spatial', right: { kind: 'geometry', value: { type: 'Polygon' } } }],
    });
    expect(parseCql2Json('{"op":"in","args":[{"property":"a"},[1,2]]}')).toMatchObject({ kind: 'in', list: [{ value: 1 }, { value: 2 }] });
    expect(parseCql2Json('{"op":"isNull","args":[{"property":"a"}]}')).toMatchObject({ kind: 'isNull' });
  });

  it.each([
    ['{"op":"=","args":[{"property":"a"}]}', 17, /expected 2 arguments/],
    ['{"op":"=","args":[{"property":"a"},{"nope":1}]}', 35, /expected a property/],
    ['{"op":"frobnicate","args":[]}', 6, /unsupported op/],
    ['{"op":"=", "args":[1,2]', 23, /invalid JSON/],
    ['[1]', 0, /expected an operation object/],
  ])('%s is a 400 at position %i', (src, position, message) => {
    const f = failure(() => parseCql2Json(src));
    expect(f.details).toEqual({ parameter: 'filter', position });
    expect(f.message).toMatch(message);
  });

  it.each([
    ['{"date":"2024-02-29"}', true],
    ['{"date":"0001-01-01"}', true],
    ['{"timestamp":"2024-02-29T12:00:00.5Z"}', false],
    ['{"timestamp":"2024-06-30T23:59:59-05:30"}', false],
  ])('reads the real day or instant %s', (literal, date) => {
    expect(parseCql2Json(`{"op":">","args":[{"property":"d"},${literal}]}`)).toMatchObject({ right: { kind: 'temporal', value: JSON.parse(literal)[date ? 'date' : 'timestamp'], date } });
  });

  it.each([
    ['{"date":"2024-02-30"}', /expected \{"date": a date YYYY-MM-DD.*"2024-02-30"/],
    ['{"date":"2023-13-45"}', /expected \{"date"/],
    ['{"date":"0000-01-01"}', /year 0001–9999.*"0000-01-01"/],
    ['{"date":20240101}', /expected \{"date".*20240101/],
    ['{"date":"1"}', /expected \{"date"/],
    ['{"timestamp":"1"}', /expected \{"timestamp": an RFC 3339 timestamp.*"1"/],
    ['{"timestamp":"2024-02-30T10:00:00Z"}', /expected \{"timestamp"/],
    ['{"timestamp":"2024-01-01"}', /expected \{"timestamp"/],
    ['{"timestamp":"2024-01-01 10:00:00"}', /expected \{"timestamp"/],
    ['{"timestamp":null}', /expected \{"timestamp".*null/],
  ])('refuses the impossible %s with a 400 at its value', (literal, message) => {
    const src = `{"op":"<","args":[{"property":"valid_from"},${literal}]}`;
    const f = failure(() => parseCql2Json(src));
    expect(f.details).toEqual({ parameter: 'filter', position: src.indexOf(':', src.lastIndexOf('{')) + 1 });
    expect(f.message).toMatch(message);
  });
});
