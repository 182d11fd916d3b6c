/**
 * The database goes away and comes back (PostgreSQL only). A TCP proxy in this test stands
 * between the app and PostgreSQL; closing it destroys every connection and refuses new ones,
 * like a database restart or a network cut. While it is down /readyz is 503 and API requests
 * fail fast with 503 (a query in flight included, without crashing the process); when it is back
 * the same app recovers by itself, and nothing written before is lost.
 */
import { sql } from 'kysely';
import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Db } from '../../server/db/connect.js';
import { toAppError } from '../../server/errors.js';
import { seedDataset } from '../../server/layers/seed.js';
import { useTestApp } from '../helpers/fixture-app.js';
import { buildTestApp } from '../helpers/test-app.js';
import { ROOT } from '../helpers/templates.js';
import { openTestDb, usingPostgres, type TestDb } from '../helpers/test-db.js';

const ADMIN = { authorization: 'Bearer test-admin-token-0123456789' };
const ITEMS = '/ogc/collections/permanent-farmland/items';
const square = (x: number, y: number, d = 0.002) => ({ type: 'Polygon', coordinates: [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]] });

/** A TCP proxy to PostgreSQL that can be cut (all sockets destroyed, new ones refused) and restored. */
class CuttableProxy {
  private server: net.Server | null = null;
  private sockets = new Set<net.Socket>();
  private pairs = new Set<[net.Socket, net.Socket]>();
  port = 0;
  /** 'forward' passes bytes; 'blackhole' accepts connections and never answers */
  mode: 'forward' | 'blackhole' = 'forward';
  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async open(): Promise<void> {
    this.server = net.createServer((client) => {
      this.track(client);
      if (this.mode === 'blackhole') return;
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.track(upstream);
      client.pipe(upstream).pipe(client);
      const pair: [net.Socket, net.Socket] = [client, upstream];
      this.pairs.add(pair);
      client.on('close', () => this.pairs.delete(pair));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  /** the database hangs: open connections stay open but carry nothing more, new ones are never answered */
  freeze(): void {
    this.mode = 'blackhole';
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }
}

describe.skipIf(!usingPostgres())('database outage and recovery (PostgreSQL)', () => {
  let base: TestDb;
  let proxy: CuttableProxy;
  let db: Db;
  let app: FastifyInstance;

  beforeAll(async () => {
    base = await openTestDb('empty');
    await seedDataset(base.kysely, path.join(ROOT, 'test/fixtures/mini'), 'mini');
    const url = new URL(base.location);
    proxy = new CuttableProxy(url.hostname, Number(url.port || 5432));
    await proxy.open();
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    db = await connect({ databaseUrl: url.toString(), dataDir: '', statementTimeoutMs: 10_000 });
    app = await buildTestApp(db);
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.open().catch(() => undefined); // so the pool can end cleanly
    await db?.close().catch(() => undefined);
    await proxy?.cut();
    await base?.dispose();
  });

  const post = (code: string, x: number) =>
    app.inject({ method: 'POST', url: ITEMS, headers: { ...ADMIN, 'content-type': 'application/geo+json' }, payload: JSON.stringify({ type: 'Feature', id: code, properties: { code }, geometry: square(x, 44.5) }) });
  const count = async () => (await app.inject(`${ITEMS}?limit=1`)).json().numberMatched as number;

  /** poll until /readyz is 200 (bounded by the test timeout, not asserted on time) */
  async function untilReady(): Promise<number> {
    let attempts = 0;
    for (;;) {
      attempts++;
      if ((await app.inject('/readyz')).statusCode === 200) return attempts;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('is ready, reads and writes through the proxy', async () => {
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    expect((await post('BEFORE-OUTAGE', 125.7)).statusCode).toBe(201);
  });

  it('with the database gone: /readyz and API requests are 503 with a clear message, a query in flight fails, the process lives', async () => {
    const before = await count();
    // a long query holds a pooled connection when the cut happens
    const inFlight = db.session((s) => s.query('select pg_sleep(5) /* faults-in-flight */')).then(
      () => null,
      (err: unknown) => err,
    );
    // cut only once the query runs on the server (seen through a direct connection), not after a guessed delay
    await expect
      .poll(async () => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where query like '%faults-in-flight%' and state = 'active' and pid <> pg_backend_pid()`.execute(base.kysely)).rows[0].n, { timeout: 30_000, interval: 20 })
      .toBeGreaterThan(0);
    await proxy.cut();
    const err = await inFlight;
    expect(err).not.toBeNull();
    expect(toAppError(err).status).toBe(503);

    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ error: 'unavailable', message: expect.stringMatching(/^数据库.*\(database/) });
    for (const url of ['/api/layers', `${ITEMS}?limit=5`, '/api/layers/permanent-farmland/versions']) {
      const r = await app.inject(url);
      expect(r.statusCode, url).toBe(503);
      expect(r.json().error).toBe('unavailable');
    }
    const write = await post('DURING-OUTAGE', 125.71);
    expect(write.statusCode).toBe(503);
    expect(write.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/);
    expect(before).toBeGreaterThan(0);
  });

  it('with the database hanging (connections accepted, never answered): 503 after the connect timeout, not a hung request', async () => {
    proxy.mode = 'blackhole';
    await proxy.open();
    const r = await app.inject('/api/layers');
    expect(r.statusCode).toBe(503);
    expect((await app.inject('/readyz')).statusCode).toBe(503);
    await proxy.cut();
    proxy.mode = 'forward';
  });

  it('recovers by itself when the database returns: same app, no restart, nothing lost, writes work again', async () => {
    await proxy.open();
    expect(await untilReady()).toBeGreaterThanOrEqual(1);
    const ids = (await app.inject(`${ITEMS}?limit=1000`)).json().features.map((f: { id: string }) => f.id);
    expect(ids).toContain('BEFORE-OUTAGE');
    expect(ids).not.toContain('DURING-OUTAGE');
    expect((await post('AFTER-OUTAGE', 125.72)).statusCode).toBe(201);
    expect((await app.inject(`${ITEMS}/AFTER-OUTAGE`)).statusCode).toBe(200);
    // the version sequence has no gap or duplicate across the outage
    const versions = (await app.inject('/api/layers/permanent-farmland/versions')).json() as Array<{ version: number }> | { versions: Array<{ version: number }> };
    const list = (Array.isArray(versions) ? versions : versions.versions).map((v) => v.version).sort((a, b) => a - b);
    expect(list).toEqual(list.map((_, i) => list[0] + i));
  });

  it('with the database frozen on open connections (no reset, no answer): /readyz is a prompt 503, and 200 again once it answers', async () => {
    // pooled connections through the proxy exist (the previous test used them); freeze them mid-life
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    expect(db.poolStats().idle).toBeGreaterThanOrEqual(1);
    proxy.freeze();
    // without the probe's own timeouts this request would hang until the test times out
    const frozen = await app.inject('/readyz');
    expect(frozen.statusCode).toBe(503);
    expect(frozen.json()).toMatchObject({ error: 'unavailable', message: expect.stringMatching(/^数据库.*\(database/) });
    // a second probe while still frozen: the first did not leave the pool stuck
    expect((await app.inject('/readyz')).statusCode).toBe(503);
    await proxy.cut();
    proxy.mode = 'forward';
    await proxy.open();
    expect(await untilReady()).toBeGreaterThanOrEqual(1);
    expect((await app.inject(`${ITEMS}/AFTER-OUTAGE`)).statusCode).toBe(200);
  });
});

describe.skipIf(usingPostgres())('database outage and recovery (embedded PGlite)', () => {
  it.skip('skipped: the embedded database lives in this process and cannot go away on its own; run with DATABASE_URL', () => {});
});

describe(`readiness is bounded in time (${usingPostgres() ? 'PostgreSQL' : 'PGlite'})`, () => {
  const fx = useTestApp('empty');

  it('with every connection held (PostgreSQL: the whole pool; PGlite: its mutex), /readyz is a 503 after its bound, not a wait; 200 once they are free', async () => {
    expect((await fx.app.inject('/readyz')).statusCode).toBe(200);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const holders = Array.from({ length: usingPostgres() ? 10 : 1 }, () => fx.db.session(() => gate));
    while (fx.db.poolStats().idle > 0 || fx.db.poolStats().total < (usingPostgres() ? 10 : 1)) await new Promise((r) => setTimeout(r, 10));
    const busy = await fx.app.inject('/readyz');
    release(); // the connections go back whatever the probe said (the test's own bound is its timeout)
    await Promise.all(holders);
    expect(busy.statusCode).toBe(503);
    expect(busy.json()).toMatchObject({ error: 'unavailable' });
    expect((await fx.app.inject('/readyz')).statusCode).toBe(200);
  });
});

describe('database errors map to 503 / 504, never a 500 with internals', () => {
  it.each([
    [{ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:5432' }, 503],
    [{ code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND db' }, 503],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }, 503],
    [{ code: '53300', message: 'sorry, too many clients already' }, 503],
    [{ message: 'Connection terminated unexpectedly' }, 503],
    [{ message: 'timeout exceeded when trying to connect' }, 503],
    [{ code: '57014', message: 'canceling statement due to statement timeout' }, 504],
  ])('%j → %i', (raw, status) => {
    const e = toAppError(Object.assign(new Error(raw.message), raw));
    expect(e.status).toBe(status);
    expect(e.message).not.toContain(raw.message);
  });

  it('a data exception (class 22) from a client value is a 400 naming the value, not a 500', () => {
    const e = toAppError(Object.assign(new Error('date/time field value out of range: "2024-02-30"\nHINT: …'), { code: '22008' }));
    expect(e.status).toBe(400);
    expect(e.message).toBe('输入值无效 (invalid value: date/time field value out of range: "2024-02-30")');
    expect(e.details).toEqual({ sqlstate: '22008' });
  });
});
