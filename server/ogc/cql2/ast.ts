/**
 * CQL2 abstract syntax tree, shared by the text and JSON parsers and the SQL compiler.
 * Geometry literals are already GeoJSON geometries in the filter-crs axis order (the compiler
 * transforms them); BBOX(...) becomes a Polygon so spatial functions see one literal kind.
 */

export type GeometryLiteral = { type: string; coordinates: unknown };

export type Expr =
  | { kind: 'property'; name: string; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'boolean'; value: boolean; pos: number }
  /** DATE('…') or TIMESTAMP('…'); value is the ISO text */
  | { kind: 'temporal'; value: string; date: boolean; pos: number }
  /** a geometry literal; from BBOX(…) / {"bbox": […]} also the numbers as given, read in filter-crs by compile (server/ogc/bbox.ts) */
  | { kind: 'geometry'; value: GeometryLiteral; bbox?: number[]; pos: number }
  /** CASEI(expr): case-insensitive comparison operand */
  | { kind: 'casei'; arg: Expr; pos: number };

export type CompareOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
export const SPATIAL_OPS = ['s_intersects', 's_within', 's_contains', 's_disjoint', 's_equals', 's_touches', 's_overlaps', 's_crosses'] as const;
export type SpatialOp = (typeof SPATIAL_OPS)[number];

export type Predicate =
  | { kind: 'and' | 'or'; args: Predicate[]; pos: number }
  | { kind: 'not'; arg: Predicate; pos: number }
  | { kind: 'compare'; op: CompareOp; left: Expr; right: Expr; pos: number }
  | { kind: 'like'; left: Expr; pattern: Expr; caseInsensitive: boolean; pos: number }
  | { kind: 'in'; left: Expr; list: Expr[]; pos: number }
  | { kind: 'between'; left: Expr; low: Expr; high: Expr; pos: number }
  | { kind: 'isNull'; arg: Expr; pos: number }
  | { kind: 'spatial'; op: SpatialOp; left: Expr; right: Expr; pos: number }
  | { kind: 'literal'; value: boolean; pos: number };
