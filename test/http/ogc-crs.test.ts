import { describe, expect, it } from 'vitest';
import { SUPPORTED_CRS } from '../../server/ogc/crs.js';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { usingPostgres } from '../helpers/test-db.js';

// PF-0001's first vertex is 125.60E 44.40N, a corner no other parcel touches (test/fixtures/ogc).
const EPSG = (n: number) => `http://www.opengis.net/def/crs/EPSG/0/${n}`;

describe(`OGC API Features Part 2: CRS (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('ogc');
  const get = async (url: string) => {
    const r = await fx.app.inject({ url });
    return { status: r.statusCode, headers: r.headers, json: JSON.parse(r.body) };
  };
  const corner = async (crs: string) => {
    const r = await get(`/ogc/collections/permanent-farmland/items/PF-0001?crs=${encodeURIComponent(crs)}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-crs']).toBe(`<${crs}>`);
    return r.json.geometry.coordinates[0][0] as [number, number];
  };

  it('every offered CRS answers with its Content-Crs, in its axis order', async () => {
    expect(await corner('http://www.opengis.net/def/crs/OGC/1.3/CRS84')).toEqual([125.6, 44.4]);
    expect(await corner(EPSG(4490))).toEqual([44.4, 125.6]);
    const wgs = await corner(EPSG(4326));
    expect(wgs[0]).toBeCloseTo(44.4, 5);
    expect(wgs[1]).toBeCloseTo(125.6, 5);
    const merc = await corner(EPSG(3857));
    expect(merc[0]).toBeCloseTo(13981728.04, 0);
    expect(merc[1]).toBeCloseTo(5527553.22, 0);
    // Gauss-Kruger zone 42 (CM 126°E): northing first; 4530 carries the zone in the easting
    const [n4551, e4551] = await corner(EPSG(4551));
    const [n4530, e4530] = await corner(EPSG(4530));
    expect(n4551).toBeGreaterThan(4_900_000);
    expect(n4551).toBeLessThan(4_930_000);
    expect(e4551).toBeGreaterThan(460_000); // 0.4° west of the central meridian ≈ 31.9 km
    expect(e4551).toBeLessThan(470_000);
    expect(n4530).toBeCloseTo(n4551, 3);
    expect(e4530 - e4551).toBeCloseTo(42_000_000, 3);
  });

  it.each(SUPPORTED_CRS.map((c) => [c.uri, c.decimals]))('a bbox in %s (its own axis order) finds the corner parcel only', async (uri, decimals) => {
    const [a, b] = await corner(uri as string);
    const d = (decimals as number) > 3 ? 1e-5 : 1;
    const r = await get(`/ogc/collections/permanent-farmland/items?bbox=${[a - d, b - d, a + d, b + d].join(',')}&bbox-crs=${encodeURIComponent(uri as string)}`);
    expect(r.status).toBe(200);
    expect(r.json.features.map((f: { id: string }) => f.id)).toEqual(['PF-0001']);
  });

  it('accepts the short forms EPSG:n and CRS84, and crs on items pages', async () => {
    const r = await get('/ogc/collections/permanent-farmland/items?crs=EPSG:4551&limit=1');
    expect(r.headers['content-crs']).toBe(`<${EPSG(4551)}>`);
    expect(r.json.features[0].geometry.coordinates[0][0][0]).toBeGreaterThan(4_900_000);
    expect((await get('/ogc/collections/permanent-farmland/items?bbox=125.599,44.399,125.601,44.401&bbox-crs=CRS84')).json.numberMatched).toBe(1);
  });

  it('collections list every CRS and give the extent in CRS84 and in the storage CRS', async () => {
    const c = (await get('/ogc/collections/permanent-farmland')).json;
    expect(c.crs).toEqual(SUPPORTED_CRS.map((s) => s.uri));
    expect(c.storageCrs).toBe(EPSG(4490));
    const [x1, y1, x2, y2] = c.extent.spatial.bbox[0];
    expect(x1).toBeCloseTo(125.6, 6);
    expect(y1).toBeCloseTo(44.4, 6);
    expect(c.extent.spatial.storageCrsBbox[0]).toEqual([y1, x1, y2, x2]);
  });

  it.each([['crs=EPSG:2366'], ['bbox=1,2,3,4&bbox-crs=EPSG:2387'], ['crs=EPSG:4490&crs=EPSG:4326']])('%s is a 400 naming the parameter', async (q) => {
    const r = await get(`/ogc/collections/permanent-farmland/items?${q}`);
    expect(r.status).toBe(400);
    expect(r.json.details.parameter).toMatch(/crs/);
  });

  // A box far outside the CRS's domain would be densified into billions of points in the database
  // (or fail to transform): refused up front, naming the coordinate.
  it.each([
    ['-1e7,-1e7,1e7,1e7', 'EPSG:4326', 'longitude'],
    ['-1e12,-1e12,1e12,1e12', 'EPSG:3857', 'easting'],
    ['4930000,1e8,4931000,1e8', 'EPSG:4530', 'easting'],
    ['125.6,44.4,125.7,95', 'CRS84', 'latitude'],
    ['44.4,125.6,44.5,181', 'EPSG:4490', 'longitude'],
  ])('bbox=%s in %s, outside its domain → 400 naming bbox and the %s', async (bbox, crs, axis) => {
    const before = (await get('/ogc/collections/permanent-farmland/items?limit=1')).json.numberMatched;
    const r = await get(`/ogc/collections/permanent-farmland/items?bbox=${bbox}&bbox-crs=${crs}`);
    expect(r.status, JSON.stringify(r.json)).toBe(400);
    expect(r.json.details.parameter).toBe('bbox');
    expect(r.json.message).toContain(axis);
    expect((await get('/ogc/collections/permanent-farmland/items?limit=1')).json.numberMatched).toBe(before);
  });

  // /req/core/fc-bbox-definition (found by a review: the complementary strip was answered)
  it('a lon/lat bbox whose west edge is east of its east edge crosses the antimeridian: both sides, in items bbox and CQL2 BBOX', async () => {
    const n = async (q: string) => (await get(`/ogc/collections/permanent-farmland/items?limit=1000&${q}`)).json.numberMatched as number;
    const all = await n('');
    const strip = await n('bbox=125.65,44.3,125.7,44.7');
    const east = await n('bbox=125.7,44.3,180,44.7');
    const west = await n('bbox=-180,44.3,125.65,44.7');
    expect(strip).toBeGreaterThan(0);
    expect(east + west).toBeGreaterThan(0);
    const crossing = await n('bbox=125.7,44.3,125.65,44.7');
    expect(crossing).toBe(await n(`filter=${encodeURIComponent('S_INTERSECTS(geometry, BBOX(125.7, 44.3, 180, 44.7)) OR S_INTERSECTS(geometry, BBOX(-180, 44.3, 125.65, 44.7))')}`));
    expect(crossing).toBeGreaterThanOrEqual(Math.max(east, west));
    expect(crossing).toBeLessThan(all);
    expect(await n(`filter=${encodeURIComponent('S_INTERSECTS(geometry, BBOX(125.7, 44.3, 125.65, 44.7))')}`)).toBe(crossing);
    expect(await n(`filter-lang=cql2-json&filter=${encodeURIComponent('{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[125.7,44.3,125.65,44.7]}]}')}`)).toBe(crossing);
    // latitude first (EPSG:4326): the longitudes are the 2nd and 4th numbers
    expect(await n('bbox=44.3,125.7,44.7,125.65&bbox-crs=EPSG:4326')).toBe(crossing);
  });

  it('a projected bbox whose west edge is east of its east edge is a 400 naming bbox (no antimeridian there)', async () => {
    const r = await get('/ogc/collections/permanent-farmland/items?bbox=14000000,5500000,13900000,5600000&bbox-crs=EPSG:3857');
    expect(r.status).toBe(400);
    expect(r.json.details.parameter).toBe('bbox');
    const f = await get(`/ogc/collections/permanent-farmland/items?filter-crs=${encodeURIComponent('http://www.opengis.net/def/crs/EPSG/0/3857')}&filter=${encodeURIComponent('S_INTERSECTS(geometry, BBOX(14000000, 5500000, 13900000, 5600000))')}`);
    expect(f.status).toBe(400);
    expect(f.json.details.parameter).toBe('filter');
  });

  it('a north-first bbox-crs checks its latitudes in order (lower above upper → 400), whatever the longitudes', async () => {
    // EPSG:4326 is latitude first: 44.43,125.6 is the lower corner, 44.4,125.63 the upper one
    const r = await get('/ogc/collections/permanent-farmland/items?bbox=44.43,125.6,44.4,125.63&bbox-crs=EPSG:4326');
    expect(r.status).toBe(400);
    expect(r.json.details.parameter).toBe('bbox');
    // longitudes in either order were refused before as if they were latitudes; a box crossing the antimeridian is not
    expect((await get('/ogc/collections/permanent-farmland/items?bbox=44.4,125.63,44.43,125.6&bbox-crs=EPSG:4326')).status).toBe(200);
  });
});
