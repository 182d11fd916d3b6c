import { describe, expect, it } from 'vitest';
import { tileAt } from '../../server/tiles/tile-math.js';
import { useFixtureApp } from '../helpers/fixture-app.js';
import { usingPostgres } from '../helpers/test-db.js';

describe(`/metrics (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useFixtureApp('mini');

  it('counts requests per route pattern and status, and tile build time and size per layer and zoom', async () => {
    await fx.app.inject('/ogc/collections/permanent-farmland/items?limit=1');
    await fx.app.inject('/ogc/collections/permanent-farmland/items?limit=0');
    const t = tileAt(125.65, 44.45, 11);
    await fx.app.inject(`/tiles/permanent-farmland/${t.z}/${t.x}/${t.y}.pbf`);
    const r = await fx.app.inject('/metrics');
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

  const gauge = (text: string, name: string): number | null => {
    const m = new RegExp(`^${name}\\{database="${usingPostgres() ? 'postgres' : 'pglite'}"\\} (\\d+)$`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };

  it('reports database connection use, read at scrape time: open, idle and waiting', async () => {
    await fx.app.inject('/api/layers');
    const text = (await fx.app.inject('/metrics')).body;
    for (const name of ['db_pool_connections', 'db_pool_idle_connections', 'db_pool_waiting_clients']) {
      expect(text, name).toContain(`# TYPE ${name} gauge`);
    }
    const total = gauge(text, 'db_pool_connections');
    expect(total).toBeGreaterThanOrEqual(1);
    if (!usingPostgres()) expect(total).toBe(1);
    expect(gauge(text, 'db_pool_idle_connections')).toBe(total); // nothing in use between requests
    expect(gauge(text, 'db_pool_waiting_clients')).toBe(0);
  });

  it('shows requests queued for a connection while every connection is held, and none after', async () => {
    // hold every connection (PostgreSQL: the pool's 10; PGlite: its one, behind the mutex)
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const holders = Array.from({ length: usingPostgres() ? 10 : 1 }, () => fx.db.session(() => gate));
    let text = '';
    // the held sessions and the queued request are in the gauges once they get there (bounded by the test timeout)
    const queued = fx.app.inject('/api/layers');
    do {
      await new Promise((r) => setTimeout(r, 20));
      text = (await fx.app.inject('/metrics')).body;
    } while ((gauge(text, 'db_pool_waiting_clients') ?? 0) < 1 || gauge(text, 'db_pool_idle_connections') !== 0);
    expect(gauge(text, 'db_pool_connections')).toBe(usingPostgres() ? 10 : 1);
    expect(gauge(text, 'db_pool_idle_connections')).toBe(0);
    release();
    await Promise.all(holders);
    expect((await queued).statusCode).toBe(200);
    text = (await fx.app.inject('/metrics')).body;
    expect(gauge(text, 'db_pool_waiting_clients')).toBe(0);
    expect(gauge(text, 'db_pool_idle_connections')).toBe(gauge(text, 'db_pool_connections'));
  });
});
