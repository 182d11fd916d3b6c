/**
 * The store's one spatial index (migration 010, server/db/spatial-search.ts): candidate searches
 * go through the GiST index of the EPSG:3857 column and must find every row the EPSG:4490 box test
 * found (extra candidates within the index boxes' rounding are allowed: the exact test removes
 * them) — edges that only touch, points on vertices, lines on the antimeridian, boxes reaching the
 * poles or beyond Web Mercator, empty geometry — and the exact predicate after it must give the
 * same rows as without it, CQL2's spatial operators and their negations included.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchBox3857 } from '../../server/db/spatial-search.js';
import { CRS84, resolveCrs } from '../../server/ogc/crs.js';
import { parseCql2Text } from '../../server/ogc/cql2/parse-text.js';
import { compileFilter } from '../../server/ogc/cql2/compile.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

const box = (x0: number, y0: number, x1: number, y1: number) => `SRID=4490;POLYGON((${x0} ${y0},${x1} ${y0},${x1} ${y1},${x0} ${y1},${x0} ${y0}))`;

/** stored features: a grid of squares sharing edges, a sliver, a far-away one and one near the Mercator limit */
const STORED: [string, string][] = [
  ...Array.from({ length: 9 }, (_, i): [string, string] => {
    const x = 125.5 + (i % 3) * 0.01;
    const y = 44.3 + Math.floor(i / 3) * 0.01;
    return [`g${i}`, box(x, y, x + 0.01, y + 0.01)];
  }),
  ['sliver', box(125.55, 44.35, 125.550000002, 44.36)],
  ['south', box(-70.1, -33.5, -70.0, -33.4)],
  ['arctic', box(20, 84.9, 21, 85.05)],
  ['line', 'SRID=4490;LINESTRING(125.6 44.4, 125.7 44.5)'],
  ['antimeridian', box(179.99, 10, 180, 10.01)],
  ['antimeridian-north', box(179.99, 84.9, 180, 85)],
  ['point', 'SRID=4490;POINT(125.52 44.32)'],
];

/** searches: [name, EWKT] */
const SEARCHES: [string, string][] = [
  ['inside one square', box(125.501, 44.301, 125.502, 44.302)],
  ['touching the grid only at its east edge', box(125.53, 44.3, 125.54, 44.33)],
  ['a shared vertex', 'SRID=4490;POINT(125.51 44.31)'],
  ['the stored point itself', 'SRID=4490;POINT(125.52 44.32)'],
  ['across the sliver', box(125.5500000005, 44.355, 125.5500000015, 44.356)],
  ['the whole world, poles included', box(-180, -90, 180, 90)],
  ['the southern hemisphere', box(-180, -90, 180, 0)],
  ['up to the pole from 85°', box(0, 85, 40, 90)],
  ['wholly beyond Web Mercator', box(0, 89.9999999995, 40, 90)],
  ['a line crossing the grid', 'SRID=4490;LINESTRING(125.495 44.305, 125.535 44.335)'],
  ['a line on the antimeridian', 'SRID=4490;LINESTRING(180 9, 180 11)'],
  ['a line on the antimeridian up to the pole', 'SRID=4490;LINESTRING(180 84.95, 180 90)'],
  ['a box from the antimeridian eastwards', box(180, 10.005, 190, 10.006)],
  ['empty', 'SRID=4490;POLYGON EMPTY'],
];

describe(`spatial searches through the EPSG:3857 index (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;

  beforeAll(async () => {
    db = await openTestDb('empty');
    await sql`insert into layers (id, title, kind, geometry_type, version) values ('search-probe', '检索', 'other', 'Polygon', 1)`.execute(db.kysely);
    await sql`insert into layer_versions (layer_id, version, author) values ('search-probe', 1, 'test')`.execute(db.kysely);
    for (const [fid, ewkt] of STORED) {
      await sql`insert into features (layer_id, fid, geom, valid_from) values ('search-probe', ${fid}, ST_GeomFromEWKT(${ewkt}), 1)`.execute(db.kysely);
    }
  });
  afterAll(() => db?.dispose());

  it('features has one spatial index, on the EPSG:3857 column', async () => {
    const r = await sql<{ name: string; def: string }>`
      select indexname as name, indexdef as def from pg_indexes where tablename = 'features' and indexdef ilike '%using gist%'`.execute(db.kysely);
    expect(r.rows.map((i) => i.name)).toEqual(['features_geom_3857']);
  });

  it.each(SEARCHES)('%s: the 3857 box test selects exactly what the 4490 box test did, and so does the exact predicate after it', async (_name, ewkt) => {
    const g = sql`ST_GeomFromEWKT(${ewkt})`;
    const fids = async (where: ReturnType<typeof sql>) =>
      (await sql<{ fid: string }>`select fid from features f where f.layer_id = 'search-probe' and ${where} order by fid`.execute(db.kysely)).rows.map((r) => r.fid);
    const byBox4490 = await fids(sql`f.geom && ${g}`);
    const byBox3857 = await fids(sql`f.geom_3857 && ${searchBox3857(g)}`);
    expect(byBox3857).toEqual(expect.arrayContaining(byBox4490));
    // no candidate far from the search: the extras are within the index boxes' rounding (here: none)
    expect(byBox3857).toEqual(byBox4490);
    const exact = await fids(sql`ST_Intersects(f.geom, ${g})`);
    expect(await fids(sql`f.geom_3857 && ${searchBox3857(g)} and ST_Intersects(f.geom, ${g})`)).toEqual(exact);
  });

  it('the installed PROJ maps CGCS2000 to Web Mercator axis by axis (what the search box relies on)', async () => {
    const r = await sql<{ xs: number; ys: number }>`
      select count(distinct round(ST_X(ST_Transform(ST_SetSRID(ST_MakePoint(125.5, lat), 4490), 3857))::numeric, 6))::int as xs,
             count(distinct round(ST_Y(ST_Transform(ST_SetSRID(ST_MakePoint(lon, 44.3), 4490), 3857))::numeric, 6))::int as ys
      from unnest(array[-80, -33.5, 0, 44.3, 84.9]::float8[]) lat, unnest(array[-179.9, -70, 0, 125.5, 180]::float8[]) lon`.execute(db.kysely);
    expect(r.rows[0]).toEqual({ xs: 1, ys: 1 });
  });

  it.each(['s_intersects', 's_touches', 's_within', 's_contains', 's_equals', 's_overlaps', 's_crosses', 's_disjoint'])(
    'CQL2 %s against a literal, and NOT it, give the rows of the exact predicate alone',
    async (op) => {
      const fn = { s_intersects: 'ST_Intersects', s_touches: 'ST_Touches', s_within: 'ST_Within', s_contains: 'ST_Contains', s_equals: 'ST_Equals', s_overlaps: 'ST_Overlaps', s_crosses: 'ST_Crosses', s_disjoint: 'ST_Disjoint' }[op]!;
      const ctx = { attributes: [], filterCrs: resolveCrs(CRS84, 'filter-crs') };
      // literals: one grid square (touching its neighbours, within the big box), a box over four squares, a line through the
      // grid, and the stored antimeridian square itself (equal to it, contained by it, on the edge of Web Mercator's x range)
      const literals = ['POLYGON((125.51 44.31, 125.52 44.31, 125.52 44.32, 125.51 44.32, 125.51 44.31))', 'POLYGON((125.505 44.305, 125.525 44.305, 125.525 44.325, 125.505 44.325, 125.505 44.305))', 'LINESTRING(125.495 44.305, 125.535 44.335)', 'POLYGON((179.99 10, 180 10, 180 10.01, 179.99 10.01, 179.99 10))',
        // crosses the stored line at (125.65, 44.45): so S_CROSSES finds something too (found by a review: it never did)
        'LINESTRING(125.6 44.5, 125.7 44.4)'];
      let hits = 0;
      for (const wkt of literals) {
        for (const negate of [false, true]) {
          const text = `${negate ? 'NOT ' : ''}${op.toUpperCase()}(geometry, ${wkt})`;
          const compiled = compileFilter(parseCql2Text(text), ctx);
          const viaIndex = (await sql<{ fid: string }>`select fid from features f where f.layer_id = 'search-probe' and ${compiled} order by fid`.execute(db.kysely)).rows.map((r) => r.fid);
          const exact = sql`${sql.raw(fn)}(f.geom, ST_GeomFromText(${wkt}, 4490))`;
          const reference = (await sql<{ fid: string }>`select fid from features f where f.layer_id = 'search-probe' and ${negate ? sql`not ${exact}` : exact} order by fid`.execute(db.kysely)).rows.map((r) => r.fid);
          expect(viaIndex, text).toEqual(reference);
          if (!negate) hits += reference.length;
        }
      }
      expect(hits, `${op} found something`).toBeGreaterThan(0);
    },
  );

  it('the searches are not vacuous: touching, vertex and pole cases do find features', async () => {
    const count = async (ewkt: string) =>
      (await sql<{ n: number }>`select count(*)::int as n from features f where f.layer_id = 'search-probe' and f.geom_3857 && ${searchBox3857(sql`ST_GeomFromEWKT(${ewkt})`)}`.execute(db.kysely)).rows[0].n;
    expect(await count(SEARCHES[1][1])).toBeGreaterThanOrEqual(3); // the east column of the grid, by its edge
    expect(await count(SEARCHES[2][1])).toBeGreaterThanOrEqual(4); // four squares share that vertex
    expect(await count(SEARCHES[5][1])).toBe(STORED.length);
    expect(await count(SEARCHES[7][1])).toBe(1); // the arctic square
    expect(await count(SEARCHES[8][1])).toBe(0);
    expect(await count('SRID=4490;LINESTRING(180 84.95, 180 90)')).toBe(1); // on the clip edge: GEOS's clip would drop it
  });
});
