/**
 * The store's one spatial index (migration 010, server/db/spatial-search.ts): candidate searches
 * go through the GiST index of the EPSG:3857 column and must select exactly the rows the
 * EPSG:4490 box test selected — edges that only touch, points on vertices, boxes reaching the
 * poles or the antimeridian, boxes wholly beyond Web Mercator.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchBox3857 } from '../../server/db/spatial-search.js';
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
    expect(byBox3857).toEqual(byBox4490);
    const exact = await fids(sql`ST_Intersects(f.geom, ${g})`);
    expect(await fids(sql`f.geom_3857 && ${searchBox3857(g)} and ST_Intersects(f.geom, ${g})`)).toEqual(exact);
  });

  it('the searches are not vacuous: touching, vertex and pole cases do find features', async () => {
    const count = async (ewkt: string) =>
      (await sql<{ n: number }>`select count(*)::int as n from features f where f.layer_id = 'search-probe' and f.geom_3857 && ${searchBox3857(sql`ST_GeomFromEWKT(${ewkt})`)}`.execute(db.kysely)).rows[0].n;
    expect(await count(SEARCHES[1][1])).toBeGreaterThanOrEqual(3); // the east column of the grid, by its edge
    expect(await count(SEARCHES[2][1])).toBeGreaterThanOrEqual(4); // four squares share that vertex
    expect(await count(SEARCHES[5][1])).toBe(STORED.length);
    expect(await count(SEARCHES[7][1])).toBe(1); // the arctic square
    expect(await count(SEARCHES[8][1])).toBe(0);
  });
});
