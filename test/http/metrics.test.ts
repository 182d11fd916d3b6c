import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tileAt } from '../../server/tiles/tile-math.js';
import { openFixtureApp } from '../helpers/fixture-app.js';
import { usingPostgres, type TestDb } from '../helpers/test-db.js';

describe(`/metrics (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  let db: TestDb;
  let app: FastifyInstance;
  beforeAll(async () => {
    ({ db, app } = await openFixtureApp('mini'));
  });
  afterAll(async () => {
    await app?.close();
    await db?.dispose();
  });

  it('counts requests per route pattern and status, and tile build time and size per layer and zoom', async () => {
    await app.inject('/ogc/collections/permanent-farmland/items?limit=1');
    await app.inject('/ogc/collections/permanent-farmland/items?limit=0');
    const t = tileAt(125.65, 44.45, 11);
    await app.inject(`/tiles/permanent-farmland/${t.z}/${t.x}/${t.y}.pbf`);
    const r = await app.inject('/metrics');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    const text = r.body;
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/ogc\/collections\/:collectionId\/items",status="200"\} [1-9]/);
    expect(text).toMatch(/http_request_duration_seconds_count\{method="GET",route="\/ogc\/collections\/:collectionId\/items",status="400"\} [1-9]/);
    expect(text).toMatch(/tile_build_seconds_count\{layer="permanent-farmland",zoom="11",engine="(postgis|geojson-vt)"\} [1-9]/);
    expect(text).toMatch(/tile_bytes_sum\{layer="permanent-farmland",zoom="11"\} [1-9]/);
    // raw URLs never become label values (unbounded cardinality)
    expect(text).not.toContain('limit=1');
  });
});
