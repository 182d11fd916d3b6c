import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import type { MultiPolygon, Polygon, Position } from 'geojson';
import { describe, expect, it } from 'vitest';
import { type InputProblem, PayloadTooLargeError, UnprocessableError } from '../../server/errors.js';
import { type ParcelTxtOptions, type ParsedParcelFile, formatParcelTxt, parseParcelTxt } from '../../server/ingest/parcel-coordinates.js';

const STANDARD = readFileSync(new URL('../fixtures/txt/standard-example.txt', import.meta.url), 'utf8');
const HOLES = readFileSync(new URL('../fixtures/txt/holes-and-parts.txt', import.meta.url), 'utf8');

/** Anything but a 413 or a 422 with located problems (e.g. a TypeError) fails the property. */
function parseOrRefuse(input: string | Uint8Array, options?: ParcelTxtOptions): ParsedParcelFile | null {
  try {
    const file = parseParcelTxt(input, options);
    for (const p of file.parcels) {
      for (const ring of p.geometry.type === 'Polygon' ? p.geometry.coordinates : p.geometry.coordinates.flat()) {
        expect(ring.length).toBeGreaterThanOrEqual(4);
        expect(ring[0]).toEqual(ring[ring.length - 1]);
        expect(ring.flat().every(Number.isFinite)).toBe(true);
      }
    }
    expect(Number.isInteger(file.crs.epsg)).toBe(true);
    return file;
  } catch (e) {
    if (e instanceof PayloadTooLargeError) return null;
    if (!(e instanceof UnprocessableError)) throw e;
    const { problems } = e.details as { problems: InputProblem[] };
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p.severity).toBe('error');
      expect(p.line).toBeGreaterThanOrEqual(1);
      expect(typeof p.field).toBe('string');
    }
    return null;
  }
}

/** Lines that look like the format, broken ones among them, so the parser gets past its first check. */
const formatLine = fc.oneof(
  fc.constantFrom(
    '[属性描述]', '[地块坐标]', '[扩展信息]', '［地块坐标］', '[未知]', '坐标系=2000国家大地坐标系', '坐标系=西安80', '坐标系=', '坐标系=WGS84',
    '几度分带=6', '分带=3度带', '带号=', '带号=42', '带号=99', '带号=4x2', '转换参数=1,2,3', '转换参数=1,2,3,4,5,6,7', '计量单位=度', '投影类型=UTM',
    '5,12.3456,KC-01,地块1,面,,,,@', '@', ',@', '3,,a,b,线,,,,@', 'x,y,@', '5,1,220183,村,K,名,面,,,,@',
    'J1,1,4910000.000,42510000.000', 'J2,1,4910000.000,42511000.000', 'J3,1,4909000.000,42511000.000', 'J1,1,42510000,4910000',
    'J1,2,4909500,42510500', 'J,1,1e308,1e308', 'J,1,1e309,5', 'J,1,-0,-0', 'J,0,0,0', '1,1,NaN,Infinity', '，，，', 'J1,1,4910000', 'J,99999999,1,2',
    'J1,1,４９１００００,42510000', 'J1,1,.5,42510000.', 'J,1,4910000,510000', 'J,1,4910000,41510000', '',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('J', '1', '2', '4', '9', '0', ',', '.', '@', '=', '-', ' ', '[', ']'), maxLength: 40 }),
);
const eol = fc.constantFrom('\n', '\r\n', '\r');
const formatLike = fc.tuple(fc.array(formatLine, { maxLength: 30 }), eol).map(([lines, e]) => lines.join(e));
/** Well-structured files built from whole rings (closed, open, nested, apart, degenerate) and some junk. */
const sq = (ring: number, e0: number, n0: number, size: number, close = true): string[] => {
  const pts = [[n0, e0], [n0, e0 + size], [n0 - size, e0 + size], [n0 - size, e0]].map(([n, e]) => `J,${ring},${n}.000,${e}.000`);
  return close ? [...pts, pts[0]] : pts;
};
const ringLines = fc.constantFrom(
  sq(1, 42510000, 4910000, 1000), sq(2, 42510200, 4909800, 200), sq(3, 42512000, 4910000, 500), sq(1, 42510300, 4909700, 100),
  sq(2, 42510000, 4910000, 1000, false), sq(1, 510000, 4910000, 1000), sq(4, 42510000, 4910000, 1000).slice(0, 3), [sq(1, 42510000, 4910000, 1000)[0]],
);
const structured = fc.tuple(
  fc.array(fc.constantFrom('坐标系=2000国家大地坐标系', '坐标系=西安80', '几度分带=3', '分带=3度带', '几度分带=6', '带号=42', '带号=', '带号=41', '转换参数=,,,,,,', '转换参数=1,2,3,4,5,6,7'), { maxLength: 4 }),
  fc.array(fc.tuple(
    fc.constantFrom('5,12.3456,KC-01,地块1,面,,,,@', '4,,A,B,面,,,,@', 'x,,A,B,面,,,,@', '5,1,220183,村,K,名,面,,,,@', '1,1,1,1,面,1,1,1,1,1,1,1,1,@'),
    fc.array(fc.oneof({ weight: 12, arbitrary: ringLines }, { weight: 1, arbitrary: formatLine.map((l) => [l]) }), { minLength: 1, maxLength: 4 }),
  ), { maxLength: 4 }),
  eol,
).map(([keys, parcels, e]) => ['[属性描述]', ...keys, '[地块坐标]', ...parcels.flatMap(([h, rings]) => [h, ...rings.flat()])].join(e));
/** A valid file with a few characters replaced or deleted. */
const mutated = fc.tuple(fc.constantFrom(STANDARD, HOLES), fc.array(fc.tuple(fc.nat(), fc.string({ maxLength: 2 })), { minLength: 1, maxLength: 4 }))
  .map(([text, edits]) => edits.reduce((t, [at, s]) => t.slice(0, at % t.length) + s + t.slice((at % t.length) + 1), text));

describe('parseParcelTxt never fails with anything but a 413 or a located 422', () => {
  it('on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => void parseOrRefuse(s)), { numRuns: 300 });
  });

  it('on arbitrary bytes, decoded as GBK or UTF-8', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => void parseOrRefuse(b)), { numRuns: 300 });
  });

  it('on files assembled from format-like and broken lines, under random bounds', () => {
    const bounds = fc.record({ maxVertices: fc.integer({ min: 1, max: 20 }), maxParcels: fc.integer({ min: 1, max: 5 }) }, { requiredKeys: [] });
    fc.assert(fc.property(formatLike, bounds, fc.boolean(), (text, options, asGbk) => void parseOrRefuse(asGbk ? iconv.encode(text, 'gbk') : text, options)), { numRuns: 1000 });
  });

  it('on well-structured files built from whole rings: nested, apart, open, degenerate', () => {
    fc.assert(fc.property(structured, (text) => void parseOrRefuse(text)), { numRuns: 1000 });
  });

  it('on valid files with a few characters changed', () => {
    fc.assert(fc.property(mutated, (text) => void parseOrRefuse(text)), { numRuns: 500 });
  });
});

/** Star-shaped rings (simple by construction) in integer millimetres around Dehui, zone 42. */
const mm = (v: number): number => v / 1000;
const part = fc.record({
  n: fc.integer({ min: 4, max: 12 }),
  radii: fc.array(fc.integer({ min: 10_000, max: 2_000_000 }), { minLength: 12, maxLength: 12 }),
  jitter: fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 12, maxLength: 12 }),
  hole: fc.boolean(),
  clockwise: fc.boolean(),
});
const text = fc.string({ unit: fc.constantFrom(...'德惠市大房身镇矿泉水区块AZaz09-_/()（）、· '), maxLength: 12 }).map((s) => s.trim());
const parcel = fc.record({
  code: text, name: text, sheet: text, use: text, landClass: text,
  declaredAreaHa: fc.option(fc.integer({ min: 0, max: 100_000_000 }).map((v) => v / 10_000), { nil: null }),
  east: fc.integer({ min: 42_470_000_000, max: 42_530_000_000 }),
  north: fc.integer({ min: 4_880_000_000, max: 4_950_000_000 }),
  parts: fc.array(part, { minLength: 1, maxLength: 3 }),
});

function geometryOf(p: { east: number; north: number; parts: { n: number; radii: number[]; jitter: number[]; hole: boolean; clockwise: boolean }[] }): Polygon | MultiPolygon {
  const polygons = p.parts.map((q, k) => {
    const [cx, cy] = [p.east + k * 5_000_000, p.north]; // parts 5 km apart, radii ≤ 2 km
    let outer: Position[] = Array.from({ length: q.n }, (_, i) => {
      const a = (2 * Math.PI * i) / q.n + (q.jitter[i] * Math.PI) / q.n; // gaps < 3π/n: the ring holds a disc of 0.38·rmin
      return [mm(Math.round(cx + q.radii[i] * Math.cos(a))), mm(Math.round(cy + q.radii[i] * Math.sin(a)))];
    });
    if (q.clockwise) outer.reverse();
    outer = [...outer, outer[0]];
    const h = Math.floor(Math.min(...q.radii.slice(0, q.n)) / 4); // corners at 0.354·rmin: inside
    const hole = [[cx - h, cy - h], [cx - h, cy + h], [cx + h, cy + h], [cx + h, cy - h], [cx - h, cy - h]].map(([x, y]) => [mm(x), mm(y)]);
    return q.hole ? [outer, hole] : [outer];
  });
  return polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0] } : { type: 'MultiPolygon', coordinates: polygons };
}

describe('formatParcelTxt → parseParcelTxt', () => {
  it('round-trips random valid parcels exactly: geometry, attributes, point count, no warnings', () => {
    fc.assert(fc.property(fc.array(parcel, { minLength: 1, maxLength: 4 }), eol, fc.boolean(), (parcels, e, asGbk) => {
      const input = parcels.map((p) => ({ ...p, geometry: geometryOf(p) }));
      const written = formatParcelTxt(input, { eol: e });
      const file = parseParcelTxt(asGbk ? iconv.encode(written, 'gbk') : written);
      expect(file.warnings).toEqual([]);
      expect(file.crs.epsg).toBe(4530);
      expect(file.parcels.map((p) => p.geometry)).toEqual(input.map((p) => p.geometry));
      expect(file.parcels.map(({ code, name, sheet, use, landClass, declaredAreaHa }) => ({ code, name, sheet, use, landClass, declaredAreaHa })))
        .toEqual(input.map(({ code, name, sheet, use, landClass, declaredAreaHa }) => ({ code, name, sheet, use, landClass, declaredAreaHa })));
      for (const p of file.parcels) expect(p.points).toHaveLength(p.pointCount);
    }), { numRuns: 200 });
  });
});
