import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { AttributeDef } from '../../server/db/schema.js';
import { AppError } from '../../server/errors.js';
import { filterToSql } from '../../server/ogc/cql2/index.js';
import { resolveCrs } from '../../server/ogc/crs.js';
import { ogcOpenApi } from '../../server/ogc/api-document.js';

// Compiles without a database: the SQL text and its parameters are what is asserted.
const db = new Kysely<unknown>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});
const ATTRS: AttributeDef[] = [
  { name: 'township', label: '所在乡镇', type: 'string' },
  { name: 'area_ha', label: '面积（公顷）', type: 'number' },
  { name: 'quality_grade', label: '耕地质量等别', type: 'integer' },
];
const CRS84 = resolveCrs('CRS84', 'filter-crs');
const compile = (filter: string, lang?: string, crs = CRS84) => filterToSql(filter, lang, ATTRS, crs).compile(db);

describe('CQL2 → SQL', () => {
  it('binds every literal and every property name; only operators and SQL functions are text', () => {
    const { sql, parameters } = compile("township = 'x''; drop table features; --' AND area_ha > 3");
    expect(sql).not.toContain('drop table');
    expect(sql).not.toContain('township');
    expect(parameters).toEqual(expect.arrayContaining(['township', "x'; drop table features; --", 'area_ha', 3]));
    expect(sql).toMatch(/f\.properties->>\$\d+\) = \$\d+::text/);
  });

  it('numeric attributes compare as numbers, guarded by their JSON type', () => {
    const { sql } = compile('quality_grade >= 2');
    expect(sql).toContain("jsonb_typeof(f.properties->$1) = 'number'");
    expect(sql).toMatch(/::numeric end\) >= \$\d+::numeric/);
  });

  it('geometry literals are bound GeoJSON, flipped and transformed per filter-crs', () => {
    // the literal twice: its box against the store's EPSG:3857 index (db/spatial-search.ts), then the exact test
    const lit = 'ST_SetSRID(ST_GeomFromGeoJSON($1::text), $2::int)';
    const plain = compile('S_INTERSECTS(geometry, POINT(125.6 44.4))');
    expect(plain.sql).toMatch(/^\(f\.geom_3857 && \(select case when not ST_IsEmpty\(sb\.g\)/);
    expect(plain.sql).toContain(' and ST_Intersects(f.geom, ST_SetSRID(ST_GeomFromGeoJSON($');
    expect(plain.sql.replace(/\$\d+/g, '$n')).toContain(lit.replace(/\$\d+/g, '$n'));
    expect(JSON.parse(plain.parameters.find((p) => typeof p === 'string' && p.startsWith('{')) as string)).toEqual({ type: 'Point', coordinates: [125.6, 44.4] });
    const gk = compile('S_WITHIN(geometry, POINT(4920000 468000))', undefined, resolveCrs('EPSG:4551', 'filter-crs'));
    expect(gk.sql.replace(/\$\d+/g, '$n')).toContain('ST_Within(f.geom, ST_Transform(ST_SetSRID(ST_FlipCoordinates(ST_GeomFromGeoJSON($n::text)), $n::int), 4490))');
    expect(gk.parameters).toContain(4551);
    // either order; S_DISJOINT implies nothing about boxes, so it has no index condition
    expect(compile('S_CONTAINS(POLYGON((125 44, 126 44, 126 45, 125 44)), geometry)').sql).toMatch(/^\(f\.geom_3857 && /);
    expect(compile('S_DISJOINT(geometry, POINT(125.6 44.4))').sql).toBe('ST_Disjoint(f.geom, ST_SetSRID(ST_GeomFromGeoJSON($1::text), $2::int))');
    for (const op of ['S_TOUCHES', 'S_EQUALS', 'S_OVERLAPS', 'S_CROSSES', 'S_WITHIN', 'S_INTERSECTS', 'S_CONTAINS']) {
      expect(compile(`${op}(geometry, POINT(125.6 44.4))`).sql, op).toMatch(/^\(f\.geom_3857 && /);
    }
    // the stored geometry against itself, or two literals: nothing to search by
    expect(compile('S_INTERSECTS(geometry, geometry)').sql).toBe('ST_Intersects(f.geom, f.geom)');
    expect(compile('S_INTERSECTS(POINT(1 1), POINT(1 1))').sql).not.toContain('geom_3857');
  });

  it('cql2-json and cql2-text compile to the same SQL', () => {
    const text = compile("township IN ('a', 'b') OR NOT area_ha BETWEEN 1 AND 2");
    const json = compile(
      JSON.stringify({ op: 'or', args: [{ op: 'in', args: [{ property: 'township' }, ['a', 'b']] }, { op: 'not', args: [{ op: 'between', args: [{ property: 'area_ha' }, 1, 2] }] }] }),
      'cql2-json',
    );
    expect(json).toEqual(text);
  });

  it.each([
    ['nosuch = 1', 0, /unknown property "nosuch"/],
    ["area_ha = 'x'", 10, /expected a number value but found a string/],
    ["township LIKE area_ha", 14, /expected a string pattern/],
    ['S_INTERSECTS(geometry, 1)', 23, /geometry/],
    ['quality_grade IN (1, 2, \'3\')', 24, /expected a number value/],
  ])('%j is refused at position %i', (filter, position, message) => {
    try {
      compile(filter);
      expect.unreachable();
    } catch (err) {
      expect((err as AppError).details).toEqual({ parameter: 'filter', position });
      expect((err as AppError).message).toMatch(message);
    }
  });
});

describe('OGC-rooted OpenAPI document', () => {
  it('keeps only /ogc paths, rooted at the landing page, and publishes limit as a bounded integer', () => {
    const doc = ogcOpenApi(
      {
        openapi: '3.0.3',
        paths: {
          '/ogc': { get: {} },
          '/ogc/collections/{collectionId}/items': { get: { parameters: [{ name: 'limit', in: 'query', schema: { type: 'string' } }] } },
          '/api/layers': { get: {} },
        },
      },
      'http://gis.test',
      500,
    );
    expect(doc.servers).toEqual([{ url: 'http://gis.test/ogc', description: expect.any(String) }]);
    expect(Object.keys(doc.paths!)).toEqual(['/', '/collections/{collectionId}/items']);
    expect(doc.paths!['/collections/{collectionId}/items'].get.parameters![0].schema).toEqual({ type: 'integer', minimum: 1, maximum: 500, default: 100 });
  });
});
