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
});
