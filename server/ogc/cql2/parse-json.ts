/** CQL2-JSON → the same AST as CQL2-text, with character offsets for every error. */
import { SPATIAL_OPS, type CompareOp, type Expr, type Predicate, type SpatialOp } from './ast.js';
import { isRfc3339Date, isRfc3339Timestamp } from '../../rfc3339.js';
import { DATE_EXPECTED, TIMESTAMP_EXPECTED, filterError } from './filter-error.js';
import { parseJsonWithPositions, type ParsedJson } from './json-positions.js';
import { bboxLiteral } from './wkt.js';

const COMPARE = new Set(['=', '<>', '<', '<=', '>', '>=']);
const GEOJSON_TYPES = new Set(['Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon', 'GeometryCollection']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseCql2Json(src: string): Predicate {
  if (src.trim() === '') throw filterError('the filter is empty', 0);
  const parsed = parseJsonWithPositions(src);
  return new JsonReader(parsed).predicate(parsed.value, src.search(/\S/));
}

class JsonReader {
  constructor(private readonly parsed: ParsedJson) {}

  private at(parent: object, key: string | number, fallback: number): number {
    return this.parsed.where.get(parent)?.children.get(key) ?? fallback;
  }

  /** the args array of an operation, checked for its length */
  private args(node: Obj, pos: number, op: string, min: number, max = min): { list: unknown[]; pos: (i: number) => number } {
    const list = node.args;
    const argsPos = this.at(node, 'args', pos);
    if (!Array.isArray(list)) throw filterError(`expected "args" to be an array for op "${op}"`, argsPos);
    if (list.length < min || list.length > max) {
      throw filterError(`expected ${min === max ? min : `${min} to ${max === Infinity ? 'any number of' : max}`} arguments for op "${op}" but found ${list.length}`, argsPos);
    }
    return { list, pos: (i) => this.at(list, i, argsPos) };
  }

  predicate(node: unknown, pos: number): Predicate {
    if (typeof node === 'boolean') return { kind: 'literal', value: node, pos };
    if (!isObj(node) || typeof node.op !== 'string') throw filterError('expected an operation object {"op": …, "args": […]} or true/false', pos);
    const op = node.op.toLowerCase();
    if (op === 'and' || op === 'or') {
      const a = this.args(node, pos, op, 2, Infinity);
      return { kind: op, args: a.list.map((x, i) => this.predicate(x, a.pos(i))), pos };
    }
    if (op === 'not') {
      const a = this.args(node, pos, op, 1);
      return { kind: 'not', arg: this.predicate(a.list[0], a.pos(0)), pos };
    }
    if (COMPARE.has(op)) {
      const a = this.args(node, pos, op, 2);
      return { kind: 'compare', op: op as CompareOp, left: this.expr(a.list[0], a.pos(0)), right: this.expr(a.list[1], a.pos(1)), pos };
    }
    if (op === 'like') {
      const a = this.args(node, pos, op, 2);
      return { kind: 'like', left: this.expr(a.list[0], a.pos(0)), pattern: this.expr(a.list[1], a.pos(1)), caseInsensitive: false, pos };
    }
    if (op === 'between') {
      const a = this.args(node, pos, op, 3);
      return { kind: 'between', left: this.expr(a.list[0], a.pos(0)), low: this.expr(a.list[1], a.pos(1)), high: this.expr(a.list[2], a.pos(2)), pos };
    }
    if (op === 'in') {
      const a = this.args(node, pos, op, 2);
      const values = a.list[1];
      if (!Array.isArray(values) || values.length === 0) throw filterError('expected a non-empty array of values as the second argument of "in"', a.pos(1));
      return { kind: 'in', left: this.expr(a.list[0], a.pos(0)), list: values.map((v, i) => this.expr(v, this.at(values, i, a.pos(1)))), pos };
    }
    if (op === 'isnull') {
      const a = this.args(node, pos, op, 1);
      return { kind: 'isNull', arg: this.expr(a.list[0], a.pos(0)), pos };
    }
    if ((SPATIAL_OPS as readonly string[]).includes(op)) {
      const a = this.args(node, pos, op, 2);
      return { kind: 'spatial', op: op as SpatialOp, left: this.expr(a.list[0], a.pos(0)), right: this.expr(a.list[1], a.pos(1)), pos };
    }
    throw filterError(`unsupported op "${node.op}"`, this.at(node, 'op', pos));
  }

  expr(node: unknown, pos: number): Expr {
    if (typeof node === 'string') return { kind: 'string', value: node, pos };
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) throw filterError('a number out of range', pos);
      return { kind: 'number', value: node, pos };
    }
    if (typeof node === 'boolean') return { kind: 'boolean', value: node, pos };
    if (isObj(node)) {
      if (typeof node.property === 'string') return { kind: 'property', name: node.property, pos };
      for (const [key, date] of [['date', true], ['timestamp', false]] as const) {
        if (!(key in node)) continue;
        const v = node[key];
        if (typeof v === 'string' && (date ? isRfc3339Date(v) : isRfc3339Timestamp(v))) return { kind: 'temporal', value: v, date, pos };
        throw filterError(`expected {"${key}": ${date ? DATE_EXPECTED : TIMESTAMP_EXPECTED}} but found ${JSON.stringify(v)}`, this.at(node, key, pos));
      }
      if (Array.isArray(node.bbox) && (node.bbox.length === 4 || node.bbox.length === 6) && node.bbox.every((n) => typeof n === 'number')) {
        const b = node.bbox as number[];
        return { kind: 'geometry', value: bboxLiteral(b), bbox: b, pos };
      }
      if (typeof node.type === 'string' && GEOJSON_TYPES.has(node.type)) return { kind: 'geometry', value: node as { type: string; coordinates: unknown }, pos };
      if (node.op === 'casei') {
        const a = this.args(node, pos, 'casei', 1);
        return { kind: 'casei', arg: this.expr(a.list[0], a.pos(0)), pos };
      }
    }
    throw filterError('expected a property {"property": …}, a string, number, boolean, {"date": …}, {"timestamp": …}, {"bbox": […]} or a GeoJSON geometry', pos);
  }
}
