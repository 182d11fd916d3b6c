/**
 * One code path, two databases: Kysely over `pg` (PostgreSQL/PostGIS) or over PGlite with
 * the PostGIS extension (embedded, in DATA_DIR). Capabilities differ (PGlite's PostGIS has
 * no protobuf, so no ST_AsMVT) and are probed once here, not guessed by callers.
 */
import fs from 'node:fs/promises';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { AsyncMutex } from './async-mutex.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Schema } from './schema.js';

/** A raw session on one connection, for scripts and session-level locks. */
export interface RawSession {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** a multi-statement script, no parameters */
  exec(script: string): Promise<void>;
}

export interface Db {
  readonly kind: 'pglite' | 'postgres';
  readonly kysely: Kysely<Schema>;
  readonly capabilities: Readonly<{ mvt: boolean }>;
  /** run fn with one connection held for its whole duration */
  session<T>(fn: (s: RawSession) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only: run a named statement — prepared once per connection, then executed with a
   * GENERIC plan (no parse, no planning per call) — on a second pool whose sessions set
   * plan_cache_mode = force_generic_plan. For hot, fixed-shape statements (tiles, as Martin
   * prepares its tile queries) whose plan does not depend on the bound values; the main pool keeps
   * custom plans for everything else (a generic plan there would ignore values such as layer ids).
   */
  readonly prepared?: <R>(name: string, text: string, values: unknown[]) => Promise<R[]>;
  /** cheap readiness probe: rejects when the database is unreachable */
  ping(): Promise<void>;
  /** connection use right now, read at /metrics scrape time (PGlite: its one connection and the mutex queue) */
  poolStats(): PoolStats;
  close(): Promise<void>;
}

export interface PoolStats {
  /** connections open (PGlite: always 1) */
  total: number;
  /** open and not checked out */
  idle: number;
  /** callers queued for a connection (PostgreSQL: pool waiters; PGlite: behind the mutex) */
  waiting: number;
}

/** The PGlite mutex, counting holders and waiters for /metrics (the FIFO order is AsyncMutex's). */
class CountingMutex extends AsyncMutex {
  waiting = 0;
  held = 0;
  override acquire(): Promise<() => void> {
    this.waiting++;
    return super.acquire().then((release) => {
      this.waiting--;
      this.held++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        this.held--;
        release();
      };
    });
  }
}

export interface ConnectOptions {
  databaseUrl: string | null;
  dataDir: string;
  statementTimeoutMs?: number;
  /** pool size for PostgreSQL */
  poolSize?: number;
}

/** how long a readiness probe's `select 1` may take on an open PostgreSQL connection */
const PING_TIMEOUT_MS = 2_000;

// int8 counts and numeric areas arrive as strings from pg; they are safe as JS numbers here.
const toNumber = (v: string) => Number(v);

export async function connect(options: ConnectOptions): Promise<Db> {
  return options.databaseUrl ? connectPostgres(options) : connectPGlite(options);
}

async function connectPostgres(options: ConnectOptions): Promise<Db> {
  const types = {
    getTypeParser: ((oid: number, format?: string) =>
      oid === 20 || oid === 1700 ? toNumber : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
  const newPool = (applicationName: string, settings = '') => {
    const p = new pg.Pool({
      connectionString: options.databaseUrl!,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      application_name: applicationName,
      // Parallel plans slow tile and overlap queries on 2 cores (docs/performance.md); keep them serial.
      // JIT compiled large tile and check statements for 40–150 ms with no gain (bench:tiles, EXPLAIN ANALYZE).
      options: `-c statement_timeout=${options.statementTimeoutMs ?? 30_000} -c max_parallel_workers_per_gather=0 -c jit=off${settings}`,
      // A database that freezes with connections open never answers; the server's statement_timeout cannot
      // fire then, so the client gives up a little later (→ 503) instead of hanging the request.
      query_timeout: (options.statementTimeoutMs ?? 30_000) + 5_000,
      types,
    });
    // A dropped idle connection (database restart) must not crash the process.
    p.on('error', () => {});
    // Nor one that is checked out: pg emits 'error' on the client (even with a query in flight, which
    // also rejects), and the pool listens only while the client is idle. The query's own rejection
    // carries the error to the caller (→ 503); the pool discards the broken client on release.
    p.on('connect', (client) => client.on('error', () => {}));
    return p;
  };
  const pool = newPool('dehui-gis');
  // Db.prepared's pool: generic plans for named statements only (kysely's unnamed statements would
  // be forced generic too, hence a pool of its own). It connects on first use.
  const genericPool = newPool('dehui-gis-prepared', ' -c plan_cache_mode=force_generic_plan');
  let closing: Promise<void> | undefined;
  const kysely = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  const session = async <T>(fn: (s: RawSession) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      return await fn({
        query: async (text, params) => (await client.query(text, params)).rows,
        exec: async (script) => void (await client.query(script)),
      });
    } finally {
      client.release();
    }
  };
  await session(async (s) => {
    await s.exec('CREATE EXTENSION IF NOT EXISTS postgis');
  }).catch(async (err: Error & { code?: string }) => {
    // Without the right to create it, PostGIS must already be there; say so plainly.
    const rows = await pool.query(`select 1 from pg_extension where extname = 'postgis'`).catch(() => ({ rows: [] }));
    if (rows.rows.length === 0) {
      await pool.end();
      throw new Error(`PostGIS is not installed in this database and could not be created: ${err.message}`);
    }
  });
  const mvt = await probeMvt((text) => pool.query(text).then(() => undefined));
  return {
    kind: 'postgres',
    kysely,
    capabilities: Object.freeze({ mvt }),
    session,
    prepared: async <R>(name: string, text: string, values: unknown[]) => (await genericPool.query({ name, text, values })).rows as R[],
    // a database that hangs with a connection open: the client gives up (and the pool drops that connection)
    // (pg reads query_timeout per query too; its types list it only as a connection option)
    // both pools: a prepared pool that cannot connect (max_connections) would fail z12+ tiles
    ping: async () =>
      void (await Promise.all([pool, genericPool].map((p) => p.query({ text: 'select 1', query_timeout: PING_TIMEOUT_MS } as pg.QueryConfig)))),
    poolStats: () => ({
      total: pool.totalCount + genericPool.totalCount,
      idle: pool.idleCount + genericPool.idleCount,
      waiting: pool.waitingCount + genericPool.waitingCount,
    }),
    // idempotent, as kysely.destroy() alone was (pg's Pool.end() rejects a second call); both pools end whatever the other does
    close: () =>
      (closing ??= Promise.allSettled([kysely.destroy(), genericPool.end()]).then((results) => {
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      })),
  };
}

async function connectPGlite(options: ConnectOptions): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { postgis } = await import('@electric-sql/pglite-postgis');
  await fs.mkdir(options.dataDir, { recursive: true });
  const pglite = await PGlite.create({
    dataDir: options.dataDir,
    extensions: { postgis },
    parsers: { 20: toNumber, 1700: toNumber },
  });
  await pglite.exec('CREATE EXTENSION IF NOT EXISTS postgis');
  const mutex = new CountingMutex();
  const kysely = new Kysely<Schema>({ dialect: new PGliteDialect(pglite, mutex) });
  let closing: Promise<void> | undefined;
  const session = <T>(fn: (s: RawSession) => Promise<T>): Promise<T> =>
    mutex.run(() =>
      fn({
        query: async <R>(text: string, params?: unknown[]) => (await pglite.query<R>(text, params)).rows,
        exec: async (script) => void (await pglite.exec(script)),
      }),
    );
  const mvt = await probeMvt((text) => pglite.query(text).then(() => undefined));
  return {
    kind: 'pglite',
    kysely,
    capabilities: Object.freeze({ mvt }),
    session,
    ping: () => mutex.run(async () => void (await pglite.query('select 1'))),
    poolStats: () => ({ total: 1, idle: mutex.held > 0 ? 0 : 1, waiting: mutex.waiting }),
    // idempotent, like the PostgreSQL one (PGlite's close() rejects a second call)
    close: () =>
      (closing ??= (async () => {
        await kysely.destroy();
        await mutex.run(() => pglite.close());
      })()),
  };
}

/** ST_AsMVT needs PostGIS built with protobuf-c; PGlite's is not. */
async function probeMvt(run: (text: string) => Promise<void>): Promise<boolean> {
  try {
    await run(`select ST_AsMVT(q, 'probe') from (select ST_AsMVTGeom(ST_MakeEnvelope(0,0,1,1,3857), ST_TileEnvelope(0,0,0)) as g) q`);
    return true;
  } catch {
    return false;
  }
}
