/** Shared benchmark helpers: timing, percentiles, a throw-away database, a fixed tile list. */
import pg from 'pg';
import { connect, type Db } from '../server/db/connect.js';
import { migrate } from '../server/db/migrate.js';
import { seedDataset } from '../server/layers/seed.js';
import { tileAt, type TileCoord } from '../server/tiles/tile-math.js';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

/** A fresh database named `name` on DATABASE_URL's server, migrated and seeded with the Dehui dataset. */
export async function benchDatabase(name: string): Promise<{ db: Db; url: string; reused: boolean }> {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('set DATABASE_URL (PostgreSQL with PostGIS) to run this benchmark');
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  // BENCH_REUSE=1 keeps a database from an earlier run (loading 200k parcels takes minutes).
  const exists = (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount;
  const reuse = Boolean(exists) && process.env.BENCH_REUSE === '1';
  if (!reuse) {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  }
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const db = await connect({ databaseUrl: u.toString(), dataDir: '', statementTimeoutMs: 600_000 });
  await migrate(db);
  await seedDataset(db.kysely);
  return { db, url: u.toString(), reused: reuse };
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The fixed list of docs/performance.md: z8 ×2, z10 ×20, z12 ×80, z14 ×100 over the farmland extent. */
export function tileList(bbox: [number, number, number, number], seed = 8): TileCoord[] {
  const rand = prng(seed);
  const pick = (z: number, n: number) => {
    const seen = new Map<string, TileCoord>();
    for (let i = 0; seen.size < n && i < n * 50; i++) {
      const t = tileAt(bbox[0] + rand() * (bbox[2] - bbox[0]), bbox[1] + rand() * (bbox[3] - bbox[1]), z);
      seen.set(`${t.x}/${t.y}`, t);
    }
    return [...seen.values()];
  };
  return [...pick(8, 2), ...pick(10, 20), ...pick(12, 80), ...pick(14, 100)];
}
