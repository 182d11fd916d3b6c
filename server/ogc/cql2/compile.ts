/**
 * CQL2 AST → a parameterised SQL predicate on alias `f` (features). Every literal is a bind
 * parameter; property names are checked against the layer's queryables (its attributes plus
 * `geometry`) and reach SQL only as bound JSON keys (`f.properties->>$n`), never as text.
 * Numeric attributes compare numerically; values of the wrong JSON type compare as NULL
 * (unknown), not as a query error.
 */
import { sql, type RawBuilder } from 'kysely';
import type { AttributeDef } from '../../db/schema.js';
import { searchBox3857 } from '../../db/spatial-search.js';
import { bboxArea } from '../bbox.js';
import type { CrsInfo } from '../crs.js';
import { checkGeometry, positionRangeProblem } from '../geojson-check.js';
import type { Expr, Predicate, SpatialOp } from './ast.js';
import { filterError } from './filter-error.js';
import { storedDate } from '../stored-date.js';

type ValueType = 'string' | 'number' | 'boolean' | 'date' | 'geometry';
interface Typed {
  sql: RawBuilder<unknown>;
  type: ValueType;
}

export interface CompileContext {
  attributes: AttributeDef[];
  /** CRS of geometry literals (filter-crs); CRS84 by default */
  filterCrs: CrsInfo;
}

const SPATIAL_SQL: Record<SpatialOp, string> = {
  s_intersects: 'ST_Intersects',
  s_within: 'ST_Within',
  s_contains: 'ST_Contains',
  s_disjoint: 'ST_Disjoint',
  s_equals: 'ST_Equals',
  s_touches: 'ST_Touches',
  s_overlaps: 'ST_Overlaps',
  s_crosses: 'ST_Crosses',
};

export function compileFilter(p: Predicate, ctx: CompileContext): RawBuilder<boolean> {
  return new Compiler(ctx).predicate(p) as RawBuilder<boolean>;
}

class Compiler {
  private readonly attrs: Map<string, AttributeDef>;
  constructor(private readonly ctx: CompileContext) {
    this.attrs = new Map(ctx.attributes.map((a) => [a.name, a]));
  }

  predicate(p: Predicate): RawBuilder<unknown> {
    switch (p.kind) {
      case 'and':
      case 'or':
        return sql`(${sql.join(p.args.map((a) => this.predicate(a)), p.kind === 'and' ? sql` and ` : sql` or `)})`;
      case 'not':
        // NOT of an unknown (NULL) comparison stays unknown: a feature lacking the value matches neither.
        return sql`(not ${this.predicate(p.arg)})`;
      case 'literal':
        return p.value ? sql`true` : sql`false`;
      case 'compare': {
        const [l, r] = this.pair(p.left, p.right);
        if ((l.type === 'boolean' || l.type === 'geometry') && p.op !== '=' && p.op !== '<>') {
          throw filterError(`operator ${p.op} does not apply to ${l.type} values (use = or <>)`, p.right.pos);
        }
        return sql`(${l.sql} ${sql.raw(p.op)} ${r.sql})`;
      }
      case 'like': {
        const l = this.expr(p.left);
        const pat = this.expr(p.pattern);
        if (l.type !== 'string') throw filterError(`LIKE needs a string property, not ${l.type}`, p.left.pos);
        if (pat.type !== 'string' || !isLiteral(p.pattern)) throw filterError('expected a string pattern after LIKE', p.pattern.pos);
        return sql`(${l.sql} ${sql.raw(p.caseInsensitive ? 'ilike' : 'like')} ${pat.sql})`;
      }
      case 'in': {
        const l = this.expr(p.left);
        const items = p.list.map((e) => this.expectType(e, l.type));
        return sql`(${l.sql} in (${sql.join(items)}))`;
      }
      case 'between': {
        const l = this.expr(p.left);
        if (l.type !== 'number' && l.type !== 'date' && l.type !== 'string') throw filterError(`BETWEEN does not apply to ${l.type} values`, p.left.pos);
        return sql`(${l.sql} between ${this.expectType(p.low, l.type)} and ${this.expectType(p.high, l.type)})`;
      }
      case 'isNull': {
        const e = this.expr(p.arg);
        if (p.arg.kind !== 'property') throw filterError('expected a property before IS NULL', p.arg.pos);
        // ->> is NULL both for a missing key and for a JSON null
        return e.type === 'geometry' ? sql`(f.geom is null)` : sql`(f.properties->>${p.arg.name} is null)`;
      }
      case 'spatial': {
        const l = this.expr(p.left);
        const r = this.expr(p.right);
        for (const [e, x] of [[l, p.left], [r, p.right]] as const) {
          if (e.type !== 'geometry') throw filterError(`expected the geometry property or a geometry literal in ${p.op.toUpperCase()}`, x.pos);
        }
        const test = sql`${sql.raw(SPATIAL_SQL[p.op])}(${l.sql}, ${r.sql})`;
        // The stored geometry against a literal: candidates from the store's spatial index first
        // (db/spatial-search.ts) — every operator but S_DISJOINT implies that the two boxes meet.
        const literal = isGeometryProperty(p.left) ? p.right : isGeometryProperty(p.right) ? p.left : null;
        if (p.op === 's_disjoint' || !literal || isGeometryProperty(literal)) return test;
        return sql`(f.geom_3857 && ${searchBox3857((literal === p.left ? l : r).sql)} and ${test})`;
      }
    }
  }

  /** both operands of a comparison, type-checked against each other */
  private pair(a: Expr, b: Expr): [Typed, Typed] {
    const l = this.expr(a);
    return [l, { sql: this.expectType(b, l.type), type: l.type }];
  }

  private expectType(e: Expr, type: ValueType): RawBuilder<unknown> {
    const t = this.expr(e);
    if (t.type !== type) throw filterError(`expected a ${type} value but found a ${t.type}`, e.pos);
    return t.sql;
  }

  expr(e: Expr): Typed {
    switch (e.kind) {
      case 'property':
        return this.property(e.name, e.pos);
      case 'string':
        return { sql: sql`${e.value}::text`, type: 'string' };
      case 'number':
        return { sql: sql`${e.value}::numeric`, type: 'number' };
      case 'boolean':
        return { sql: sql`${e.value}::boolean`, type: 'boolean' };
      case 'temporal':
        return { sql: e.date ? sql`${e.value}::date` : sql`${e.value}::timestamptz`, type: 'date' };
      case 'casei': {
        const inner = this.expr(e.arg);
        if (inner.type !== 'string') throw filterError('CASEI needs a string', e.arg.pos);
        return { sql: sql`lower(${inner.sql})`, type: 'string' };
      }
      case 'geometry':
        return { sql: e.bbox ? this.bboxLiteral(e.bbox, e.pos) : this.geometryLiteral(e.value, e.pos), type: 'geometry' };
    }
  }

  private property(name: string, pos: number): Typed {
    if (name === 'geometry') return { sql: sql`f.geom`, type: 'geometry' };
    const attr = this.attrs.get(name);
    if (!attr) throw filterError(`unknown property "${name}" (queryables: ${[...this.attrs.keys(), 'geometry'].join(', ')})`, pos);
    const text = sql`(f.properties->>${name})`;
    const json = sql`f.properties->${name}`;
    switch (attr.type) {
      case 'number':
      case 'integer':
        return { sql: sql`(case when jsonb_typeof(${json}) = 'number' then ${text}::numeric end)`, type: 'number' };
      case 'boolean':
        return { sql: sql`(case when jsonb_typeof(${json}) = 'boolean' then ${text}::boolean end)`, type: 'boolean' };
      case 'date':
        return { sql: storedDate(text), type: 'date' };
      default:
        return { sql: text, type: 'string' };
    }
  }

  /** BBOX(…) / {"bbox": […]} in filter-crs axis order → its area (two boxes across the antimeridian, bbox.ts) in EPSG:4490 */
  private bboxLiteral(n: number[], pos: number): RawBuilder<unknown> {
    const crs = this.ctx.filterCrs;
    const area = bboxArea(n, crs);
    if ('message' in area) throw filterError(`invalid BBOX for filter-crs: ${area.message}`, pos);
    const g = sql`ST_SetSRID(ST_GeomFromGeoJSON(${JSON.stringify(area.geometry)}::text), ${crs.srid}::int)`;
    // edges straight in filter-crs stay (nearly) straight in EPSG:4490: densified before the transform, as items bbox
    return crs.srid === 4490 ? g : sql`ST_Transform(ST_Segmentize(${g}, ${crs.bounds.eastName === 'longitude' ? 0.01 : 1000}::float8), 4490)`;
  }

  /** GeoJSON literal in filter-crs axis order → EPSG:4490 */
  private geometryLiteral(value: unknown, pos: number): RawBuilder<unknown> {
    const check = checkGeometry(value);
    if ('message' in check) throw filterError(`invalid geometry literal: ${check.message}`, pos);
    const crs = this.ctx.filterCrs;
    // A position outside the filter-crs (±180°/±90°, or a projected CRS's area of use) would fail in
    // ST_Transform or silently match nothing: refuse it, naming where.
    const range = positionRangeProblem(value, crs);
    if (range) throw filterError(`geometry literal out of range for filter-crs: ${range.message.replace("Content-Crs", "filter-crs")}`, pos);
    let g: RawBuilder<unknown> = sql`ST_GeomFromGeoJSON(${JSON.stringify(value)}::text)`;
    if (crs.northFirst) g = sql`ST_FlipCoordinates(${g})`;
    g = sql`ST_SetSRID(${g}, ${crs.srid}::int)`;
    return crs.srid === 4490 ? g : sql`ST_Transform(${g}, 4490)`;
  }
}

const isGeometryProperty = (e: Expr) => e.kind === 'property' && e.name === 'geometry';
const isLiteral = (e: Expr) => e.kind === 'string' || (e.kind === 'casei' && e.arg.kind === 'string');
