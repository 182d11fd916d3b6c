/**
 * surelyValid (ingest/geometry-valid.ts) lets the upload screen skip ST_IsValid: every ring it
 * calls valid must be valid to GEOS after the upload's own transform to EPSG:4490 and snap to the
 * store's grid. Random rings are built to be nearly degenerate — vertices on a coarse grid (shared
 * points, collinear runs, spikes, bow-ties) nudged by amounts around the margin — in a
 * Gauss-Kruger zone (EPSG:4530, metres, far from the central meridian) and in lon/lat (EPSG:4490),
 * small and large. The test also requires that a fair share of them is called valid, so that a
 * function that says "ask GEOS" to everything would fail it.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { surelyValid, validityShortcut } from '../../server/ingest/geometry-valid.js';
import { GRID } from '../../server/layers/layer-writes.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

type Ring = [number, number][];

/** a ring of 3–7 vertices on a grid of `step`, each nudged by 0, ±margin/2, ±2×margin or ±1e-9 of a step */
const ringArb = (origin: [number, number], step: number, margin: number) =>
  fc
    .array(
      fc.tuple(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.constantFrom(0, margin / 2, -margin / 2, 2 * margin, -2 * margin, step * 1e-9),
        fc.constantFrom(0, margin / 2, -margin / 2, 2 * margin, -2 * margin),
      ),
      { minLength: 3, maxLength: 7 },
    )
    .map((vs) => {
      const ring: Ring = vs.map(([i, j, dx, dy]) => [origin[0] + i * step + dx, origin[1] + j * step + dy]);
      return [...ring, ring[0]];
    });

const wkt = (r: Ring) => `POLYGON((${r.map(([x, y]) => `${x} ${y}`).join(',')}))`;

describe(`surelyValid never says valid where GEOS says invalid (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await openTestDb('empty');
  });
  afterAll(() => db?.dispose());

  /** ST_IsValid of each ring as the upload stages it: from `srid` to 4490, snapped to the grid */
  async function geosValid(rings: Ring[], srid: number): Promise<boolean[]> {
    const rows = await sql<{ ok: boolean }>`
      select ST_IsValid(ST_SnapToGrid(ST_Transform(ST_GeomFromText(w, ${srid}::int), 4490), ${GRID}::float8)) as ok
      from unnest(${rings.map(wkt)}::text[]) with ordinality as t(w, k) order by k`.execute(db.kysely);
    return rows.rows.map((r) => r.ok);
  }

  const cases: { name: string; srid: number; geographic: boolean; origin: [number, number]; step: number; margin: number }[] = [
    // zone 42 (CM 126°E), 150 km east of it: eastings with the zone prefix
    { name: 'Gauss-Kruger, 10 m grid', srid: 4530, geographic: false, origin: [42_650_000, 4_900_000], step: 10, margin: 0.01 },
    { name: 'Gauss-Kruger, 300 m grid (margin grows with the ring)', srid: 4530, geographic: false, origin: [42_650_000, 4_900_000], step: 300, margin: 0.1 },
    { name: 'lon/lat, ~10 m grid', srid: 4490, geographic: true, origin: [125.6, 44.3], step: 1e-4, margin: 1e-7 },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      let said = 0;
      let total = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(ringArb(c.origin, c.step, c.margin), { minLength: 20, maxLength: 20 }), async (rings) => {
          const sure = rings.map((r) => surelyValid({ type: 'Polygon', coordinates: [r] }, c.geographic));
          const geos = await geosValid(rings, c.srid);
          total += rings.length;
          rings.forEach((r, k) => {
            if (!sure[k]) return;
            said++;
            if (!geos[k]) throw new Error(`called valid, invalid to GEOS: ${wkt(r)}`);
          });
        }),
        { numRuns: 40 },
      );
      // not vacuous: random rings of 3–7 grid vertices are simple often enough
      expect(said / total).toBeGreaterThan(0.1);
    });
  }

  // Found while writing this: the transform is affine only locally. A ring simple in Gauss-Kruger with
  // 5 cm of room over a 2 km edge is invalid in EPSG:4490 (the edge's chord moves past the vertex).
  it('long and thin rings far from the central meridian: the room it asks for grows with the ring', async () => {
    /** an edge of `len` m, and a vertex `gap` m from its middle on the side of the rest of the ring */
    const notch = (len: number, gap: number, ew: boolean, side: 1 | -1): Ring => {
      const [x, y] = [42_650_000, 4_900_000];
      const at = (along: number, across: number): [number, number] => (ew ? [x + along, y + side * across] : [x + side * across, y + along]);
      return [at(0, 0), at(0, -5), at(len / 2, -gap), at(len, -5), at(len, 0), at(0, 0)];
    };
    const known = notch(2000, 0.05, true, 1);
    expect((await geosValid([known], 4530))[0]).toBe(false);
    expect(surelyValid({ type: 'Polygon', coordinates: [known] }, false)).toBe(false);
    let said = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.double({ min: 50, max: 5000, noNaN: true }), fc.double({ min: 0.02, max: 30, noNaN: true }), fc.boolean(), fc.constantFrom(1 as const, -1 as const)), { minLength: 20, maxLength: 20 }),
        async (shapes) => {
          const rings = shapes.map(([len, gap, ew, side]) => notch(len, gap, ew, side));
          const geos = await geosValid(rings, 4530);
          rings.forEach((r, k) => {
            if (!surelyValid({ type: 'Polygon', coordinates: [r] }, false)) return;
            said++;
            if (!geos[k]) throw new Error(`called valid, invalid to GEOS: ${wkt(r)}`);
          });
        },
      ),
      { numRuns: 30 },
    );
    expect(said).toBeGreaterThan(0);
  });

  // found by a review: EPSG:3857's inverse wraps x past the antimeridian, so a ring simple in metres crosses itself
  it('no shortcut for EPSG:3857 or a PROJ string; one for lon/lat and Gauss-Kruger by EPSG code', async () => {
    const E = 20_037_508.34;
    const wrapped: Ring = [
      [E - 111.3, 0],
      [E + 111.3, 0],
      [E + 111.3, 222.6],
      [E - 55.7, 111.3],
      [E - 111.3, 222.6],
      [E - 111.3, 0],
    ];
    expect(surelyValid({ type: 'Polygon', coordinates: [wrapped] }, false)).toBe(true);
    expect((await geosValid([wrapped], 3857))[0]).toBe(false);
    const poly = { type: 'Polygon' as const, coordinates: [wrapped] };
    expect(validityShortcut({ srid: 3857, label: '', geographic: false, from: 'prj' })(poly)).toBe(false);
    expect(validityShortcut({ srid: 0, projString: '+proj=longlat +ellps=IAU76 +towgs84=1,2,3,0,0,0,0 +no_defs', label: '', geographic: true, from: 'prj' })(poly)).toBe(false);
    expect(validityShortcut({ srid: 4530, label: '', geographic: false, from: 'prj' })(poly)).toBe(true);
    expect(validityShortcut({ srid: 4490, label: '', geographic: true, from: 'prj' })({ type: 'Point', coordinates: [125, 44] })).toBe(true);
  });

  it('the shapes it leaves to GEOS: holes, several parts, lines, unclosed or too few vertices, a spike, a touch', () => {
    const sq: Ring = [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
      [0, 0],
    ];
    expect(surelyValid({ type: 'Polygon', coordinates: [sq] }, false)).toBe(true);
    expect(surelyValid({ type: 'MultiPolygon', coordinates: [[sq]] }, false)).toBe(true);
    expect(surelyValid({ type: 'Point', coordinates: [1, 2] }, false)).toBe(true);
    expect(surelyValid({ type: 'Polygon', coordinates: [sq, sq] }, false)).toBe(false);
    expect(surelyValid({ type: 'MultiPolygon', coordinates: [[sq], [sq]] }, false)).toBe(false);
    expect(surelyValid({ type: 'LineString', coordinates: sq }, false)).toBe(false);
    expect(surelyValid({ type: 'Polygon', coordinates: [sq.slice(0, 4)] }, false)).toBe(false);
    expect(surelyValid({ type: 'Polygon', coordinates: [[[0, 0], [10, 0], [0, 0]]] }, false)).toBe(false);
    // a spike: back along the last edge
    expect(surelyValid({ type: 'Polygon', coordinates: [[[0, 0], [10, 0], [10, 10], [10, 5], [0, 10], [0, 0]]] }, false)).toBe(false);
    // a vertex 5 mm from another edge (a margin of 1 cm)
    expect(surelyValid({ type: 'Polygon', coordinates: [[[0, 0], [10, 0], [10, 10], [5, 0.005], [0, 10], [0, 0]]] }, false)).toBe(false);
    // the same 5 cm away is surely valid
    expect(surelyValid({ type: 'Polygon', coordinates: [[[0, 0], [10, 0], [10, 10], [5, 0.05], [0, 10], [0, 0]]] }, false)).toBe(true);
  });
});
