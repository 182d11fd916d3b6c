/**
 * The per-batch screen (ingest-staging.ts `screen`) against validation (ingest-validate.ts): the two
 * are separate predicates, so this runs validation over the same staged rows twice — over every row,
 * and over the screen's suspects only — and requires the same problems and the same rows left,
 * with and without repair, for a row of every kind a check reports or changes. A clean row must not
 * be a suspect (a screen that flags everything would pass the comparison and save nothing).
 */
import path from 'node:path';
import { sql, type Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Schema } from '../../server/db/schema.js';
import { COUNTY_LAYER, createStaging, screenQuery } from '../../server/ingest/ingest-staging.js';
import { validateStaged } from '../../server/ingest/ingest-validate.js';
import { ProblemList } from '../../server/ingest/problem-list.js';
import { seedDataset } from '../../server/layers/seed.js';
import { ROOT } from '../helpers/templates.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

const LAYER = 'permanent-farmland';
const box = (x: number, y: number, d = 0.001) => `POLYGON((${x} ${y},${x + d} ${y},${x + d} ${y + d},${x} ${y + d},${x} ${y}))`;

describe(`the upload screen misses nothing validation reports or changes (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  let rows: { idx: number; wkt: string; props?: object }[];

  beforeAll(async () => {
    db = await openTestDb('empty');
    await seedDataset(db.kysely, path.join(ROOT, 'test/fixtures/mini'), 'mini');
    const c = (await sql<{ x0: number; y0: number }>`select ST_XMin(geom) as x0, ST_YMin(geom) as y0 from features where layer_id = ${COUNTY_LAYER}`.execute(db.kysely)).rows[0];
    const inX = c.x0 + 0.05;
    const inY = c.y0 + 0.05;
    rows = [
      { idx: 0, wkt: box(inX, inY) }, // clean
      { idx: 1, wkt: box(200, 44) }, // not lon/lat
      { idx: 2, wkt: 'POLYGON EMPTY' },
      { idx: 3, wkt: `POLYGON((${inX} ${inY},${inX + 0.001} ${inY + 0.001},${inX + 0.001} ${inY},${inX} ${inY + 0.001},${inX} ${inY}))` }, // bow-tie
      { idx: 4, wkt: `POINT(${inX} ${inY})` }, // another type
      { idx: 5, wkt: `MULTIPOLYGON(((${inX} ${inY + 0.01},${inX + 0.001} ${inY + 0.01},${inX + 0.001} ${inY + 0.011},${inX} ${inY + 0.01})))` }, // one part
      { idx: 6, wkt: `MULTIPOLYGON(((${inX} ${inY + 0.02},${inX + 0.001} ${inY + 0.02},${inX} ${inY + 0.021},${inX} ${inY + 0.02})),((${inX + 0.01} ${inY + 0.02},${inX + 0.011} ${inY + 0.02},${inX + 0.01} ${inY + 0.021},${inX + 0.01} ${inY + 0.02})))` }, // two parts
      { idx: 7, wkt: box(c.x0 - 1, c.y0 - 1) }, // wholly outside the county
      { idx: 8, wkt: box(c.x0 - 0.0005, inY) }, // at its western edge: partly or wholly outside
      { idx: 9, wkt: box(inX + 0.002, inY), props: { declared_area_ha: 999 } }, // declared area far off
      { idx: 10, wkt: box(inX + 0.004, inY) }, // clean
    ];
  });
  afterAll(() => db?.dispose());

  /** stage the rows, validate (all rows, or the screen's suspects), report; rolled back */
  async function run(repair: boolean, screened: boolean) {
    let out: { suspects: number[] | null; problems: unknown; staged: unknown } | null = null;
    await db.kysely
      .transaction()
      .execute(async (trx: Transaction<Schema>) => {
        await createStaging(trx);
        for (const r of rows) {
          await sql`insert into upload_staging (idx, fid, properties, geom)
            values (${r.idx}, ${`R-${r.idx}`}, ${JSON.stringify(r.props ?? {})}::jsonb, ST_GeomFromText(${r.wkt}, 4490))`.execute(trx);
        }
        const suspects = screened
          ? (
              await screenQuery(sql`select idx, properties, geom, sure from upload_staging`, { geometryType: 'Polygon', county: true }).execute(trx)
            ).rows.map((r) => r.idx)
          : undefined;
        const problems = new ProblemList();
        await validateStaged(trx, { layerId: LAYER, geometryType: 'Polygon', mode: 'replace', repair, problems, suspects });
        const staged = (await sql<{ idx: number; fid: string; g: string }>`select idx, fid, ST_AsText(geom) as g from upload_staging order by idx`.execute(trx)).rows;
        out = { suspects: suspects ?? null, problems: problems.list(), staged };
        throw new Error('roll back');
      })
      .catch((e: Error) => {
        if (e.message !== 'roll back') throw e;
      });
    return out!;
  }

  it('the county cover by the batch extent: an extent inside decides for every row; an extent not inside tests each row', async () => {
    await db.kysely
      .transaction()
      .execute(async (trx: Transaction<Schema>) => {
        // an L-shaped county (in this rolled-back transaction): the extent of rows in both arms covers the notch
        const c = (await sql<{ x0: number; y0: number }>`select ST_XMin(geom) as x0, ST_YMin(geom) as y0 from features where layer_id = ${COUNTY_LAYER}`.execute(trx)).rows[0];
        const [x, y] = [c.x0 + 0.01, c.y0 + 0.01];
        await sql`update features set geom = ST_SetSRID(ST_GeomFromText(${`MULTIPOLYGON(((${x} ${y},${x + 0.1} ${y},${x + 0.1} ${y + 0.05},${x + 0.05} ${y + 0.05},${x + 0.05} ${y + 0.1},${x} ${y + 0.1},${x} ${y})))`}), 4490)
          where layer_id = ${COUNTY_LAYER} and valid_to is null`.execute(trx);
        const screenOf = async (boxes: [number, number][], props: Record<number, object> = {}) => {
          await createStaging(trx);
          for (const [k, [bx, by]] of boxes.entries()) {
            await sql`insert into upload_staging (idx, fid, properties, geom)
              values (${k}, ${`R-${k}`}, ${JSON.stringify(props[k] ?? {})}::jsonb, ST_GeomFromText(${box(bx, by)}, 4490))`.execute(trx);
          }
          return (await screenQuery(sql`select idx, properties, geom, sure from upload_staging`, { geometryType: 'Polygon', county: true }).execute(trx)).rows.map((r) => r.idx);
        };
        // in the lower arm only: the extent is inside; a declared area is still a suspect
        expect(await screenOf([[x + 0.01, y + 0.01], [x + 0.08, y + 0.01]], { 1: { declared_area_ha: 1 } })).toEqual([1]);
        // one row in each arm: the extent covers the notch, so each row is tested, and each is inside
        expect(await screenOf([[x + 0.08, y + 0.01], [x + 0.01, y + 0.08]])).toEqual([]);
        // and a row in the notch is found
        expect(await screenOf([[x + 0.08, y + 0.01], [x + 0.01, y + 0.08], [x + 0.08, y + 0.08]])).toEqual([2]);
        throw new Error('roll back');
      })
      .catch((e: Error) => {
        if (e.message !== 'roll back') throw e;
      });
  });

  for (const repair of [false, true]) {
    it(`repair=${repair}: the same problems and rows with the suspects only as with every row`, async () => {
      const all = await run(repair, false);
      const screened = await run(repair, true);
      expect(screened.problems).toEqual(all.problems);
      expect(screened.staged).toEqual(all.staged);
      // every problem's row was a suspect; the clean rows were not
      const reported = new Set((all.problems as { feature?: number }[]).map((p) => p.feature));
      for (const f of reported) if (f !== undefined) expect(screened.suspects).toContain(f);
      expect(screened.suspects).not.toContain(0);
      expect(screened.suspects).not.toContain(10);
      // and the cases are really there: errors and warnings of each kind
      expect(reported).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    });
  }
});
