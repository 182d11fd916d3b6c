/**
 * WKT geometry literals of CQL2-text (and BBOX(...)) → GeoJSON geometries, in the axis order
 * they were written (the compiler applies filter-crs). Parsed from the shared token stream so
 * positions stay exact.
 */
import type { GeometryLiteral } from './ast.js';
import { filterError } from './filter-error.js';
import type { TextParser } from './parse-text.js';
import { describe } from './parse-text.js';

export const WKT_KEYWORDS = new Set(['POINT', 'LINESTRING', 'POLYGON', 'MULTIPOINT', 'MULTILINESTRING', 'MULTIPOLYGON', 'GEOMETRYCOLLECTION', 'BBOX']);

type Pos = number[];

function coord(p: TextParser): Pos {
  const out: number[] = [];
  while (p.peek().type === 'number') out.push(Number(p.next().text));
  if (out.length < 2 || out.length > 3) {
    const t = p.peek();
    throw filterError(`expected a coordinate of 2 or 3 numbers separated by spaces but found ${out.length === 0 ? describe(t) : `${out.length} number(s)`}`, t.pos);
  }
  return out;
}

/** '(' item (',' item)* ')' */
function list<T>(p: TextParser, item: (p: TextParser) => T): T[] {
  p.expect('(', '"("');
  const out = [item(p)];
  while (p.peek().type === ',') {
    p.next();
    out.push(item(p));
  }
  p.expect(')', '"," or ")"');
  return out;
}

const line = (p: TextParser) => list(p, coord);
const polygon = (p: TextParser) => {
  const start = p.peek().pos;
  const rings = list(p, line);
  for (const r of rings) {
    const [a, b] = [r[0], r[r.length - 1]];
    if (r.length < 4 || a[0] !== b[0] || a[1] !== b[1]) throw filterError('expected a closed polygon ring of at least 4 positions (first = last)', start);
  }
  return rings;
};
/** MULTIPOINT accepts both (1 2, 3 4) and ((1 2), (3 4)) */
const multiPointItem = (p: TextParser) => (p.peek().type === '(' ? list(p, coord)[0] : coord(p));

/** BBOX(…)'s numbers, 4 or 6; the keyword is already read */
export function bboxNumbers(p: TextParser, pos: number): number[] {
  const n = list(p, (q) => Number(q.expect('number', 'a number').text));
  if (n.length !== 4 && n.length !== 6) throw filterError(`expected BBOX with 4 or 6 numbers but found ${n.length}`, pos);
  return n;
}

/** the box as a polygon of its numbers as given (compile reads them in filter-crs: bbox.ts) */
export function bboxLiteral(n: number[]): GeometryLiteral {
  const [x1, y1, x2, y2] = n.length === 6 ? [n[0], n[1], n[3], n[4]] : n;
  return { type: 'Polygon', coordinates: [[[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]]] };
}

export function parseWkt(p: TextParser): GeometryLiteral {
  const kw = p.next();
  const type = kw.text.toUpperCase();
  if (p.isWord('Z')) p.next();
  switch (type) {
    case 'BBOX':
      return bboxLiteral(bboxNumbers(p, kw.pos));
    case 'POINT':
      return { type: 'Point', coordinates: list(p, coord)[0] };
    case 'LINESTRING':
      return { type: 'LineString', coordinates: line(p) };
    case 'POLYGON':
      return { type: 'Polygon', coordinates: polygon(p) };
    case 'MULTIPOINT':
      return { type: 'MultiPoint', coordinates: list(p, multiPointItem) };
    case 'MULTILINESTRING':
      return { type: 'MultiLineString', coordinates: list(p, line) };
    case 'MULTIPOLYGON':
      return { type: 'MultiPolygon', coordinates: list(p, polygon) };
    default: {
      const geometries = list(p, (q) => {
        const t = q.peek();
        if (t.type !== 'ident' || !WKT_KEYWORDS.has(t.text.toUpperCase()) || t.text.toUpperCase() === 'BBOX') {
          throw filterError(`expected a WKT geometry but found ${describe(t)}`, t.pos);
        }
        return q.nested(t.pos, () => parseWkt(q));
      });
      return { type: 'GeometryCollection', geometries } as unknown as GeometryLiteral;
    }
  }
}
