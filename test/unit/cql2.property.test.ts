/**
 * Property tests of the CQL2 parsers and compiler (fast-check):
 * - a filter generated from the grammar, written as CQL2-text and as CQL2-JSON, parses to the
 *   same tree both ways (positions aside) — the two parsers agree on meaning;
 * - every such filter, and every mutation of it (characters deleted, inserted, swapped), either
 *   parses or fails with a 400 that points inside the input; nothing else is ever thrown;
 * - compiled to SQL, no user text reaches the SQL string: property names and literals are bound
 *   parameters only.
 */
import fc from 'fast-check';
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { AttributeDef } from '../../server/db/schema.js';
import { AppError } from '../../server/errors.js';
import { resolveCrs } from '../../server/ogc/crs.js';
import { compileFilter } from '../../server/ogc/cql2/compile.js';
import { parseCql2Json } from '../../server/ogc/cql2/parse-json.js';
import { parseCql2Text } from '../../server/ogc/cql2/parse-text.js';

// ---- a model of CQL2 filters, rendered to both encodings ---------------------------------

type Lit = { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'bool'; v: boolean } | { t: 'date'; v: string };
type Geom = { type: 'Point'; coordinates: number[] } | { type: 'Polygon'; coordinates: number[][][] };
type M =
  | { k: 'and' | 'or'; args: M[] }
  | { k: 'not'; arg: M }
  | { k: 'cmp'; op: '=' | '<>' | '<' | '<=' | '>' | '>='; prop: string; lit: Lit }
  | { k: 'like'; prop: string; pattern: string }
  | { k: 'between'; prop: string; lo: number; hi: number }
  | { k: 'in'; prop: string; list: Lit[] }
  | { k: 'isNull'; prop: string }
  | { k: 'spatial'; op: string; geom: Geom };

const PROPS = ['code', 'township', 'land_class', 'area_ha', 'quality_grade', '所在乡镇', 'weird name', 'x"y', 'nosuch'];
const SPATIAL = ['s_intersects', 's_within', 's_contains', 's_disjoint', 's_equals', 's_touches', 's_overlaps', 's_crosses'];
const num = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)));
const str = fc.string({ maxLength: 12, unit: fc.constantFrom('a', 'Z', '0', ' ', "'", '"', '%', '_', '\\', '万', '宝', '镇', '-', '(', ')', ',', '\n') });
const lit: fc.Arbitrary<Lit> = fc.oneof(
  str.map((v) => ({ t: 'str' as const, v })),
  num.map((v) => ({ t: 'num' as const, v })),
  fc.boolean().map((v) => ({ t: 'bool' as const, v })),
  fc.date({ min: new Date('1900-01-01'), max: new Date('2100-12-31'), noInvalidDate: true }).map((d) => ({ t: 'date' as const, v: d.toISOString().slice(0, 10) })),
);
const coord = fc.tuple(fc.double({ min: 120, max: 130, noNaN: true }), fc.double({ min: 40, max: 48, noNaN: true }));
const geom: fc.Arbitrary<Geom> = fc.oneof(
  coord.map(([x, y]) => ({ type: 'Point' as const, coordinates: [x, y] })),
  fc.tuple(coord, fc.double({ min: 0.001, max: 1, noNaN: true })).map(([[x, y], d]) => ({
    type: 'Polygon' as const,
    coordinates: [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]],
  })),
);
const prop = fc.constantFrom(...PROPS);

const model: fc.Arbitrary<M> = fc.letrec<{ m: M }>((tie) => ({
  m: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ k: fc.constant('cmp' as const), op: fc.constantFrom('=', '<>', '<', '<=', '>', '>=') as fc.Arbitrary<'='>, prop, lit }),
    fc.record({ k: fc.constant('like' as const), prop, pattern: str }),
    fc.record({ k: fc.constant('between' as const), prop, lo: num, hi: num }),
    fc.record({ k: fc.constant('in' as const), prop, list: fc.array(lit, { minLength: 1, maxLength: 4 }) }),
    fc.record({ k: fc.constant('isNull' as const), prop }),
    fc.record({ k: fc.constant('spatial' as const), op: fc.constantFrom(...SPATIAL), geom }),
    fc.record({ k: fc.constantFrom('and' as const, 'or' as const), args: fc.array(tie('m'), { minLength: 2, maxLength: 3 }) }),
    fc.record({ k: fc.constant('not' as const), arg: tie('m') }),
  ),
})).m;

const quoteProp = (p: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? p : `"${p.replace(/"/g, '""')}"`);
const numText = (n: number) => (Number.isInteger(n) ? String(n) : n.toExponential(17).replace('e+', 'e'));
function litText(l: Lit): string {
  switch (l.t) {
    case 'str':
      return `'${l.v.replace(/'/g, "''")}'`;
    case 'num':
      return numText(l.v);
    case 'bool':
      return l.v ? 'TRUE' : 'FALSE';
    case 'date':
      return `DATE('${l.v}')`;
  }
}
const litJson = (l: Lit): unknown => (l.t === 'date' ? { date: l.v } : l.v);
const pos = (ps: number[]) => ps.map((c) => numText(c)).join(' ');
function wkt(g: Geom): string {
  return g.type === 'Point' ? `POINT(${pos(g.coordinates)})` : `POLYGON((${g.coordinates[0].map(pos).join(', ')}))`;
}

function toText(m: M): string {
  switch (m.k) {
    case 'and':
    case 'or':
      return `(${m.args.map(toText).join(` ${m.k.toUpperCase()} `)})`;
    case 'not':
      return `NOT (${toText(m.arg)})`;
    case 'cmp':
      return `${quoteProp(m.prop)} ${m.op} ${litText(m.lit)}`;
    case 'like':
      return `${quoteProp(m.prop)} LIKE ${litText({ t: 'str', v: m.pattern })}`;
    case 'between':
      return `${quoteProp(m.prop)} BETWEEN ${numText(m.lo)} AND ${numText(m.hi)}`;
    case 'in':
      return `${quoteProp(m.prop)} IN (${m.list.map(litText).join(', ')})`;
    case 'isNull':
      return `${quoteProp(m.prop)} IS NULL`;
    case 'spatial':
      return `${m.op.toUpperCase()}(geometry, ${wkt(m.geom)})`;
  }
}

function toJson(m: M): unknown {
  const p = (name: string) => ({ property: name });
  switch (m.k) {
    case 'and':
    case 'or':
      return { op: m.k, args: m.args.map(toJson) };
    case 'not':
      return { op: 'not', args: [toJson(m.arg)] };
    case 'cmp':
      return { op: m.op, args: [p(m.prop), litJson(m.lit)] };
    case 'like':
      return { op: 'like', args: [p(m.prop), m.pattern] };
    case 'between':
      return { op: 'between', args: [p(m.prop), m.lo, m.hi] };
    case 'in':
      return { op: 'in', args: [p(m.prop), m.list.map(litJson)] };
    case 'isNull':
      return { op: 'isNull', args: [p(m.prop)] };
    case 'spatial':
      return { op: m.op, args: [p('geometry'), m.geom] };
  }
}

/** the tree without positions (the encodings differ in where things are, not in what they mean) */
function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'pos').map(([k, v]) => [k, strip(v)]));
  return x;
}

/** parse; anything thrown must be a 400 located inside the input */
function parseOr400(parse: (s: string) => unknown, src: string): unknown {
  try {
    return parse(src);
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    expect(err.status).toBe(400);
    const d = err.details as { parameter: string; position: number };
    expect(d.parameter).toBe('filter');
    expect(d.position).toBeGreaterThanOrEqual(0);
    expect(d.position).toBeLessThanOrEqual(src.length);
    expect(err.message.length).toBeGreaterThan(10);
    return null;
  }
}

/** delete, insert or swap characters at fuzzed places */
const mutation = fc.array(
  fc.tuple(fc.constantFrom('delete', 'insert', 'swap'), fc.nat(), fc.constantFrom('(', ')', "'", '"', ',', ' ', 'AND', 'NOT', '{', '}', '[', ']', ':', '1e999', '-', '.', '\u0000', '万')),
  { minLength: 1, maxLength: 4 },
);
function mutate(src: string, edits: Array<[string, number, string]>): string {
  let s = src;
  for (const [kind, at, text] of edits) {
    const i = s.length ? at % (s.length + 1) : 0;
    if (kind === 'delete') s = s.slice(0, i) + s.slice(i + 1);
    else if (kind === 'insert') s = s.slice(0, i) + text + s.slice(i);
    else if (i + 1 < s.length) s = s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
  }
  return s;
}

const ATTRIBUTES: AttributeDef[] = [
  { name: 'code', label: '图斑编号', type: 'string' },
  { name: 'township', label: '所在乡镇', type: 'string' },
  { name: 'land_class', label: '地类名称', type: 'string' },
  { name: 'area_ha', label: '面积', type: 'number' },
  { name: 'quality_grade', label: '等别', type: 'integer' },
  { name: '所在乡镇', label: '所在乡镇', type: 'string' },
  { name: 'weird name', label: '空格', type: 'string' },
  { name: 'x"y', label: '引号', type: 'string' },
] as AttributeDef[];

const compiler = new Kysely<Record<string, never>>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

describe('CQL2 properties', () => {
  it('text and JSON encodings of the same filter parse to the same tree', () => {
    fc.assert(
      fc.property(model, (m) => {
        const text = toText(m);
        const json = JSON.stringify(toJson(m));
        const a = parseCql2Text(text);
        const b = parseCql2Json(json);
        expect(strip(a)).toEqual(strip(b));
      }),
      { numRuns: 1500 },
    );
  });

  it('a mutated filter parses or is a located 400, in both encodings', () => {
    fc.assert(
      fc.property(model, mutation, (m, edits) => {
        parseOr400(parseCql2Text, mutate(toText(m), edits));
        parseOr400(parseCql2Json, mutate(JSON.stringify(toJson(m)), edits));
      }),
      { numRuns: 3000 },
    );
  });

  it('arbitrary JSON is a located 400 or a filter, never another error', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
        parseOr400(parseCql2Json, JSON.stringify(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('compiles to SQL with every property name and literal bound, or a 400; never other errors', () => {
    const crs = resolveCrs('http://www.opengis.net/def/crs/OGC/1.3/CRS84', 'filter-crs');
    fc.assert(
      fc.property(model, (m) => {
        const ast = parseCql2Text(toText(m));
        let compiled;
        try {
          compiled = compileFilter(ast, { attributes: ATTRIBUTES, filterCrs: crs }).compile(compiler);
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          expect(err.status).toBe(400);
          return;
        }
        // user text only in parameters: the SQL has no quote characters of its own making
        expect(compiled.sql).not.toMatch(/万|宝|镇|所在|weird|x"y|nosuch/);
        const userStrings = JSON.stringify(toJson(m)).match(/"(?:[^"\\]|\\.)*"/g) ?? [];
        for (const s of userStrings) {
          const v = JSON.parse(s) as string;
          // only strings that cannot occur in the SQL by chance (a CJK character, Z, %, a backslash or quote)
          if (/[\u4e00-\u9fffZ%\\"]/.test(v) && !/^(Point|Polygon)$/.test(v)) {
            expect(compiled.sql).not.toContain(v);
          }
        }
      }),
      { numRuns: 1500 },
    );
  });
});
